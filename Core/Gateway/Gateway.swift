import Foundation
import Hummingbird
import Logging
import ModemSimulator
import NIOCore
import SMSCodec
import ServiceLifecycle
import SwiftletAPI
import SwiftletDomain
import SwiftletModem
import SwiftletPluginHost
import SwiftletPluginSDK
import SwiftletRules
import SwiftletStore
import SwiftletSupport
import SwiftletWeb
import UnixSignals

/// A running gateway: store, modems (or the simulator), dispatcher and HTTP APIs under one service
/// group that shuts down gracefully on SIGTERM and SIGINT.
public enum Gateway {
    /// Starts everything `configuration` describes and runs until SIGTERM/SIGINT.
    ///
    /// - Parameter executable: how the `swiftlet` command is spelt in the hints it logs.
    public static func run(configuration: GatewayConfiguration, executable: String, logger: Logger) async throws {
        // A write to a connection the peer closed must be an error (EPIPE) for whoever wrote, not the
        // end of the gateway: plugins' C libraries (libldap, net-snmp) write to sockets with plain
        // write(2), whose SIGPIPE would otherwise kill the process.
        signal(SIGPIPE, SIG_IGN)
        let store = try await openStore(configuration, logger: logger)
        let (plugins, refusedPlugins) = try configuration.preparePlugins()
        for (id, reason) in refusedPlugins {
            logger.error(
                "plugin is enabled but cannot be loaded",
                metadata: ["plugin": "\(id)", "reason": "\(reason)"]
            )
        }
        let events = EventBus()
        let wakeup = Wakeup()
        let inbox = PublishingInbox(store: store, events: events, logger: logger)
        let simulators = try simulatedModems(configuration, executable: executable, logger: logger)
        let modems = try await modemWorkers(
            configuration.modems
                + simulators.map { ModemConfiguration(name: $0.name, device: $0.simulator.devicePath) },
            store: store,
            inbox: inbox,
            events: events,
            wakeup: wakeup,
            logger: logger
        )
        if let number = configuration.dispatcher.transportModemNumber, number <= modems.count {
            throw GatewayError(
                "dispatcher.transport_modem_no: \(number) is modem \(modems[number - 1].configuration.name)'s number; choose one above \(modems.count)"
            )
        }
        // Plugins that provide (ABI 1.4): transports and voice for the dispatcher, directories for the
        // recipient policy.
        let providers = ProviderRegistry()
        let metrics = MetricsRegistry()
        let gatewayMetrics = GatewayMetrics(modems: modems.map(\.configuration.name))
        gatewayMetrics.subscribe(to: events)
        let started = Date()
        providers.onChange { Task { await wakeup.signal() } }
        let outbox = Outbox(
            store: store,
            modemCount: modems.count,
            transportModemNumber: configuration.dispatcher.transportModemNumber,
            timeZone: configuration.timeZone,
            didQueue: { count, createdBy in
                wakeup.signalSoon()
                gatewayMetrics.didQueue(count, createdBy: createdBy, api: RequestOrigin.api)
            },
            voiceReady: { !providers.providers(.voice).isEmpty },
            ringsViaVoice: configuration.dispatcher.ringVia == .voice
        )
        let directories = ProviderDirectory(registry: providers)
        let recipients = RecipientResolver(directory: store, timeZone: configuration.timeZone, external: directories)
        let ruleKinds = RuleKindRegistry()
        let rules = RuleEngine(
            rules: configuration.rules,
            parser: RuleParser(timeZone: configuration.timeZone),
            store: store,
            effects: GatewayRuleEffects(
                outbox: outbox,
                store: store,
                events: events,
                kinds: ruleKinds,
                resolver: recipients,
                logger: logger
            ),
            logger: logger
        )
        // One failed-login limiter for every way in: the HTTP APIs and plugins' own logins (SMTP AUTH).
        let limiter = AuthenticationLimiter(logger: logger)
        let authenticator = Authenticator(
            users: store,
            limiter: limiter,
            trustedProxies: configuration.http.trustedProxies,
            directory: directories,
            directoryUsers: store,
            logger: logger
        )

        var services: [any Service] = simulators.map { SimulatorService(simulator: $0.simulator) }
        services += modems.map(ModemService.init)
        services.append(
            Housekeeping(inbox: inbox, multipartTimeout: configuration.multipartTimeout, events: store, logger: logger)
        )
        services.append(
            SensorRecorder(history: store, metrics: metrics, settings: configuration.sensorHistory, logger: logger)
        )
        services.append(
            WebhookSender(
                store: store,
                settings: configuration.webhooks,
                timeZone: configuration.timeZone,
                logger: logger
            )
        )
        services.append(
            Dispatcher(
                queue: store,
                ledger: store,
                modems: modems,
                settings: configuration.dispatcher,
                owner: configuration.nodeName,
                wakeup: wakeup,
                events: events,
                providers: providers,
                timeZone: configuration.timeZone,
                didSend: gatewayMetrics.sent,
                didCharge: gatewayMetrics.charged,
                logger: logger
            )
        )
        services.append(RuleService(engine: rules, events: events, kinds: ruleKinds))
        let status = GatewayStatus(
            store: store,
            modems: modems,
            providers: providers,
            metrics: metrics,
            node: configuration.nodeName,
            started: started
        )
        var host = HostServices(
            outbox: outbox,
            phonebook: store,
            recipients: recipients,
            state: store,
            events: events,
            inbox: inbox,
            ruleKinds: ruleKinds,
            health: store,
            limiter: limiter,
            providers: providers,
            metrics: metrics,
            status: status.snapshot
        )
        let reports = TransportReports(ledger: store, providers: providers, events: events, logger: logger)
        host.reportDelivery = { try await reports.record($0, plugin: $1) }
        // Runs even with no plugin enabled: the web interface may enable one.
        let pluginService = PluginService(
            plugins: plugins,
            digests: configuration.plugins.digests,
            services: host,
            logger: logger
        )
        services.append(pluginService)
        let web =
            configuration.web.enabled
            ? try WebGUI(
                outbox: outbox,
                messages: store,
                phonebook: store,
                recipients: recipients,
                users: store,
                userAdmin: store,
                authenticator: authenticator,
                rules: rules,
                status: status.snapshot,
                plugins: configuration.file.map {
                    WebPlugins(file: $0, service: pluginService, health: store, logger: logger)
                },
                sensors: store,
                timeZone: configuration.timeZone,
                logger: logger
            ) : nil
        let router = try await Self.router(
            configuration: configuration,
            outbox: outbox,
            store: store,
            modems: ModemPool(workers: modems, settings: store),
            authenticator: authenticator,
            rules: rules,
            simulators: simulators,
            directories: recipients.external,
            web: web,
            monitoring: MonitoringRoutes(
                settings: configuration.metrics,
                metrics: gatewayMetrics,
                status: status.snapshot,
                statusKey: try StatusAccess.token(dataDirectory: configuration.dataDirectory),
                started: started
            ),
            logger: logger
        )
        services.append(
            Self.httpServer(
                router: router,
                configuration: configuration,
                executable: executable,
                simulated: !simulators.isEmpty,
                logger: logger
            )
        )
        try await runUntilSignalled(services, configuration: configuration, logger: logger)
        logger.info("stopped")
    }

    /// The data directory (created private), locked for this process, and its store.
    static func openStore(_ configuration: GatewayConfiguration, logger: Logger) async throws -> SQLiteStore {
        try FileManager.default.createDirectory(
            atPath: configuration.dataDirectory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        _ = try DataDirectoryLock(directory: configuration.dataDirectory)
        let store = try SQLiteStore(directory: configuration.dataDirectory, synchronous: configuration.synchronous)
        let (journal, synchronous) = try await store.pragmas()
        logger.info(
            "store ready",
            metadata: ["path": "\(store.path)", "journal_mode": "\(journal)", "synchronous": "\(synchronous)"]
        )
        return store
    }

    /// The simulated modems that stand in when no modem is configured (none when one is).
    static func simulatedModems(
        _ configuration: GatewayConfiguration,
        executable: String,
        logger: Logger
    ) throws -> [(name: String, simulator: ModemSimulator)] {
        guard configuration.modems.isEmpty else { return [] }
        let simulators = try (1...configuration.simulator.modems).map { number in
            (
                name: number == 1 ? "simulator" : "simulator\(number)",
                simulator: try ModemSimulator(settings: configuration.simulator, logger: logger)
            )
        }
        let devices = simulators.map(\.simulator.devicePath).joined(separator: ", ")
        logger.notice(
            "no modem is configured: using \(simulators.count == 1 ? "a simulated modem" : "\(simulators.count) simulated modems") on \(devices); messages reach no phone (list them with '\(executable) sim received')"
        )
        return simulators
    }

    /// A worker per modem, numbered from 1 in order, each reporting to its ``ModemObserver``; those
    /// an admin disabled start disabled.
    static func modemWorkers(
        _ modems: [ModemConfiguration],
        store: SQLiteStore,
        inbox: PublishingInbox,
        events: EventBus,
        wakeup: Wakeup,
        logger: Logger
    ) async throws -> [ModemWorker] {
        let disabled = try await store.disabledModems()
        return modems.enumerated().map { index, modem in
            let observer = ModemObserver(
                modem: modem.name,
                number: index + 1,
                inbox: inbox,
                queue: store,
                events: events,
                wakeup: wakeup,
                logger: logger
            )
            return ModemWorker(
                configuration: modem,
                enabled: !disabled.contains(modem.name),
                logger: logger,
                receive: { try await observer.received($0) },
                deliveryReport: { try await observer.deliveryReport($0) },
                stateChanged: { observer.stateChanged($0) },
                incomingCall: { observer.incomingCall(from: $0) }
            )
        }
    }

    /// Runs `services` until SIGTERM or SIGINT, then shuts them down gracefully, last first.
    static func runUntilSignalled(
        _ services: [any Service],
        configuration: GatewayConfiguration,
        logger: Logger
    ) async throws {
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        do {
            try await group.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw GatewayError(
                "cannot listen on \(configuration.http.host):\(configuration.http.port): the address is in use by another program; choose another with --http or http.listen"
            )
        }
    }

    static func urlHost(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }
}
