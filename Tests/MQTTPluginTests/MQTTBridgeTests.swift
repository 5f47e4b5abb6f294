import Foundation
import MQTTPlugin
import SwiftletPluginTestKit
import TestSupport
import Testing

/// The plugin against a real mosquitto (started per test on loopback), with the SDK's FakeHost as
/// the gateway: what it queues, publishes, keeps and reports.
@Suite("MQTT bridge against a real mosquitto")
struct MQTTBridgeTests {
    /// The plugin configured for `broker` (user, and TLS with its CA unless `tls` is false) with `extra` keys.
    func plugin(
        _ broker: MosquittoBroker,
        host: FakeHost,
        _ extra: String = "",
        id: String = "gw-test",
        tls: Bool = true
    ) throws -> MQTTBridge {
        let user = broker.user.map { #""username": "\#($0.name)", "password": "\#($0.password)","# } ?? ""
        let tls = broker.tls && tls ? #""tls": {"ca_file": "\#(broker.caFile)"},"# : ""
        let json =
            #"{"host": "127.0.0.1", "port": \#(broker.port), "client_id": "\#(id)", \#(user) \#(tls) \#(extra) "reconnect_max": 1}"#
        return try host.makePlugin(MQTTBridge.self, configuration: json)
    }

    func connected(_ host: FakeHost) async throws {
        _ = try await eventually("connected; health: \(host.healthReports.map(\.detail))") {
            host.healthReports.last.flatMap { $0.health == .ok ? true : nil }
        }
    }

    @Test("forward: a JSON alarm becomes an SMS from the template; a retained alarm is not re-sent after a reconnect")
    func forward() async throws {
        let broker = try await MosquittoBroker()
        try await broker.start()
        try await broker.publish("alarms/boiler0/temperature", #"{"value": 70}"#, retain: true)  // yesterday's
        let host = FakeHost()
        host.addContact(name: "Ada", number: "+46700000001", groups: ["oncall"])
        let bridge = try plugin(
            broker,
            host: host,
            // A clean session subscribes anew after the restart, so the broker (which keeps its
            // retained messages on disk) offers yesterday's alarm again: the case to guard.
            #""clean_session": true, "forward": [{"topic": "alarms/+/temperature", "groups": ["oncall"], "text": "ALARM {topic_2}: {value} C"}],"#
        )
        try await bridge.start()
        try await connected(host)
        try await broker.publish("alarms/boiler1/temperature", #"{"value": 82.5, "unit": "C"}"#)
        let sent = try await eventually(
            "an SMS; logs: \(host.logs.map(\.message)) health: \(host.healthReports.map(\.detail))"
        ) { host.sent.first }
        #expect(sent.groups == ["oncall"])
        #expect(sent.text == "ALARM boiler1: 82.5 C")
        #expect(host.logs.contains { $0.message.contains("ignored a retained message on alarms/boiler0/temperature") })

        let reportsBefore = host.healthReports.count
        broker.stop()  // the broker restarts; its retained message is offered again on subscribing
        try await broker.start()
        // A report from after the restart, not the one from before it.
        _ = try await eventually("connected again; health: \(host.healthReports.map(\.detail))") {
            host.healthReports.dropFirst(reportsBefore).contains { $0.health == .ok } ? true : nil
        }
        // The retained alarm was offered again and ignored: seen, not merely not yet arrived.
        _ = try await eventually("the retained alarm offered again; logs: \(host.logs.map(\.message))") {
            host.logs.filter { $0.message.contains("ignored a retained message on alarms/boiler0/temperature") }.count
                >= 2 ? true : nil
        }
        try await broker.publish("alarms/boiler2/temperature", #"{"value": 90}"#)
        _ = try await eventually("the second SMS") { host.sent.count == 2 ? true : nil }
        #expect(host.sent.map(\.text) == ["ALARM boiler1: 82.5 C", "ALARM boiler2: 90 C"])
        await bridge.stop()
    }

    @Test("subscribe: messages become mqtt.message events with the topic, levels, payload and JSON members")
    func trigger() async throws {
        let broker = try await MosquittoBroker()
        try await broker.start()
        let host = FakeHost()
        host.answerPublishAndWait { _ in ["alarm"] }
        let bridge = try plugin(broker, host: host, #""subscribe": [{"topic": "plant/#", "qos": 1}],"#)
        try await bridge.start()
        #expect(host.ruleKinds == ["mqtt.message": .trigger, "mqtt.connection": .trigger, "mqtt.publish": .action])
        try await connected(host)
        try await broker.publish("plant/pump3/state", #"{"state": "fault", "sensor": {"id": 7}}"#)
        let event = try await eventually("an mqtt.message") { host.published.first { $0.kind == "mqtt.message" } }
        let fields = try #require(try JSONSerialization.jsonObject(with: event.json) as? [String: Any])
        #expect(fields["topic"] as? String == "plant/pump3/state")
        #expect(fields["topic_2"] as? String == "pump3")
        #expect(fields["filter"] as? String == "plant/#")
        #expect(fields["state"] as? String == "fault")
        #expect(fields["sensor.id"] as? Int == 7)
        #expect(fields["retained"] as? Bool == false)
        #expect(host.published.contains { $0.kind == "mqtt.connection" })
        await bridge.stop()
    }

    @Test(
        "a message whose SMS cannot be committed is not acknowledged: the broker offers it again, and it is sent once"
    )
    func acknowledgedOnlyWhenCommitted() async throws {
        let broker = try await MosquittoBroker()
        try await broker.start()
        let host = FakeHost()
        let bridge = try plugin(broker, host: host, #""forward": [{"topic": "alarms/#", "to": ["+46700000001"]}],"#)
        try await bridge.start()
        try await connected(host)
        host.failRequests(with: PluginError(.unavailable, "the store is unavailable"))
        try await broker.publish("alarms/door", "open")
        _ = try await eventually("the refusal in the log") {
            host.logs.contains { $0.message.contains("not acknowledged, the broker will offer it again") } ? true : nil
        }
        #expect(host.sent.isEmpty)
        host.failRequests(with: nil)
        _ = try await eventually("the SMS after the broker offered it again") { host.sent.first }
        // A message published after it arrives after any further offer of the first.
        try await broker.publish("alarms/sentinel", "last")
        _ = try await eventually("the sentinel") { host.sent.count >= 2 ? true : nil }
        #expect(host.sent.map(\.text) == ["alarms/door: open", "alarms/sentinel: last"])
        await bridge.stop()
    }

    /// The `mqtt.publish` action a rule would hand the plugin for the n-th incoming SMS.
    func action(_ n: Int, qos: Int = 1) throws -> Event {
        try Event(
            kind: "mqtt.publish",
            json: JSONSerialization.data(withJSONObject: [
                "rule": "relay", "parameters": ["topic": "swiftlet/sms/\(n)", "qos": qos] as [String: Any],
                "event": ["from": "+46700000002", "text": "RESET PUMP \(n)"],
            ])
        )
    }

    @Test("the broker restarted mid-stream, both ways: nothing lost, nothing twice")
    func restartMidStream() async throws {
        let broker = try await MosquittoBroker()
        try await broker.start()
        let watcher = try await broker.subscriber("swiftlet/#", qos: 2)
        let host = FakeHost()
        let bridge = try plugin(
            broker,
            host: host,
            #""forward": [{"topic": "stream", "to": ["+46700000005"], "text": "{payload}"}],"#
        )
        try await bridge.start()
        try await connected(host)
        // 1–300 reach the broker at once; it is stopped while they are still being delivered, so
        // some are handled and acknowledged, some handled with the PUBACK lost, some still queued.
        try await broker.publish("stream", (1...300).map { "m\($0)" })
        for n in 1...30 { await bridge.handle(try action(n, qos: 2)) }
        broker.stop()
        for n in 31...60 { await bridge.handle(try action(n, qos: 2)) }
        try await broker.start()
        try await broker.publish("stream", (301...400).map { "m\($0)" })
        _ = try await eventually(timeout: .seconds(30), "400 SMS, got \(host.sent.count)") {
            host.sent.count >= 400 ? true : nil
        }
        _ = try await eventually(timeout: .seconds(30), "60 publications, got \(watcher.lines.count)") {
            watcher.lines.count >= 60 ? true : nil
        }
        // A message published last arrives after any duplicate the broker would still offer.
        try await broker.publish("stream", ["sentinel"])
        _ = try await eventually("the sentinel") { host.sent.last?.text == "sentinel" ? true : nil }
        #expect(host.sent.map(\.text) == (1...400).map { "m\($0)" } + ["sentinel"])
        #expect(watcher.lines.map { String($0.split(separator: " ")[0]) } == (1...60).map { "swiftlet/sms/\($0)" })
        print(
            "restart mid-stream: the broker offered \(host.logs.filter { $0.message.contains("handled already") }.count) message(s) again, dropped as duplicates"
        )
        await bridge.stop()
    }

    @Test("mqtt.publish refuses a topic with + or #, or an empty one (as a capture may make it), and keeps nothing")
    func publishRefusesWildcardTopics() async throws {
        let broker = try await MosquittoBroker()
        try await broker.start()
        let watcher = try await broker.subscriber("swiftlet/#")
        // mosquitto_sub subscribes in its own time: probe until it hears.
        _ = try await eventually("the watcher subscribed") {
            try await broker.publish("swiftlet/probe", "x")
            return watcher.lines.contains { $0.hasPrefix("swiftlet/probe ") } ? true : nil
        }
        let host = FakeHost()
        let bridge = try plugin(broker, host: host)
        try await bridge.start()
        try await connected(host)
        for topic in ["swiftlet/sms/#", "swiftlet/+/x", "swiftlet/a+b", ""] {
            await bridge.handle(
                try Event(
                    kind: "mqtt.publish",
                    json: JSONSerialization.data(withJSONObject: [
                        "rule": "relay", "parameters": ["topic": topic] as [String: Any],
                        "event": ["from": "+46700000002", "text": "RESET"],
                    ])
                )
            )
        }
        let refusals = host.logs.filter { $0.message.hasPrefix("not published (rule relay): ") }.map(\.message)
        #expect(refusals.count == 4, "\(host.logs.map(\.message))")
        #expect(refusals.filter { $0.contains("contains a wildcard (+ or #)") }.count == 3)
        #expect(refusals.last == "not published (rule relay): an empty topic")
        #expect(host.stateValues.keys.filter { $0.hasPrefix("out/") }.isEmpty)
        // A valid topic after them is published: the refusals were not lost in a stalled queue.
        await bridge.handle(try action(1))
        _ = try await eventually("the valid publication, got \(watcher.lines)") {
            watcher.lines.contains { $0.hasPrefix("swiftlet/sms/1 ") } ? true : nil
        }
        #expect(watcher.lines.filter { !$0.hasPrefix("swiftlet/probe ") }.count == 1, "\(watcher.lines)")
        await bridge.stop()
    }

    @Test("mqtt.publish and publish_events: kept durably while the broker is away, published in order when it returns")
    func publications() async throws {
        let broker = try await MosquittoBroker()
        try await broker.start()
        let watcher = try await broker.subscriber("swiftlet/#")
        let host = FakeHost()
        let bridge = try plugin(
            broker,
            host: host,
            #""publish_events": [{"event": "sms.status", "topic": "swiftlet/status/{id}", "payload": "{status}"}],"#
        )
        try await bridge.start()
        #expect(host.subscriptions == ["sms.status"])
        try await connected(host)
        await bridge.handle(try action(1))
        await bridge.handle(try Event(kind: "sms.status", json: Data(#"{"id": 12, "status": "delivered"}"#.utf8)))
        _ = try await eventually("two publications, got \(watcher.lines)") { watcher.lines.count == 2 ? true : nil }
        #expect(watcher.lines[0] == #"swiftlet/sms/1 {"event":"…"}"# || watcher.lines[0].hasPrefix("swiftlet/sms/1 {"))
        #expect(watcher.lines[0].contains(#""text":"RESET PUMP 1""#))
        #expect(watcher.lines[1] == "swiftlet/status/12 delivered")

        broker.stop()
        _ = try await eventually("the connection lost") { host.healthReports.last?.health == .down ? true : nil }
        for n in 2...6 { await bridge.handle(try action(n)) }
        #expect(host.stateValues.keys.filter { $0.hasPrefix("out/") }.count == 5)
        await bridge.stop()

        // A new instance (the gateway restarted) finds them in its state and publishes them in order.
        try await broker.start()
        let again = try plugin(broker, host: host)
        try await again.start()
        _ = try await eventually("seven publications, got \(watcher.lines)") { watcher.lines.count == 7 ? true : nil }
        #expect(
            watcher.lines.suffix(5).map { String($0.split(separator: " ")[0]) } == (2...6).map { "swiftlet/sms/\($0)" }
        )
        _ = try await eventually("the queue emptied") {
            host.stateValues.keys.contains { $0.hasPrefix("out/") } ? nil : true
        }
        await again.stop()
    }

    @Test("a wrong password is reported and retried, not a crash; the right one connects")
    func authentication() async throws {
        let broker = try await MosquittoBroker(user: ("gateway", "s3cret"))
        try await broker.start()
        let host = FakeHost()
        let wrong = try host.makePlugin(
            MQTTBridge.self,
            configuration:
                #"{"port": \#(broker.port), "client_id": "wrong", "username": "gateway", "password": "nope", "reconnect_max": 1}"#
        )
        try await wrong.start()
        let refusal = try await eventually("a refusal") {
            host.healthReports.last { $0.detail.contains("refused the connection") }
        }
        #expect(refusal.health == .down)
        #expect(
            refusal.detail.contains("not authorised") || refusal.detail.contains("Not authorized"),
            "\(refusal.detail)"
        )
        #expect(!host.logs.contains { $0.message.contains("nope") })
        _ = try await eventually(timeout: .seconds(10), "a second refused attempt (retried)") {
            broker.log.components(separatedBy: "not authorised").count > 2 ? true : nil
        }
        await wrong.stop()

        let right = FakeHost()
        let bridge = try plugin(broker, host: right)
        try await bridge.start()
        try await connected(right)
        await bridge.stop()
    }

    @Test("TLS: the broker's certificate is verified against the configured CA; another CA is refused")
    func tls() async throws {
        let broker = try await MosquittoBroker(tls: true)
        try await broker.start()
        let host = FakeHost()
        let bridge = try plugin(broker, host: host, #""forward": [{"topic": "t", "to": ["+46700000003"]}],"#)
        try await bridge.start()
        try await connected(host)
        try await broker.publish("t", "over TLS")
        _ = try await eventually("an SMS over TLS") { host.sent.first }
        await bridge.stop()

        let other = try await MosquittoBroker(tls: true)  // its CA did not sign this broker's certificate
        let refused = FakeHost()
        let untrusting = try refused.makePlugin(
            MQTTBridge.self,
            configuration:
                #"{"port": \#(broker.port), "client_id": "untrusting", "tls": {"ca_file": "\#(other.caFile)"}, "reconnect_max": 1}"#
        )
        try await untrusting.start()
        _ = try await eventually("the refusal reported") {
            refused.healthReports.contains { $0.detail.contains("certificate verify failed") } ? true : nil
        }
        #expect(!refused.healthReports.contains { $0.health == .ok })
        let last = try #require(refused.healthReports.last)
        #expect(last.health == .down)
        #expect(last.detail.contains("certificate verify failed"), "\(last.detail)")
        await untrusting.stop()
    }

    @Test(
        "TLS with a client certificate: a broker that requires one refuses the gateway without it and accepts it with it"
    )
    func clientCertificate() async throws {
        let broker = try await MosquittoBroker(tls: true, requireCertificate: true)
        try await broker.start()
        let without = FakeHost()
        let refused = try plugin(broker, host: without, id: "no-certificate")
        try await refused.start()
        let report = try await eventually("a failed attempt") {
            without.healthReports.last { $0.health == .down && $0.detail.contains("cannot connect") }
        }
        #expect(!without.healthReports.contains { $0.health == .ok }, "\(report.detail)")
        await refused.stop()

        let with = FakeHost()
        let (cert, key) = broker.clientCertificate
        let bridge = try plugin(
            broker,
            host: with,
            #""tls": {"ca_file": "\#(broker.caFile)", "cert_file": "\#(cert)", "key_file": "\#(key)"}, "forward": [{"topic": "t", "to": ["+46700000006"]}],"#,
            id: "with-certificate",
            tls: false
        )
        try await bridge.start()
        try await connected(with)
        try await broker.publish("t", "with a certificate")
        _ = try await eventually("an SMS") { with.sent.first }
        await bridge.stop()
    }

    @Test(
        "MQTT 5 with a persistent session: what arrives while the gateway is away is delivered when it returns (session expiry)"
    )
    func mqtt5() async throws {
        let broker = try await MosquittoBroker()
        try await broker.start()
        let host = FakeHost()
        let forward =
            #""protocol": "5", "forward": [{"topic": "alarms/#", "to": ["+46700000007"], "text": "{payload}"}],"#
        let first = try plugin(broker, host: host, forward, id: "gw-v5")
        try await first.start()
        try await connected(host)
        #expect(host.healthReports.last?.detail.contains("MQTT 5, new session") == true)
        try await broker.publish("alarms/a", "one")
        _ = try await eventually("the first SMS") { host.sent.first }
        await first.stop()

        try await broker.publish("alarms/b", "two, while the gateway was away")
        let second = try plugin(broker, host: host, forward, id: "gw-v5")
        try await second.start()
        _ = try await eventually("the SMS kept by the broker, got \(host.sent.map(\.text))") {
            host.sent.count == 2 ? true : nil
        }
        #expect(host.sent.map(\.text) == ["one", "two, while the gateway was away"])
        #expect(host.healthReports.last?.detail.contains("MQTT 5, session resumed") == true)
        await second.stop()
    }

    @Test("a burst of 1,000 QoS 1 messages: every one becomes an SMS, none twice")
    func burst() async throws {
        let broker = try await MosquittoBroker()
        try await broker.start()
        let host = FakeHost()
        let bridge = try plugin(
            broker,
            host: host,
            #""forward": [{"topic": "burst", "to": ["+46700000004"], "text": "{payload}"}],"#
        )
        try await bridge.start()
        try await connected(host)
        let start = ContinuousClock.now
        try await broker.publish("burst", (1...1000).map { "alarm \($0)" })
        _ = try await eventually(timeout: .seconds(60), "1,000 SMS, got \(host.sent.count)") {
            host.sent.count >= 1000 ? true : nil
        }
        print("MQTT bridge (FakeHost): 1,000 messages in \(ContinuousClock.now - start)")
        try await broker.publish("burst", ["sentinel"])
        _ = try await eventually("the sentinel") { host.sent.last?.text == "sentinel" ? true : nil }
        #expect(host.sent.map(\.text) == (1...1000).map { "alarm \($0)" } + ["sentinel"])
        await bridge.stop()
    }

    @Test("configuration mistakes are refused with the key and the reason")
    func configuration() throws {
        let host = FakeHost()
        #expect(throws: MQTTError.self) {
            try host.makePlugin(MQTTBridge.self, configuration: #"{"forward": [{"topic": "a/#/b", "to": ["1"]}]}"#)
        }
        do {
            _ = try host.makePlugin(MQTTBridge.self, configuration: #"{"forward": [{"topic": "a/b"}]}"#)
            Issue.record("a forward without recipients was accepted")
        } catch {
            #expect("\(error)" == "forward[0]: give at least one of to, contacts and groups")
        }
        do {
            _ = try host.makePlugin(MQTTBridge.self, configuration: #"{"password": "x"}"#)
            Issue.record("a password without user was accepted")
        } catch {
            #expect("\(error)" == "password: given without username")
        }
    }
}
