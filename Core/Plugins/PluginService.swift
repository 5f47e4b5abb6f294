import Foundation
import Logging
import ServiceLifecycle
import SwiftletDomain

/// Runs the enabled plugins with the gateway: loads and starts each (a plugin that cannot be
/// loaded or fails to start is reported and skipped; the gateway runs on), and on graceful
/// shutdown stops them in reverse order, each within `stopTimeout`, then frees them.
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
    }

    public func run() async throws {
        var running: [HostedPlugin] = []
        for plugin in plugins {
            let id = plugin.manifest.id
            let library: PluginLibrary
            do {
                library = try PluginLibrary.load(plugin.entry, allowedDigests: digests)
            } catch {
                logger.error("plugin not loaded", metadata: ["plugin": "\(id)", "error": "\(error)"])
                try? await services.health?.setPluginHealth(
                    PluginHealthReport(plugin: id, state: "failed", detail: "not loaded: \(error)", since: Date())
                )
                continue
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
                continue
            }
            do {
                try await instance.start(timeout: startTimeout)
            } catch {
                logger.error("plugin not started", metadata: ["plugin": "\(id)", "error": "\(error)"])
                services.ruleKinds?.removeAll(plugin: id)
                await instance.stopAndDestroy(timeout: stopTimeout, started: false)
                instance.report(state: "failed", detail: "not started: \(error)")
                await instance.healthWritten()
                continue
            }
            // A plugin that reports no health of its own is "ok" while it runs.
            if instance.healthState == "starting" { instance.report(state: "ok", detail: "running") }
            running.append(instance)
            logger.notice(
                "plugin started",
                metadata: [
                    "plugin": "\(id)", "version": "\(plugin.manifest.version)",
                    "abi": "\(ABIVersion.format(library.abiVersion))",
                ]
            )
        }
        try? await gracefulShutdown()
        for instance in running.reversed() {
            services.ruleKinds?.removeAll(plugin: instance.id)
            await instance.stopAndDestroy(timeout: stopTimeout, started: true)
            instance.report(state: "stopped", detail: "the gateway stopped")
            await instance.healthWritten()
            logger.info("plugin stopped", metadata: ["plugin": "\(instance.id)"])
        }
    }
}
