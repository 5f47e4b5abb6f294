import LDAPPlugin
import SwiftletPluginSDK

@_cdecl("swiftlet_plugin_entry")
public func swiftletPluginEntry(hostMin: UInt32, hostMax: UInt32) -> UnsafeRawPointer? {
    PluginExport.entry(LDAPPlugin.self, hostMin: hostMin, hostMax: hostMax)
}
