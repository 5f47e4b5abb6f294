import PixieRelayPlugin
import SwiftletPluginSDK

@_cdecl("swiftlet_plugin_entry")
public func swiftletPluginEntry(hostMin: UInt32, hostMax: UInt32) -> UnsafeRawPointer? {
    PluginExport.entry(PixieRelayPlugin.self, hostMin: hostMin, hostMax: hostMax)
}
