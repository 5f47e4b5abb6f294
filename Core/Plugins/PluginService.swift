import Foundation
import Logging
import ServiceLifecycle
import SwiftletDomain

/// Runs the enabled plugins with the gateway: loads and starts each (a plugin that cannot be
/// loaded or fails to start is reported and skipped; the gateway runs on), and on graceful
/// shutdown stops them in reverse order, each within `stopTimeout`, then frees them. While it runs,
/// ``start(_:)`` and ``stop(_:)`` enable and disable plugins (the web interface's plugins page).
public final class PluginService: Service {
    private let plugins: [PreparedPlugin]
    private let digests: Set<String>
    private let services: HostServices
    private let logger: Logger
    private let startTimeout: Duration
    private let stopTimeout: Duration

    public init(
        plugins: [PreparedPlugin],
        digests: Set<String>,
        services: HostServices,
        logger: Logger,
        startTimeout: Duration = .seconds(30),
        stopTimeout: Duration = .seconds(10)
    ) {
        self.plugins = plugins
        self.digests = digests
        self.services = services
        self.logger = logger
        self.startTimeout = startTimeout
        self.stopTimeout = stopTimeout
        (commands, commandSink) = AsyncStream.makeStream()
    }

    /// What the web interface asks of the running plugins.
    enum Command: Sendable {
        case start(PreparedPlugin)
        case stop(String)
    }

    private let commands: AsyncStream<Command>
    private let commandSink: AsyncStream<Command>.Continuation

    /// Starts `plugin` while the gateway runs (stopping the running instance of the same id first);
    /// its health says how it went.
    public func start(_ plugin: PreparedPlugin) { commandSink.yield(.start(plugin)) }

    /// Stops the running plugin `id`, if any.
    public func stop(_ id: String) { commandSink.yield(.stop(id)) }

    public func run() async throws {
        var running: [HostedPlugin] = []
        for plugin in plugins {
            if let instance = await load(plugin) { running.append(instance) }
        }
        for await command in commands.cancelOnGracefulShutdown() {
            switch command {
            case .start(let plugin):
                if let index = running.firstIndex(where: { $0.id == plugin.manifest.id }) {
                    await stop(running.remove(at: index), because: "restarted with a new configuration")
                }
                if let instance = await load(plugin) { running.append(instance) }
            case .stop(let id):
                if let index = running.firstIndex(where: { $0.id == id }) {
                    await stop(running.remove(at: index), because: "disabled")
                }
            }
        }
        for instance in running.reversed() { await stop(instance, because: "the gateway stopped") }
    }

    private func stop(_ instance: HostedPlugin, because reason: String) async {
        services.ruleKinds?.removeAll(plugin: instance.id)
        await instance.stopAndDestroy(timeout: stopTimeout, started: true)
        instance.report(state: "stopped", detail: reason)
        await instance.healthWritten()
        logger.info("plugin stopped", metadata: ["plugin": "\(instance.id)", "reason": "\(reason)"])
    }

    /// Loads, creates and starts one plugin; nil (reported and logged) when it cannot.
    private func load(_ plugin: PreparedPlugin) async -> HostedPlugin? {
        let id = plugin.manifest.id
        let library: PluginLibrary
        do {
            library = try PluginLibrary.load(plugin.entry, allowedDigests: digests)
        } catch {
            logger.error("plugin not loaded", metadata: ["plugin": "\(id)", "error": "\(error)"])
            try? await services.health?.setPluginHealth(
                PluginHealthReport(plugin: id, state: "failed", detail: "not loaded: \(error)", since: Date())
            )
            return nil
        }
        let instance = HostedPlugin(
            manifest: plugin.manifest,
            library: library,
            services: services,
            logger: logger
        )
        instance.report(state: "starting", detail: "")
        do {
            try await instance.create(configuration: plugin.configuration)
        } catch {
            logger.error("plugin not started", metadata: ["plugin": "\(id)", "error": "\(error)"])
            instance.report(state: "failed", detail: "not started: \(error)")
            await instance.healthWritten()
            return nil
        }
        do {
            try await instance.start(timeout: startTimeout)
        } catch {
            logger.error("plugin not started", metadata: ["plugin": "\(id)", "error": "\(error)"])
            services.ruleKinds?.removeAll(plugin: id)
            await instance.stopAndDestroy(timeout: stopTimeout, started: false)
            instance.report(state: "failed", detail: "not started: \(error)")
            await instance.healthWritten()
            return nil
        }
        // A plugin that reports no health of its own is "ok" while it runs.
        if instance.healthState == "starting" { instance.report(state: "ok", detail: "running") }
        logger.notice(
            "plugin started",
            metadata: [
                "plugin": "\(id)", "version": "\(plugin.manifest.version)",
                "abi": "\(ABIVersion.format(library.abiVersion))",
            ]
        )
        return instance
    }
}
