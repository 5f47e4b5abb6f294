import Foundation
import Hummingbird
import Logging
import ModemSimulator
import ServiceLifecycle
import SwiftletAPI
import SwiftletDomain
import SwiftletRules
import SwiftletStore
import SwiftletWeb

extension Gateway {
    /// Every HTTP API of the gateway on one router: APIv1 (and its `/index.php` aliases), APIv2,
    /// Pixie, brevis.one, the rules API, and the simulator's routes when modems are simulated.
    static func router(
        configuration: GatewayConfiguration,
        outbox: Outbox,
        store: SQLiteStore,
        modems: ModemPool,
        authenticator: Authenticator,
        rules: RuleEngine,
        simulators: [(name: String, simulator: ModemSimulator)],
        directories: (any ExternalDirectory)? = nil,
        web: WebGUI? = nil,
        monitoring: MonitoringRoutes? = nil,
        logger: Logger
    ) async throws -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: ConnectionCloseMiddleware())
        router.add(middleware: TransferCodingMiddleware())
        APIv1(
            outbox: outbox,
            store: store,
            users: store,
            modems: modems,
            phonebook: store,
            timeZone: configuration.timeZone,
            directories: directories,
            authenticator: authenticator,
            logger: logger
        )
        .addRoutes(to: router)
        APIv2(
            outbox: outbox,
            store: store,
            modems: modems,
            phonebook: store,
            webhooks: store,
            userAdmin: store,
            timeZone: configuration.timeZone,
            directories: directories,
            authenticator: authenticator,
            logger: logger
        )
        .addRoutes(to: router)
        PixieAPI(outbox: outbox, events: store, authenticator: authenticator, logger: logger).addRoutes(to: router)
        BrevisAPI(
            outbox: outbox,
            phonebook: store,
            timeZone: configuration.timeZone,
            directories: directories,
            authenticator: authenticator,
            sessions: await BrevisSessions(
                key: try SigningKey.load(directory: configuration.dataDirectory, name: "session.key"),
                users: store
            ),
            logger: logger
        )
        .addRoutes(to: router)
        RulesAPI(engine: rules, authenticator: authenticator, logger: logger).addRoutes(to: router)
        SensorsAPI(history: store, authenticator: authenticator, logger: logger).addRoutes(to: router)
        if !simulators.isEmpty { SimulatorRoutes(simulators: simulators).addRoutes(to: router) }
        monitoring?.addRoutes(to: router)
        web?.addRoutes(to: router, path: configuration.web.path, secureCookies: configuration.web.secureCookies)

        return router
    }

    /// The HTTP server: connection limits within the open-file limit, and the first-run hints in
    /// the log once it listens.
    static func httpServer(
        router: Router<GatewayRequestContext>,
        configuration: GatewayConfiguration,
        executable: String,
        simulated: Bool,
        logger: Logger
    ) -> some Service {
        let dataDirectory = configuration.dataDirectory
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
                if configuration.web.enabled {
                    logger.notice(
                        "web interface: \(base)\(configuration.web.path) (make its first admin with '\(executable) user add NAME --admin' and '\(executable) user set-password NAME')"
                    )
                }
                if simulated {
                    logger.notice("see what the simulated network received: \(executable) sim received --url \(base)")
                }
            },
            logger: logger
        )
        return app
    }
}
