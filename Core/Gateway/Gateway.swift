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
        let queue: any OutboxQueue = store
        let modems = modemConfigurations.enumerated().map { index, modem in
            ModemWorker(
                configuration: modem,
                enabled: !disabled.contains(modem.name),
                logger: logger,
                receive: { sms in
                    let part = sms.concatenation.map {
                        MessagePart(reference: $0.reference, total: $0.total, sequence: $0.sequence)
                    }
                    let id = try await inbox.store(
                        NewIncomingMessage(
                            sender: sms.sender,
                            text: sms.text,
                            sentAt: Date(timeIntervalSince1970: TimeInterval(sms.sentAt.secondsSince1970)),
                            serviceCentre: sms.serviceCentre,
                            unicode: sms.unicode,
                            modem: modem.name,
                            part: part
                        )
                    )
                    if let id {
                        logger.info(
                            "received message \(id) from \(sms.sender)",
                            metadata: ["modem": "\(modem.name)", "message.id": "\(id)"]
                        )
                    } else if let part {
                        logger.info(
                            "received part \(part.sequence) of \(part.total) from \(sms.sender); waiting for the rest",
                            metadata: ["modem": "\(modem.name)"]
                        )
                    }
                },
                deliveryReport: { report in
                    let recorded = try await queue.recordDeliveryReport(
                        DeliveryReport(
                            modem: modem.name,
                            reference: report.messageReference,
                            recipient: report.recipient.description,
                            status: Int(report.status),
                            at: Date(timeIntervalSince1970: TimeInterval(report.dischargeTime.secondsSince1970))
                        )
                    )
                    guard let (id, delivery) = recorded else {
                        logger.notice(
                            "status report for reference \(report.messageReference) to \(report.recipient) matches no sent message",
                            metadata: ["modem": "\(modem.name)"]
                        )
                        return
                    }
                    let detail = delivery == .failed ? " (status 0x\(String(report.status, radix: 16)))" : ""
                    if delivery != .pending {
                        events.publish(
                            kind: MessageStatusEvent.kind,
                            body: MessageStatusEvent(
                                id: Int(id),
                                to: report.recipient.description,
                                status: delivery == .delivered ? .delivered : .undelivered,
                                at: Date(),
                                modem: modem.name
                            )
                        )
                    }
                    logger.info(
                        "message \(id) \(delivery == .delivered ? "delivered" : delivery == .failed ? "not delivered" : "still pending")\(detail)",
                        metadata: ["modem": "\(modem.name)", "message.id": "\(id)"]
                    )
                },
                stateChanged: { state in
                    wakeup.signalSoon()
                    let (name, detail): (ModemStatusEvent.State, String) =
                        switch state {
                        case .ready: (.ready, "")
                        case .connecting: (.connecting, "")
                        case .down(let reason): (.down, reason)
                        case .disabled: (.down, "disabled by the admin")
                        }
                    events.publish(
                        kind: ModemStatusEvent.kind,
                        body: ModemStatusEvent(modem: modem.name, modemNo: index + 1, state: name, detail: detail)
                    )
                },
                incomingCall: { number in
                    let event: [String: String] = [
                        "from": number, "modem": modem.name, "at": ISO8601DateFormatter().string(from: Date()),
                    ]
                    if let json = try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]) {
                        events.publish(kind: "call.incoming", json: json)
                    }
                }
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
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: ConnectionCloseMiddleware())
        router.add(middleware: TransferCodingMiddleware())
        let modemPool = ModemPool(workers: modems, settings: store)
        let authenticator = Authenticator(
            users: store,
            limiter: limiter,
            trustedProxies: configuration.http.trustedProxies,
            logger: logger
        )
        APIv1(
            outbox: outbox,
            store: store,
            users: store,
            modems: modemPool,
            phonebook: store,
            timeZone: configuration.timeZone,
            authenticator: authenticator,
            logger: logger
        )
        .addRoutes(to: router)
        APIv2(
            outbox: outbox,
            store: store,
            modems: modemPool,
            phonebook: store,
            webhooks: store,
            userAdmin: store,
            timeZone: configuration.timeZone,
            authenticator: authenticator,
            logger: logger
        )
        .addRoutes(to: router)
        PixieAPI(outbox: outbox, events: store, authenticator: authenticator, logger: logger).addRoutes(to: router)
        BrevisAPI(
            outbox: outbox,
            phonebook: store,
            timeZone: configuration.timeZone,
            authenticator: authenticator,
            sessions: await BrevisSessions(
                key: try SigningKey.load(directory: configuration.dataDirectory, name: "session.key"),
                users: store
            ),
            logger: logger
        )
        .addRoutes(to: router)
        RulesAPI(engine: rules, authenticator: authenticator, logger: logger).addRoutes(to: router)
        if !simulators.isEmpty { SimulatorRoutes(simulators: simulators).addRoutes(to: router) }

        let dataDirectory = configuration.dataDirectory
        let simulated = !simulators.isEmpty
        var http = configuration.http
        let openFiles = raiseOpenFileLimit()
        if http.maxConnections > openFiles - 256 {
            // Descriptors beyond the connections: the store, modems, plugins, outgoing webhooks.
            http.maxConnections = max(openFiles - 256, 64)
            logger.warning(
                "HTTP: fewer open files allowed than http.max_connections; serving fewer connections",
                metadata: ["open_files": "\(openFiles)", "max_connections": "\(http.maxConnections)"]
            )
        }
        let app = Application(
            router: router,
            server: HTTPConnectionLimits(http, logger: logger).server,
            configuration: .init(
                address: .hostname(configuration.http.host, port: configuration.http.port),
                serverName: "Swiftlet"
            ),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.http.port
                let base = "http://\(Self.urlHost(configuration.http.host)):\(port)"
                logger.info("HTTP API listening on \(base)")
                logger.notice(
                    """
                    send a first SMS: curl "\(base)/http_api/send_sms?access_token=$(\(executable) token create --data-dir \
                    '\(dataDirectory)')&to=%2B15551234567&message=Hello+from+Swiftlet"
                    """
                )
                if simulated {
                    logger.notice("see what the simulated network received: \(executable) sim received --url \(base)")
                }
            },
            logger: logger
        )
        services.append(app)

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
