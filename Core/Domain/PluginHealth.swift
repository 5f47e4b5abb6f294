import Foundation

/// What a plugin last said about its health (ABI 1.2 `report_health`), kept for `swiftlet plugins
/// list`: "ok", "degraded", "down", or the host's own "starting" and "stopped".
public struct PluginHealthReport: Sendable, Equatable {
    public var plugin: String
    public var state: String
    public var detail: String
    /// When the plugin entered this state.
    public var since: Date
    /// The plugin ABI version the loaded plugin and the gateway agreed on ("1.5"); nil when it
    /// was not loaded.
    public var abi: String?

    public init(plugin: String, state: String, detail: String, since: Date, abi: String? = nil) {
        self.plugin = plugin
        self.state = state
        self.detail = detail
        self.since = since
        self.abi = abi
    }
}

public protocol PluginHealthStore: Sendable {
    func setPluginHealth(_ report: PluginHealthReport) async throws
    func pluginHealth() async throws -> [PluginHealthReport]
}
