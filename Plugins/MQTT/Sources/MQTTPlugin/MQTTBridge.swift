import Foundation
import SwiftletPluginSDK

/// Plugin `mqtt`: MQTT → SMS (rule trigger `mqtt.message`, and `forward` shortcuts) and SMS → MQTT
/// (rule action `mqtt.publish`, and `publish_events`), through libmosquitto.
public final class MQTTBridge: Plugin {
    public typealias Configuration = MQTTConfiguration
    public static let id = "mqtt"
    public static let version = "1.0.0"

    static let messageKind = "mqtt.message"
    static let connectionKind = "mqtt.connection"
    static let publishKind = "mqtt.publish"
    static let publishSchema = """
        {"type": "object", "additionalProperties": false, "required": ["topic"], "properties": {
          "topic": {"type": "string", "minLength": 1, "description": "The topic; placeholders of the event filled in."},
          "payload": {"type": "string", "description": "The payload; default: the event's fields as a JSON object."},
          "qos": {"type": "integer", "minimum": 0, "maximum": 2},
          "retain": {"type": "boolean"}}}
        """

    let bridge: Bridge
    let host: any PluginHost

    public init(configuration: Configuration, host: any PluginHost) throws {
        self.host = host
        self.bridge = Bridge(settings: try Settings(configuration), host: host)
    }

    public func start() async throws {
        let settings = bridge.settings
        try host.registerRuleKind(Self.messageKind, role: .trigger, schema: nil)
        try host.registerRuleKind(Self.connectionKind, role: .trigger, schema: nil)
        try host.registerRuleKind(Self.publishKind, role: .action, schema: Self.publishSchema)
        for kind in Set(settings.events.map(\.event)) { try host.subscribe(kind) }
        try await bridge.load()
        let bridge = self.bridge
        let mosquitto = try Mosquitto(
            options: settings.connection,
            onEvent: { event in PluginThreads.wait { await bridge.handle(event) } },
            onMessage: { message in PluginThreads.wait { await bridge.received(message) } }
        )
        await bridge.attach(mosquitto)
        host.reportHealth(.down, "connecting to \(settings.broker)")
        mosquitto.start()
        host.log(
            .info,
            "MQTT bridge to \(settings.broker) (\(settings.protocolName), client id \(settings.connection.clientID), \(settings.connection.cleanSession ? "clean session" : "persistent session"))"
        )
    }

    public func handle(_ event: Event) async {
        await bridge.handle(event)
    }

    public func stop() async {
        guard let mosquitto = await bridge.stopping() else { return }
        await PluginThreads.detached { mosquitto.stop() }
    }
}

/// A message to publish, kept in the plugin's durable state until the broker has it.
struct Publication: Codable, Sendable, Equatable {
    var topic: String
    var payload: String
    var qos: Int
    var retain: Bool
}

/// The bridge's state: the connection, the durable queue of publications, and what was received.
actor Bridge {
    let settings: Settings
    let host: any PluginHost
    private var client: Mosquitto?
    private var connected = false
    private var stopped = false
    /// Why the last attempt failed, so that the "connection lost" after a refusal does not hide it.
    private var refusal: String?

    // Durable state (keys of the plugin's store):
    //   out.head        the sequence number of the oldest publication not yet acknowledged
    //   out/<seq>       a publication (JSON), seq from out.head up
    //   in.recent       the last messages received (JSON), to recognise redeliveries
    private var head = 0
    private var tail = 0
    private var queued: [Int: Publication] = [:]
    private var inFlight: (seq: Int, mid: Int, qos: Int)?
    private var redeliveries = Redeliveries()

    init(settings: Settings, host: any PluginHost) {
        self.settings = settings
        self.host = host
    }

    static func key(_ seq: Int) -> String { "out/\(seq)" }

    /// Reads the queue left by the last run.
    func load() async throws {
        head = Int(try await host.stateValue(forKey: "out.head") ?? "") ?? 0
        if let recent = try await host.stateValue(forKey: "in.recent") {
            redeliveries = Redeliveries(
                records: try JSONDecoder().decode([Redeliveries.Record].self, from: Data(recent.utf8))
            )
        }
        tail = head
        while let value = try await host.stateValue(forKey: Self.key(tail)) {
            queued[tail] = try JSONDecoder().decode(Publication.self, from: Data(value.utf8))
            tail += 1
        }
        if tail > head {
            host.log(.notice, "\(tail - head) publication(s) kept from the last run wait for the broker")
        }
    }

    func attach(_ client: Mosquitto) { self.client = client }

    /// Stops publishing; the client, for the caller to disconnect.
    func stopping() -> Mosquitto? {
        stopped = true
        return client
    }

    // MARK: The connection

    func handle(_ event: Mosquitto.Event) async {
        switch event {
        case .unreachable(let problem):
            report(
                .down,
                "cannot connect to \(settings.broker): \(problem); retrying with backoff up to \(settings.connection.reconnectMax) s"
            )
        case .connected(let sessionPresent):
            connected = true
            refusal = nil
            redeliveries.connected(resumed: sessionPresent && !settings.connection.cleanSession)
            if !sessionPresent {
                if let problem = client?.subscribe(settings.subscriptions) { host.log(.error, problem) }
            }
            let session =
                settings.connection.cleanSession ? "clean session" : sessionPresent ? "session resumed" : "new session"
            report(.ok, "connected to \(settings.broker) (\(settings.protocolName), \(session))")
            announce("connected", detail: session)
            pump()
        case .refused(let reason):
            refusal = reason
            report(
                .down,
                "\(settings.broker) refused the connection: \(reason); retrying with backoff up to \(settings.connection.reconnectMax) s"
            )
            if connected { announce("disconnected", detail: reason) }
            connected = false
        case .lost(let reason):
            let wasConnected = connected
            connected = false
            // QoS 0 is not kept by libmosquitto: send it again after reconnecting.
            if let flight = inFlight, flight.qos == 0 { inFlight = nil }
            guard !stopped else { return }
            if refusal == nil {
                let waiting = tail - head
                report(
                    .down,
                    "lost the connection to \(settings.broker) (\(reason)); reconnecting\(waiting > 0 ? ", \(waiting) publication(s) kept meanwhile" : "")"
                )
            }
            if wasConnected { announce("disconnected", detail: reason) }
        case .published(let mid, let failure):
            await published(mid: mid, failure: failure)
        }
    }

    private func report(_ health: PluginHealth, _ detail: String) { host.reportHealth(health, detail) }

    /// The `mqtt.connection` trigger.
    private func announce(_ state: String, detail: String) {
        let body: [String: String] = ["state": state, "broker": settings.broker, "detail": detail]
        try? host.publish(MQTTBridge.connectionKind, json: JSONEncoder().encode(body))
    }

    // MARK: MQTT → SMS

    /// Handles a received message; true when it may be acknowledged (handled and committed, or
    /// deliberately ignored).
    func received(_ message: Mosquitto.Message) async -> Bool {
        let routes = settings.routes.filter { Topics.matches($0.filter, message.topic) }
        let accepted = routes.filter { !message.retained || $0.acceptRetained }
        guard !accepted.isEmpty else {
            if !routes.isEmpty {
                host.log(
                    .info,
                    "ignored a retained message on \(message.topic) (retained messages are not alarms; set retained: true to accept them)"
                )
            }
            return true
        }
        var key: String?
        if message.qos > 0, !settings.connection.cleanSession {
            switch redeliveries.received(
                mid: message.mid,
                digest: Redeliveries.digest(topic: message.topic, payload: message.payload)
            ) {
            case .duplicate:
                host.log(
                    .info,
                    "\(message.topic): the broker offered message \(message.mid) again; it was handled already"
                )
                return true
            case .handle(let given):
                key = given
                guard await remember() else { return false }
            }
        }
        var fields: [String: JSONValue]?
        var triggered = false
        for (index, route) in accepted.enumerated() {
            let routeFields = fields ?? Topics.fields(message, filter: route.filter)
            fields = routeFields
            do {
                if let forward = route.forward {
                    let text = forward.text.render(routeFields.mapValues(\.text))
                    // The key makes a redelivery after a crash (SMS committed, PUBACK not yet written)
                    // queue nothing: the gateway stores it with the messages, atomically.
                    let ids = try await host.send(
                        OutgoingSMS(
                            to: forward.to,
                            contacts: forward.contacts,
                            groups: forward.groups,
                            text: OutgoingSMS.clip(text),
                            key: key.map { "\($0):\(index)" }
                        )
                    )
                    host.log(.info, "\(message.topic) → SMS \(ids.map(String.init).joined(separator: ", "))")
                } else if !triggered {
                    triggered = true
                    let rules = try await host.publishAndWait(
                        MQTTBridge.messageKind,
                        json: JSONEncoder().encode(routeFields)
                    )
                    host.log(
                        rules.isEmpty ? .debug : .info,
                        "\(message.topic): \(rules.isEmpty ? "no rule matched" : "fired \(rules.joined(separator: ", "))")"
                    )
                }
            } catch let error as PluginError where error.code == .unavailable || error.code == .internalError {
                host.log(
                    .error,
                    "\(message.topic): not handled (\(error.detail)); not acknowledged, the broker will offer it again"
                )
                return false
            } catch {
                host.log(.error, "\(message.topic): \(error); acknowledged, as trying again would not help")
            }
        }
        if key != nil {
            redeliveries.finished(mid: message.mid)
            _ = await remember()
        }
        return true
    }

    /// Keeps what was received durably; false (and logged) when it could not be.
    private func remember() async -> Bool {
        do {
            let data = try JSONEncoder().encode(redeliveries.records)
            try await host.setState(String(decoding: data, as: UTF8.self), forKey: "in.recent")
            return true
        } catch {
            host.log(
                .error,
                "cannot record a received message (\(error)); not acknowledged, the broker will offer it again"
            )
            return false
        }
    }

    // MARK: SMS → MQTT

    func handle(_ event: Event) async {
        if event.kind == MQTTBridge.publishKind {
            await action(event)
            return
        }
        let routes = settings.events.filter { $0.event == event.kind }
        guard !routes.isEmpty else { return }
        let fields = Self.fields(of: event.json)
        for route in routes {
            let payload = route.payload?.render(fields) ?? String(decoding: event.json, as: UTF8.self)
            await enqueue(
                Publication(topic: route.topic.render(fields), payload: payload, qos: route.qos, retain: route.retain)
            )
        }
    }

    private func action(_ event: Event) async {
        struct Parameters: Decodable {
            var topic: String
            var payload: String?
            var qos: Int?
            var retain: Bool?
        }
        guard let body = try? JSONDecoder().decode(RuleActionEvent<Parameters>.self, from: event.json) else {
            host.log(
                .error,
                "mqtt.publish: an action the plugin does not understand: \(String(decoding: event.json, as: UTF8.self))"
            )
            return
        }
        let payload: String
        if let given = body.parameters.payload {
            payload = given
        } else {
            var document = body.event
            document["rule"] = body.rule
            let data = (try? JSONEncoder.sorted.encode(document)) ?? Data("{}".utf8)
            payload = String(decoding: data, as: UTF8.self)
        }
        await enqueue(
            Publication(
                topic: body.parameters.topic,
                payload: payload,
                qos: body.parameters.qos ?? 1,
                retain: body.parameters.retain ?? false
            ),
            rule: body.rule
        )
    }

    /// An event's members as texts (nested ones as `a.b`), for templates.
    static func fields(of json: Data) -> [String: String] {
        guard case .object(let object)? = try? JSONDecoder().decode(JSONTree.self, from: json) else { return [:] }
        var fields: [String: JSONValue] = [:]
        Topics.flatten(object, prefix: "", into: &fields)
        return fields.mapValues(\.text)
    }

    /// Keeps a publication durably, then publishes when its turn comes.
    func enqueue(_ publication: Publication, rule: String? = nil) async {
        let origin = rule.map { " (rule \($0))" } ?? ""
        if let problem = Topics.topicProblem(publication.topic) {
            host.log(.error, "not published\(origin): \(problem)")
            return
        }
        do {
            let seq = tail
            try await host.setState(
                String(decoding: try JSONEncoder().encode(publication), as: UTF8.self),
                forKey: Self.key(seq)
            )
            tail = seq + 1
            queued[seq] = publication
        } catch {
            host.log(.error, "cannot keep a publication to \(publication.topic)\(origin): \(error); it is lost")
            return
        }
        pump()
    }

    /// Publishes the oldest publication not yet acknowledged, one at a time, so that they arrive in order.
    private func pump() {
        guard connected, !stopped, inFlight == nil, head < tail, let publication = queued[head], let client else {
            return
        }
        switch client.publish(
            topic: publication.topic,
            payload: Array(publication.payload.utf8),
            qos: publication.qos,
            retain: publication.retain
        ) {
        case .success(let mid): inFlight = (head, mid, publication.qos)
        case .failure(let error):
            host.log(.warning, "publishing to \(publication.topic): \(error); trying again when connected")
        }
    }

    private func published(mid: Int, failure: String?) async {
        guard let flight = inFlight, flight.mid == mid else { return }
        if let failure, let publication = queued[flight.seq] {
            host.log(.error, "\(settings.broker) refused the publication to \(publication.topic): \(failure); dropped")
        }
        do {
            try await host.setState(String(flight.seq + 1), forKey: "out.head")
            try await host.removeState(forKey: Self.key(flight.seq))
        } catch {
            host.log(
                .warning,
                "cannot record a publication as done (\(error)); it may be published again after a restart"
            )
        }
        queued[flight.seq] = nil
        head = flight.seq + 1
        inFlight = nil
        pump()
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
