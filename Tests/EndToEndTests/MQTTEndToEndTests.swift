import Foundation
import SwiftletDomain
import SwiftletStore
import TestSupport
import Testing

/// The MQTT plugin in a running gateway with its simulated modem, against a real mosquitto: the
/// README's three examples as written (only the port changed), health in `plugins list`, and a
/// gateway killed in the middle of a burst.
@Suite("MQTT bridge in a running gateway")
struct MQTTEndToEndTests {
    static let anna = "+46701230001"  // on call, an operator
    static let bert = "+46701230002"  // on call
    static let manager = "+46701230009"

    /// Example `n` of Plugins/MQTT/README.md, its port changed to the test broker's.
    func example(_ n: Int, broker: MosquittoBroker) throws -> String {
        let readme = try String(
            contentsOf: GatewayProcess.packageRoot.appendingPathComponent("Plugins/MQTT/README.md"),
            encoding: .utf8
        )
        guard let marker = readme.range(of: "<!-- example \(n) -->\n```yaml\n"),
            let end = readme.range(of: "```\n", range: marker.upperBound..<readme.endIndex)
        else { throw TestFailure("no example \(n) in Plugins/MQTT/README.md") }
        let yaml = String(readme[marker.upperBound..<end.lowerBound])
        #expect(yaml.contains("port: 1883\n"))
        return yaml.replacingOccurrences(of: "port: 1883\n", with: "port: \(broker.port)\n")
    }

    func start(_ yaml: String, broker: MosquittoBroker, plugins: String, gateway: GatewayProcess) async throws {
        try await gateway.start(config: "plugin_directory: \(plugins)\n" + yaml)
        try await gateway.waitForLog("connected to 127.0.0.1:\(broker.port)")
    }

    /// A gateway with the staged plugins, the phonebook seeded, running README example `n`.
    func startExample(_ n: Int, broker: MosquittoBroker) async throws -> (GatewayProcess, plugins: String) {
        let plugins = try stagedPluginDirectory()
        let gateway = try GatewayProcess()
        try await seedPhonebook(gateway)
        try await start(try example(n, broker: broker), broker: broker, plugins: plugins, gateway: gateway)
        return (gateway, plugins)
    }

    /// Anna and Bert in `oncall`, Anna in `operators`, the facility manager a contact.
    func seedPhonebook(_ gateway: GatewayProcess) async throws {
        let store = try SQLiteStore(directory: gateway.dataDirectory)
        let visible = Visibility(isPublic: true, ownerID: nil)
        let oncall = try await store.createGroup(name: "oncall", visibility: visible)
        let operators = try await store.createGroup(name: "operators", visibility: visible)
        let anna = try await store.createContact(name: "Anna", number: PhoneNumber(Self.anna)!, visibility: visible)
        let bert = try await store.createContact(name: "Bert", number: PhoneNumber(Self.bert)!, visibility: visible)
        _ = try await store.createContact(
            name: "Facility manager",
            number: PhoneNumber(Self.manager)!,
            visibility: visible
        )
        try await store.setMembership(contactID: anna, groupIDs: [oncall, operators], member: true, viewerID: nil)
        try await store.setMembership(contactID: bert, groupIDs: [oncall], member: true, viewerID: nil)
    }

    func received(_ gateway: GatewayProcess, count: Int) async throws -> [[String: Any]] {
        try await eventually("\(count) message(s) received by the simulated network") {
            let list = try gateway.simulatorReceived()
            return list.count >= count ? list : nil
        }
    }

    func texts(_ list: [[String: Any]]) -> [String] {
        list.compactMap { message in
            guard let to = message["recipient"] as? String, let text = message["text"] as? String else { return nil }
            return "\(to): \(text)"
        }.sorted()
    }

    @Test("README example 1: an alarm topic to the on-call group; a retained alarm is not sent; HEALTH in plugins list")
    func forwardExample() async throws {
        let broker = try await MosquittoBroker()
        try await broker.start()
        try await broker.publish("alarms/boiler9/temperature", #"{"value": 70, "unit": "C"}"#, retain: true)
        let (gateway, plugins) = try await startExample(1, broker: broker)
        defer {
            gateway.stop()
            try? FileManager.default.removeItem(atPath: plugins)
        }

        try await broker.publish("alarms/boiler1/temperature", #"{"value": 82.5, "unit": "C"}"#)
        let list = try await received(gateway, count: 2)
        #expect(texts(list) == ["\(Self.anna): ALARM boiler1: 82.5 C", "\(Self.bert): ALARM boiler1: 82.5 C"])
        try await Task.sleep(for: .seconds(1))
        #expect(try gateway.simulatorReceived().count == 2, "the retained alarm was sent")
        #expect(gateway.log.contains("ignored a retained message on alarms/boiler9/temperature"))

        let listed = try GatewayProcess.run([
            "plugins", "list", "--data-dir", gateway.dataDirectory, "--config",
            gateway.dataDirectory + "-swiftlet.yaml",
        ])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(
            listed.stdout.contains("ok: connected to 127.0.0.1:\(broker.port) (MQTT 3.1.1, new session)"),
            "\(listed.stdout)"
        )

        broker.stop()
        try await gateway.waitForLog("lost the connection to 127.0.0.1:\(broker.port)")
        let down = try GatewayProcess.run([
            "plugins", "list", "--data-dir", gateway.dataDirectory, "--config",
            gateway.dataDirectory + "-swiftlet.yaml",
        ])
        #expect(down.stdout.contains("down: "), "\(down.stdout)")
        try await broker.start()
        try await gateway.waitForLog("(MQTT 3.1.1, session resumed)")
    }

    @Test("README example 2: a rule with a threshold and hysteresis escalates to the on-call group once per crossing")
    func thresholdExample() async throws {
        let broker = try await MosquittoBroker()
        try await broker.start()
        let (gateway, plugins) = try await startExample(2, broker: broker)
        defer {
            gateway.stop()
            try? FileManager.default.removeItem(atPath: plugins)
        }
        try await gateway.waitForRule("freezer-too-warm")

        for celsius in [-20, -12, -11] {
            try await broker.publish("plant/freezer1/temperature", #"{"celsius": \#(celsius)}"#)
        }
        let first = try await received(gateway, count: 2)
        #expect(
            texts(first) == [
                "\(Self.anna): freezer1 is at -12 C (reply ACK)", "\(Self.bert): freezer1 is at -12 C (reply ACK)",
            ]
        )
        try await broker.publish("plant/fridge2/temperature", #"{"celsius": 9}"#)  // not a freezer
        for celsius in [-19, -14] {
            try await broker.publish("plant/freezer1/temperature", #"{"celsius": \#(celsius)}"#)
        }
        let second = try await received(gateway, count: 4)
        #expect(texts(second).filter { $0.contains("-14") }.count == 2)
        try await Task.sleep(for: .seconds(1))
        #expect(try gateway.simulatorReceived().count == 4)
    }

    @Test(
        "README example 3: an operator's SMS commands a pump over MQTT and is answered; the reply's status is published"
    )
    func commandExample() async throws {
        let broker = try await MosquittoBroker()
        try await broker.start()
        let watcher = try await broker.subscriber("#")
        let (gateway, plugins) = try await startExample(3, broker: broker)
        defer {
            gateway.stop()
            try? FileManager.default.removeItem(atPath: plugins)
        }
        try await gateway.waitForRule("pump-command")

        let stranger = try GatewayProcess.run([
            "sim", "inject", "--url", gateway.baseURL, "--from", "+46709999999", "RESET PUMP 4",
        ])
        #expect(stranger.status == 0)
        let injected = try GatewayProcess.run([
            "sim", "inject", "--url", gateway.baseURL, "--from", Self.anna, "RESET PUMP 3",
        ])
        #expect(injected.status == 0, "\(injected.stderr)")
        let reply = try await received(gateway, count: 1)
        #expect(texts(reply) == ["\(Self.anna): RESET sent to pump 3"])
        let lines = try await eventually("the command and the reply's status, got \(watcher.lines)") {
            () -> [String]? in
            let lines = watcher.lines
            return lines.contains("plant/pump/3/command RESET") && lines.contains { $0.hasSuffix("/status sent") }
                ? lines : nil
        }
        #expect(!lines.contains { $0.hasPrefix("plant/pump/4/") }, "a stranger's command was published")
        #expect(lines.contains { $0.firstMatch(of: /^swiftlet\/sms\/\d+\/status sent$/) != nil }, "\(lines)")
    }

    @Test(
        "a gateway killed with SIGKILL in the middle of a burst of 1,000 alarms: after the restart every one is queued, none twice"
    )
    func killedMidBurst() async throws {
        let broker = try await MosquittoBroker()
        try await broker.start()
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let gateway = try GatewayProcess()
        let yaml = """
            simulator:
              send_delay: 1s
            plugins:
              mqtt:
                port: \(broker.port)
                client_id: burst
                forward:
                  - topic: burst
                    to: ["+46701239999"]
                    text: "{payload}"
            """
        try await start(yaml, broker: broker, plugins: plugins, gateway: gateway)
        let store = try SQLiteStore(directory: gateway.dataDirectory)
        /// The texts of every queued message. Keyed by id: the folders are read one after the other
        /// while the modem sends, so a message moving from outbox to sentitems can be read twice.
        func queued() async throws -> [String] {
            var texts: [MessageID: String] = [:]
            for folder in [Folder.outbox, .sentitems, .sendingerror] {
                for message in try await store.outgoing(matching: MessageQuery(folder: folder)) {
                    texts[message.id] = message.payload.listedText
                }
            }
            return Array(texts.values)
        }

        let start = ContinuousClock.now
        try await broker.publish("burst", (1...1000).map { "alarm \($0)" })
        let published = ContinuousClock.now - start
        let before = try await eventually("a third of the burst queued") { () -> Int? in
            let count = try await queued().count
            return count >= 300 ? count : nil
        }
        gateway.kill()
        let atKill = try await queued().count
        #expect(atKill < 1000, "the burst was over before the kill; the test proves nothing")

        try await gateway.start(config: "plugin_directory: \(plugins)\n" + yaml)
        defer { gateway.stop() }
        let all = try await eventually(timeout: .seconds(120), "1,000 queued") { () -> [String]? in
            let texts = try await queued()
            return texts.count >= 1000 ? texts : nil
        }
        let elapsed = ContinuousClock.now - start
        try await Task.sleep(for: .seconds(2))  // time for a duplicate to show
        let final = try await queued()
        #expect(final.count == 1000, "\(final.count - 1000) duplicate(s)")
        #expect(Set(final) == Set((1...1000).map { "alarm \($0)" }))
        let recognised = gateway.log.components(separatedBy: "it was handled already").count - 1
        print(
            "MQTT → queue through a real gateway: 1,000 QoS 1 messages published in \(published); \(before) queued when killed (\(atKill) on disk), all \(all.count) queued \(elapsed) after the first publication; \(recognised) redelivery(ies) recognised after the restart"
        )
    }
}
