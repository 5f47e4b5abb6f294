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
import UnixSignals

/// A running gateway: store, modems (or the simulator), dispatcher and HTTP APIs under one service
/// group that shuts down gracefully on SIGTERM and SIGINT.
public enum Gateway {
    /// Starts everything `configuration` describes and runs until SIGTERM/SIGINT.
    ///
    /// - Parameter executable: how the `swiftlet` command is spelt in the hints it logs.
    public static func run(configuration: GatewayConfiguration, executable: String, logger: Logger) async throws {
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

        let (plugins, refusedPlugins) = try configuration.preparePlugins()
        for (id, reason) in refusedPlugins {
            logger.error("plugin \(id) is enabled but cannot be loaded: \(reason)", metadata: ["plugin": "\(id)"])
        }
        let events = EventBus()

        var services: [any Service] = []
        var modemConfigurations = configuration.modems
        var simulators: [(name: String, simulator: ModemSimulator)] = []
        if modemConfigurations.isEmpty {
            for number in 1...configuration.simulator.modems {
                let simulated = try ModemSimulator(settings: configuration.simulator, logger: logger)
                let name = number == 1 ? "simulator" : "simulator\(number)"
                simulators.append((name, simulated))
                services.append(SimulatorService(simulator: simulated))
                modemConfigurations.append(ModemConfiguration(name: name, device: simulated.devicePath))
            }
            let devices = simulators.map(\.simulator.devicePath).joined(separator: ", ")
            logger.notice(
                "no modem is configured: using \(simulators.count == 1 ? "a simulated modem" : "\(simulators.count) simulated modems") on \(devices); messages reach no phone (list them with '\(executable) sim received')"
            )
        }

        let disabled = try await store.disabledModems()
        let wakeup = Wakeup()
        let inbox = PublishingInbox(store: store, events: events, logger: logger)
        let modems = modemConfigurations.enumerated().map { index, modem in
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
        services += modems.map(ModemService.init)
        services.append(
            Housekeeping(
                inbox: inbox,
                multipartTimeout: configuration.multipartTimeout,
                events: store,
                logger: logger
            )
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
                modems: modems,
                settings: configuration.dispatcher,
                owner: configuration.nodeName,
                wakeup: wakeup,
                events: events,
                timeZone: configuration.timeZone,
                logger: logger
            )
        )

        let outbox = Outbox(
            store: store,
            modemCount: modems.count,
            timeZone: configuration.timeZone,
            didQueue: { wakeup.signalSoon() }
        )
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
                resolver: RecipientResolver(directory: store, timeZone: configuration.timeZone),
                logger: logger
            ),
            logger: logger
        )
        services.append(RuleService(engine: rules, events: events, kinds: ruleKinds))
        // One failed-login limiter for every way in: the HTTP APIs and plugins' own logins (SMTP AUTH).
        let limiter = AuthenticationLimiter(logger: logger)
        if !plugins.isEmpty {
            services.append(
                PluginService(
                    plugins: plugins,
                    digests: configuration.plugins.digests,
                    services: HostServices(
                        outbox: outbox,
                        phonebook: store,
                        recipients: RecipientResolver(directory: store, timeZone: configuration.timeZone),
                        state: store,
                        events: events,
                        inbox: inbox,
                        ruleKinds: ruleKinds,
                        health: store,
                        limiter: limiter
                    ),
                    logger: logger
                )
            )
        }
        let authenticator = Authenticator(
            users: store,
            limiter: limiter,
            trustedProxies: configuration.http.trustedProxies,
            logger: logger
        )
        let router = try await Self.router(
            configuration: configuration,
            outbox: outbox,
            store: store,
            modems: ModemPool(workers: modems, settings: store),
            authenticator: authenticator,
            rules: rules,
            simulators: simulators,
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
        logger.info("stopped")
    }

    static func urlHost(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }
}
