import SwiftletPluginSDK
import VoicePlugin

@_cdecl("swiftlet_plugin_entry")
public func swiftletPluginEntry(hostMin: UInt32, hostMax: UInt32) -> UnsafeRawPointer? {
    PluginExport.entry(VoicePlugin.self, hostMin: hostMin, hostMax: hostMax)
}
