import Foundation
import Logging
import ModemSimulator
import SwiftletDomain
import SwiftletModem
import SwiftletPluginHost
import SwiftletRules
import SwiftletStore

/// Everything `swiftlet serve` can be told. Every field has a default, so an empty file (or none)
/// runs a complete gateway: SQLite in the data directory, HTTP on 127.0.0.1:8080, and a simulated
/// modem while no modem is configured.
public struct GatewayConfiguration: Sendable, Equatable {
    public struct HTTP: Sendable, Equatable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// Reverse proxies whose `X-Forwarded-For` names the client (for the failed-login limiter).
        public var trustedProxies: [IPNetwork] = []
        /// Connections served at once; more are closed at once (and logged) rather than queued.
        public var maxConnections = 10_000
        /// A request's head must arrive within this time of the connection's first byte (or of the
        /// previous answer), and its body within `bodyTimeout` of the head.
        public var headerTimeout: Duration = .seconds(10)
        public var bodyTimeout: Duration = .seconds(60)
        /// A kept-alive connection with no request for this long is closed.
        public var idleTimeout: Duration = .seconds(60)
    }

    public struct Dispatcher: Sendable, Equatable {
        /// How long a claim on a message lasts before another node may take it.
        public var lease: Duration = .seconds(300)
        /// Attempts before a message goes to `sendingerror`.
        public var maxAttempts = 3
        /// Ask the network for a status report on every message, so sentitems shows whether it was delivered.
        public var deliveryReports = true
        /// Failed sends in a row after which a modem is benched (its messages go through the others).
        public var benchAfter = 3
        /// How long a benched modem rests.
        public var benchFor: Duration = .seconds(300)
        /// Wait before a failed attempt is retried.
        public var retryDelay: Duration = .seconds(30)
        /// How often the queue is checked for work this process was not told about: messages queued
        /// by another process (`swiftlet send`) and claims of other nodes whose lease ran out.
        public var sweepInterval: Duration = .seconds(2)
        /// A transport provider (a plugin, ABI 1.4) that sends SMS beside the modems; nil: modems only.
        public var transport: String?
        /// How the transport is used.
        public var transportUse: TransportUse = .fallback
        /// `fallback`: an SMS that has waited this long goes to the transport (at once when no modem is ready).
        public var transportAfter: Duration = .seconds(300)
        /// How long the transport may take to answer; after that the message is failed, not sent again.
        public var transportTimeout: Duration = .seconds(60)
        /// The modem number (the APIs' `modem_no`, rules' `modem:`) that routes a message to the
        /// transport, whatever `transportUse` says; above the modems' numbers. nil: none.
        public var transportModemNumber: Int?
        /// Once the transport's costs this calendar month reach this, it takes only messages of
        /// `transportUrgentPriority` or more. nil: no cap.
        public var transportMonthlyCap: Double?
        /// The priority (0-9) that counts as urgent for `transportMonthlyCap`.
        public var transportUrgentPriority = 9
        /// Times a text-to-speech call is placed while the callee is busy or does not answer.
        public var callAttempts = 3
        /// Wait before a busy or unanswered call is placed again.
        public var callRetryDelay: Duration = .seconds(60)
        /// How long a call rings before it counts as not answered.
        public var callRingTime: Duration = .seconds(30)
        /// Who places wake-up calls (APIv2 `calls/ring`, APIv1 `ring_call`): a modem, or the voice provider.
        public var ringVia: RingVia = .modem
    }

    public enum RingVia: String, Sendable, CaseIterable {
        case modem, voice
    }

    public enum TransportUse: String, Sendable, CaseIterable {
        /// SMS go to the transport while it is ready; the modems send them only when it is not.
        case primary
        /// The modems send SMS; the transport takes those that waited `transport_after`, and all of
        /// them while no modem is ready.
        case fallback
    }

    /// How webhooks are retried: `firstRetry` after the first failure, then twice as long each time
    /// up to `maxRetryInterval`, until `giveUpAfter` since the event.
    public struct Webhooks: Sendable, Equatable {
        public var firstRetry: Duration = .seconds(5)
        public var maxRetryInterval: Duration = .seconds(3600)
        public var giveUpAfter: Duration = .seconds(24 * 3600)
        /// How long one attempt may take.
        public var timeout: Duration = .seconds(10)
        /// Internal destinations (loopback, private, link-local…) webhooks may reach; every other
        /// internal address is refused, checked on the address actually connected to.
        public var allowedNetworks: [IPNetwork] = []
    }

    /// The web interface for admins and users.
    public struct Web: Sendable, Equatable {
        /// Whether the pages are served at all (the APIs are served either way).
        public var enabled = true
        /// Where the pages are, beside the APIs; starts and ends with `/`.
        public var path = "/"
        /// Whether the session cookie is sent only over HTTPS. Set it behind a TLS-terminating proxy;
        /// off by default, because the gateway itself serves plain HTTP.
        public var secureCookies = false
    }

    /// Monitoring over HTTP: Prometheus metrics, and the status `swiftlet status` shows.
    /// How long sensors' readings are kept, and how finely.
    public struct SensorHistorySettings: Sendable, Equatable {
        /// How often each sensor's reading is recorded.
        public var resolution: Duration = .seconds(60)
        /// How long readings are kept at `resolution`; then as averages over `bucket`.
        public var rawFor: Duration = .seconds(7 * 86400)
        public var bucket: Duration = .seconds(15 * 60)
        /// How long anything is kept.
        public var keepFor: Duration = .seconds(365 * 86400)
    }

    public struct Metrics: Sendable, Equatable {
        /// Whether `path` serves the Prometheus exposition (the status for `swiftlet status` is
        /// served either way, to holders of the data directory's status key).
        public var enabled = true
        public var path = "/metrics"
        /// When set, a scrape must send `Authorization: Bearer <token>`.
        public var token: String?
    }

    /// The configuration file these settings came from; nil for the embedded defaults. Plugins
    /// enabled from the web interface are written into `plugins.d` beside it.
    public var file: String?
    public var dataDirectory: String
    public var http = HTTP()
    public var web = Web()
    public var metrics = Metrics()
    public var sensorHistory = SensorHistorySettings()
    /// The plugin directory, the digest allow-list, and the enabled plugins with their sections.
    public var plugins = PluginSettings()
    public var logLevel: Logger.Level = .info
    /// The time zone of API dates (`date`, `datefrom`, …) and listed times.
    public var timeZone: TimeZone = .current
    public var synchronous: SQLiteStore.Synchronous = .full
    /// Names this gateway in queue claims; stable across restarts so a restart takes its own claims back.
    public var nodeName: String
    public var dispatcher = Dispatcher()
    public var webhooks = Webhooks()
    /// Real modems. When empty, one simulated modem is started.
    public var modems: [ModemConfiguration] = []
    public var simulator = SimulatorSettings()
    /// How long the parts of a concatenated message are kept waiting for the rest before the message
    /// goes to the inbox incomplete, its missing parts marked.
    public var multipartTimeout: Duration = .seconds(3600)
    /// The rules of the configuration file (`rules:`); more are added through the API.
    public var rules: [Rule] = []

    public init(dataDirectory: String = Self.defaultDataDirectory, nodeName: String = Self.defaultNodeName) {
        self.dataDirectory = dataDirectory
        self.nodeName = nodeName
    }

    /// `/var/lib/swiftlet` for root (as the Debian package runs it); else `$XDG_DATA_HOME/swiftlet`
    /// (`~/.local/share/swiftlet`).
    public static var defaultDataDirectory: String {
        if getuid() == 0 { return "/var/lib/swiftlet" }
        let environment = ProcessInfo.processInfo.environment
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/swiftlet" }
        return (environment["HOME"] ?? ".") + "/.local/share/swiftlet"
    }

    public static var defaultNodeName: String { ProcessInfo.processInfo.hostName }
}

extension GatewayConfiguration {
    /// The enabled plugins that can be loaded, each section checked against its manifest's schema,
    /// and those that cannot (with the reason). A section that does not match its schema is a
    /// configuration error like any other.
    public func preparePlugins() throws -> (ready: [PreparedPlugin], refused: [(id: String, reason: String)]) {
        do {
            return try plugins.prepare()
        } catch {
            throw ConfigurationError(file: error.file, line: error.line, key: error.key, reason: error.reason)
        }
    }
}
