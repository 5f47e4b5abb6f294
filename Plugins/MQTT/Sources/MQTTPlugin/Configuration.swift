import Foundation

/// The plugin's section of the gateway configuration (see the manifest for every key's meaning).
public struct MQTTConfiguration: Decodable, Sendable {
    public var host: String?
    public var port: Int?
    public var clientId: String?
    public var cleanSession: Bool?
    public var username: String?
    public var password: String?
    public var `protocol`: String?
    public var keepalive: Int?
    public var reconnectMin: Int?
    public var reconnectMax: Int?
    public var sessionExpiry: Int?
    public var tls: TLS?
    public var subscribe: [Subscription]?
    public var forward: [Forward]?
    public var publishEvents: [EventPublication]?

    public struct TLS: Decodable, Sendable {
        public var enabled: Bool?
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?
        public var verify: Bool?
    }

    /// Topics whose messages become `mqtt.message` events for the rules.
    public struct Subscription: Decodable, Sendable {
        public var topic: String
        public var qos: Int?
        public var retained: Bool?
    }

    /// The shortcut: messages on a topic sent as SMS, without a rule.
    public struct Forward: Decodable, Sendable {
        public var topic: String
        public var qos: Int?
        public var retained: Bool?
        public var to: [String]?
        public var contacts: [String]?
        public var groups: [String]?
        public var text: String?
    }

    /// Gateway events published to MQTT (for dashboards).
    public struct EventPublication: Decodable, Sendable {
        public var event: String
        public var topic: String
        public var payload: String?
        public var qos: Int?
        public var retain: Bool?
    }
}

/// The configuration checked, with the defaults applied.
struct Settings: Sendable {
    struct Route: Sendable {
        var filter: String
        var qos: Int
        var acceptRetained: Bool
        /// nil: a rule trigger (`subscribe`); else a forward.
        var forward: Forward?
    }

    struct Forward: Sendable {
        var to: [String]
        var contacts: [String]
        var groups: [String]
        var text: TextTemplate
    }

    struct EventRoute: Sendable {
        var event: String
        var topic: TextTemplate
        var payload: TextTemplate?
        var qos: Int
        var retain: Bool
    }

    var connection: Mosquitto.Options
    var routes: [Route]
    var events: [EventRoute]

    var broker: String { "\(connection.host):\(connection.port)" }
    var protocolName: String { connection.protocolVersion5 ? "MQTT 5" : "MQTT 3.1.1" }

    static let coreEvents: Set<String> = ["sms.incoming", "sms.status", "modem.status", "call.incoming"]

    init(_ configuration: MQTTConfiguration) throws(MQTTError) {
        let tlsEnabled = configuration.tls.map { $0.enabled ?? true } ?? false
        let version = configuration.protocol ?? "3.1.1"
        guard version == "3.1.1" || version == "5" else {
            throw MQTTError("protocol: '\(version)' is not 3.1.1 or 5")
        }
        let cleanSession = configuration.cleanSession ?? false
        let clientID = configuration.clientId ?? "swiftlet-\(ProcessInfo.processInfo.hostName)"
        guard !clientID.isEmpty else { throw MQTTError("client_id: empty") }
        if configuration.password != nil, configuration.username == nil {
            throw MQTTError("password: given without username")
        }
        let reconnectMin = configuration.reconnectMin ?? 1
        let reconnectMax = configuration.reconnectMax ?? 60
        guard reconnectMin >= 1, reconnectMax >= reconnectMin else {
            throw MQTTError("reconnect_min and reconnect_max: 1 ≤ reconnect_min ≤ reconnect_max")
        }
        var tls: Mosquitto.Options.TLS?
        if tlsEnabled, let given = configuration.tls {
            for (key, path) in [("ca_file", given.caFile), ("cert_file", given.certFile), ("key_file", given.keyFile)] {
                if let path, !FileManager.default.isReadableFile(atPath: path) {
                    throw MQTTError("tls.\(key): cannot read \(path)")
                }
            }
            if (given.certFile == nil) != (given.keyFile == nil) {
                throw MQTTError("tls: cert_file and key_file go together")
            }
            tls = .init(
                caFile: given.caFile,
                certFile: given.certFile,
                keyFile: given.keyFile,
                verify: given.verify ?? true
            )
        }
        connection = Mosquitto.Options(
            host: configuration.host ?? "127.0.0.1",
            port: configuration.port ?? (tlsEnabled ? 8883 : 1883),
            clientID: clientID,
            cleanSession: cleanSession,
            username: configuration.username,
            password: configuration.password,
            protocolVersion5: version == "5",
            keepalive: configuration.keepalive ?? 60,
            reconnectMin: reconnectMin,
            reconnectMax: reconnectMax,
            tls: tls,
            sessionExpiry: UInt32(clamping: configuration.sessionExpiry ?? 7 * 86400)
        )

        routes = []
        for (index, subscription) in (configuration.subscribe ?? []).enumerated() {
            if let problem = Topics.filterProblem(subscription.topic) {
                throw MQTTError("subscribe[\(index)].topic: \(problem)")
            }
            routes.append(
                Route(
                    filter: subscription.topic,
                    qos: subscription.qos ?? 1,
                    acceptRetained: subscription.retained ?? false,
                    forward: nil
                )
            )
        }
        for (index, forward) in (configuration.forward ?? []).enumerated() {
            let key = "forward[\(index)]"
            if let problem = Topics.filterProblem(forward.topic) { throw MQTTError("\(key).topic: \(problem)") }
            let (to, contacts, groups) = (forward.to ?? [], forward.contacts ?? [], forward.groups ?? [])
            guard !(to.isEmpty && contacts.isEmpty && groups.isEmpty) else {
                throw MQTTError("\(key): give at least one of to, contacts and groups")
            }
            let text: TextTemplate
            do {
                text = try TextTemplate(forward.text ?? "{topic}: {payload}")
            } catch {
                throw MQTTError("\(key).text: \(error)")
            }
            routes.append(
                Route(
                    filter: forward.topic,
                    qos: forward.qos ?? 1,
                    acceptRetained: forward.retained ?? false,
                    forward: Forward(to: to, contacts: contacts, groups: groups, text: text)
                )
            )
        }
        events = []
        for (index, publication) in (configuration.publishEvents ?? []).enumerated() {
            let key = "publish_events[\(index)]"
            guard Self.coreEvents.contains(publication.event) || publication.event.contains(".") else {
                throw MQTTError("\(key).event: '\(publication.event)' is not an event kind (e.g. sms.status)")
            }
            do {
                events.append(
                    EventRoute(
                        event: publication.event,
                        topic: try TextTemplate(publication.topic),
                        payload: try publication.payload.map(TextTemplate.init),
                        qos: publication.qos ?? 1,
                        retain: publication.retain ?? false
                    )
                )
            } catch {
                throw MQTTError("\(key): \(error)")
            }
        }
    }

    /// What to subscribe to: each distinct filter once, at the highest QoS asked for it.
    var subscriptions: [(topic: String, qos: Int)] {
        var qos: [String: Int] = [:]
        var order: [String] = []
        for route in routes {
            if qos[route.filter] == nil { order.append(route.filter) }
            qos[route.filter] = max(qos[route.filter] ?? 0, route.qos)
        }
        return order.map { ($0, qos[$0]!) }
    }
}
