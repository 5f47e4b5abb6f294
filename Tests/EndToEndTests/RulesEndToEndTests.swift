import Foundation
import NIOHTTP1
import SwiftletDomain
import SwiftletStore
import TestSupport
import Testing

/// The rule engine in a running gateway, driven through the simulated modem: SMS and calls in,
/// alarms out, acknowledgements, restarts, plugins' kinds, and the rules API.
@Suite("rules in a running gateway")
struct RulesEndToEndTests {
    static let olle = "+46701110001"  // on the on-call shift
    static let lead = "+46701110002"  // the team lead, a contact
    static let last = "+46701110003"
    static let reporter = "+46705551234"

    /// An admin's token for the rules API.
    func adminToken(_ gateway: GatewayProcess) throws -> String {
        let added = try GatewayProcess.run(["user", "add", "boss", "--admin", "--data-dir", gateway.dataDirectory])
        #expect(added.status == 0, "\(added.stderr)")
        return try gateway.createToken(user: "boss")
    }

    /// Olle on the shift `oncall` (on duty all week), and the contact `Lead`.
    func seedPhonebook(_ gateway: GatewayProcess) async throws {
        let store = try SQLiteStore(directory: gateway.dataDirectory)
        let olle = try await store.createContact(
            name: "Olle",
            number: PhoneNumber(Self.olle)!,
            visibility: Visibility(isPublic: true, ownerID: nil)
        )
        _ = try await store.createContact(
            name: "Lead",
            number: PhoneNumber(Self.lead)!,
            visibility: Visibility(isPublic: true, ownerID: nil)
        )
        let shift = try await store.createShift(
            Shift(id: 0, name: "oncall", enabled: true, days: Array(repeating: DayHours(from: 0, to: 0), count: 7))
        )
        try await store.setShiftMembership(contactID: olle, shiftIDs: [shift], member: true, viewerID: nil)
    }

    /// Office hours (UTC) that do not include the present: from two to three hours from now.
    static var officeHours: (from: String, to: String) {
        let minutes = Int(Date().timeIntervalSince1970 / 60) % (24 * 60)
        func clock(_ value: Int) -> String { String(format: "%02d:%02d", value / 60 % 24, value % 60) }
        return (clock(minutes + 120), clock(minutes + 180))
    }

    static func config(secondWait: String = "60s", firstWait: String = "3s") -> String {
        """
        time_zone: UTC
        rules:
          - name: after-hours-alarm
            on: sms.incoming
            if:
              - {field: text, contains: ALARM}
              - not: {time: {days: [mon, tue, wed, thu, fri], from: "\(officeHours.from)", to: "\(officeHours.to)"}}
            then:
              - escalate:
                  text: "ALARM from {sender}: {text}"
                  ack: {keyword: ACK, call: true}
                  steps:
                    - {shift: oncall, wait: \(firstWait)}
                    - {contacts: [Lead], wait: \(secondWait)}
                    - {to: ["\(last)"], wait: 60s}
        """
    }

    func received(_ gateway: GatewayProcess, count: Int) async throws -> [[String: Any]] {
        try await eventually("\(count) message(s) received by the simulated network") {
            let list = try gateway.simulatorReceived()
            return list.count >= count ? list : nil
        }
    }

    func inject(_ gateway: GatewayProcess, from: String, _ text: String) throws {
        let result = try GatewayProcess.run(["sim", "inject", "--url", gateway.baseURL, "--from", from, text])
        #expect(result.status == 0, "\(result.stderr)")
    }

    func json(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    /// When the active escalation's current wait ends: the next step is due then.
    func nextStepAt(_ gateway: GatewayProcess, token: String) async throws -> Date {
        let (status, body) = try await gateway.request("/swiftlet/v1/escalations", method: .GET, token: token)
        #expect(status == 200)
        let escalation = try #require((try json(body) as? [[String: Any]])?.first)
        let text = try #require(escalation["next_at"] as? String, "no next step: \(escalation)")
        return try #require(ISO8601DateFormatter().date(from: text))
    }

    /// Waits until a step due at `date` would have been sent (the engine ticks every second), so a
    /// count read afterwards shows whether the acknowledgement really stopped the chain.
    func holdPast(_ date: Date) async throws {
        let left = date.timeIntervalSinceNow + 3
        if left > 0 { try await Task.sleep(for: .milliseconds(Int(left * 1000))) }
    }

    @Test(
        "an ALARM outside office hours goes to the on-call shift, escalates to the lead, and stops when the lead replies ACK"
    )
    func escalationAcknowledgedBySMS() async throws {
        let gateway = try GatewayProcess()
        try await seedPhonebook(gateway)
        let token = try adminToken(gateway)
        try await gateway.start(config: Self.config(secondWait: "10s"))
        defer { gateway.stop() }

        try inject(gateway, from: Self.reporter, "ALARM boiler pressure")
        let first = try await received(gateway, count: 1)
        #expect(first.first?["recipient"] as? String == Self.olle)
        #expect(first.first?["text"] as? String == "ALARM from \(Self.reporter): ALARM boiler pressure")
        let second = try await received(gateway, count: 2)
        #expect(second.last?["recipient"] as? String == Self.lead)
        let stepThreeDue = try await nextStepAt(gateway, token: token)

        try inject(gateway, from: Self.lead, "ack on my way")
        try await gateway.waitForLog(
            saying: "escalation acknowledged",
            ["by": Self.lead, "how": "by SMS", "step": "2"]
        )
        let (status, body) = try await gateway.request("/swiftlet/v1/escalations", method: .GET, token: token)
        #expect(status == 200)
        let escalation = try #require((try json(body) as? [[String: Any]])?.first)
        #expect(escalation["state"] as? String == "acknowledged")
        #expect(escalation["acknowledged_by"] as? String == Self.lead)
        #expect(escalation["step"] as? Int == 2)
        #expect(escalation["alerted"] as? [String] == [Self.olle, Self.lead])

        let history = try await gateway.request("/swiftlet/v1/rules/history", method: .GET, token: token)
        let firing = try #require((try json(history.body) as? [[String: Any]])?.first)
        #expect(firing["rule"] as? String == "after-hours-alarm")
        #expect((firing["matched"] as? [String])?.first == "text contains 'ALARM'")
        #expect((firing["outcomes"] as? [String])?.first?.hasPrefix("escalation 1 started") == true)
        // Nobody further down the chain was alerted, after step 3 would have been sent.
        try await holdPast(stepThreeDue)
        #expect(try gateway.simulatorReceived().count == 2)
    }

    @Test("a call from the lead acknowledges the escalation at step 2")
    func escalationAcknowledgedByCall() async throws {
        let gateway = try GatewayProcess()
        try await seedPhonebook(gateway)
        let token = try adminToken(gateway)
        try await gateway.start(config: Self.config(secondWait: "10s"))
        defer { gateway.stop() }

        try inject(gateway, from: Self.reporter, "ALARM door open")
        _ = try await received(gateway, count: 2)
        let stepThreeDue = try await nextStepAt(gateway, token: token)
        let call = try GatewayProcess.run(["sim", "call", "--url", gateway.baseURL, "--from", Self.lead])
        #expect(call.status == 0, "\(call.stderr)")
        try await gateway.waitForLog(
            saying: "escalation acknowledged",
            ["by": Self.lead, "how": "by a call", "step": "2"]
        )
        try await holdPast(stepThreeDue)
        #expect(try gateway.simulatorReceived().count == 2)
    }

    @Test(
        "a gateway restarted in the middle of an escalation continues it at the right step, without alerting step 1 again"
    )
    func escalationSurvivesRestart() async throws {
        let gateway = try GatewayProcess()
        try await seedPhonebook(gateway)
        let token = try adminToken(gateway)
        let config = Self.config(secondWait: "10s", firstWait: "8s")
        try await gateway.start(config: config)
        try inject(gateway, from: Self.reporter, "ALARM restart test")
        _ = try await received(gateway, count: 1)
        #expect(gateway.stop() == 0)

        try await gateway.start(config: config)
        defer { gateway.stop() }
        try await gateway.waitForLog(
            saying: "escalation continues",
            ["escalation": "1", "rule": "after-hours-alarm", "step": "1", "steps": "3"]
        )
        // The new process's simulated network starts empty: the next message is step 2's, to the lead.
        let after = try await received(gateway, count: 1)
        #expect(after.map { $0["recipient"] as? String } == [Self.lead])
        let stepThreeDue = try await nextStepAt(gateway, token: token)

        let ack = try await gateway.request(
            "/swiftlet/v1/escalations/1/ack",
            method: .POST,
            token: token,
            body: #"{"by": "Night operator"}"#
        )
        #expect(ack.status == 200, "\(ack.body)")
        let escalation = try #require(try json(ack.body) as? [String: Any])
        #expect(escalation["state"] as? String == "acknowledged")
        #expect(escalation["acknowledged_by"] as? String == "Night operator")
        let again = try await gateway.request("/swiftlet/v1/escalations/1/ack", method: .POST, token: token)
        #expect(again.status == 409)
        try await holdPast(stepThreeDue)
        #expect(try gateway.simulatorReceived().count == 1)
    }

    @Test(
        "the C example's trigger (hello.pong) fires a rule, and a rule's action (hello.say) reaches the plugin, which sends it"
    )
    func pluginTriggerAndAction() async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let gateway = try GatewayProcess()
        let token = try adminToken(gateway)
        try await gateway.start(
            config: """
                plugin_directory: \(plugins)
                plugins:
                  hello:
                rules:
                  - name: pong-seen
                    on: hello.pong
                    then:
                      - send_sms: {to: ["+46705550099"], text: "a pong was answered ({answered})"}
                  - name: say
                    on: api
                    then:
                      - hello.say: {to: "+46705550098", text: "said by C: {what}"}
                  - name: say-wrong
                    on: api
                    then:
                      - hello.say: {text: "no recipient"}
                """
        )
        defer { gateway.stop() }
        try await gateway.waitForLog(saying: "registered a rule kind", ["kind": "hello.say", "role": "action"])
        _ = try await eventually("the rule say to run") { () -> Bool? in
            let list = try await gateway.request("/swiftlet/v1/rules", method: .GET, token: token)
            let rules = try json(list.body) as? [[String: Any]]
            return rules?.first { $0["name"] as? String == "say" }?["status"] as? String == "active" ? true : nil
        }

        try inject(gateway, from: "+46705550002", "ping")
        let afterPing = try await received(gateway, count: 2)
        #expect(
            Set(afterPing.compactMap { $0["text"] as? String }) == ["PONG", "a pong was answered (true)"]
        )

        let fired = try await gateway.request(
            "/swiftlet/v1/rules/say/fire",
            method: .POST,
            token: token,
            body: #"{"what": "hello from a rule"}"#
        )
        #expect(fired.status == 200, "\(fired.body)")
        let afterSay = try await received(gateway, count: 3)
        #expect(afterSay.last?["recipient"] as? String == "+46705550098")
        #expect(afterSay.last?["text"] as? String == "said by C: hello from a rule")

        let list = try await gateway.request("/swiftlet/v1/rules", method: .GET, token: token)
        let rules = try #require(try json(list.body) as? [[String: Any]])
        let wrong = try #require(rules.first { $0["name"] as? String == "say-wrong" })
        #expect((wrong["status"] as? String)?.contains("hello.say: to: required") == true, "\(wrong)")
    }

    @Test("rules through the API: add as YAML, list, fire, disable, remove; mistakes and strangers refused")
    func managementAPI() async throws {
        let gateway = try GatewayProcess()
        let token = try adminToken(gateway)
        let plain = try gateway.createToken(user: "api")
        try await gateway.start()
        defer { gateway.stop() }

        let rule = """
            on: api
            if: {field: level, above: 3}
            then:
              - send_sms: {to: ["+46705550077"], text: "level {level} at {site}"}
            """
        let put = try await gateway.request("/swiftlet/v1/rules/level", method: .PUT, token: token, body: rule)
        #expect(put.status == 200, "\(put.body)")
        #expect((try json(put.body) as? [String: Any])?["created"] as? Bool == true)

        let low = try await gateway.request(
            "/swiftlet/v1/rules/level/fire",
            method: .POST,
            token: token,
            body: #"{"level": 2, "site": "north"}"#
        )
        #expect((try json(low.body) as? [String: Any])?["fired"] as? Bool == false)
        let high = try await gateway.request(
            "/swiftlet/v1/rules/level/fire",
            method: .POST,
            token: token,
            body: #"{"level": 5, "site": "north"}"#
        )
        #expect((try json(high.body) as? [String: Any])?["fired"] as? Bool == true)
        let sent = try await received(gateway, count: 1)
        #expect(sent.first?["text"] as? String == "level 5 at north")

        let disable = try await gateway.request("/swiftlet/v1/rules/level/disable", method: .POST, token: token)
        #expect(disable.status == 200)
        let refused = try await gateway.request(
            "/swiftlet/v1/rules/level/fire",
            method: .POST,
            token: token,
            body: "{}"
        )
        #expect(refused.status == 400)
        #expect(refused.body.contains("disabled"))

        let bad = try await gateway.request(
            "/swiftlet/v1/rules/bad",
            method: .PUT,
            token: token,
            body: "on: sms.incoming\nthen:\n  - reply: \"{nope}\"\n"
        )
        #expect(bad.status == 400)
        #expect(bad.body.contains("then[0].reply (line 3): {nope} is not a placeholder"), "\(bad.body)")

        #expect(try await gateway.request("/swiftlet/v1/rules", method: .GET, token: nil).status == 401)
        #expect(try await gateway.request("/swiftlet/v1/rules", method: .GET, token: plain).status == 403)
        #expect(try await gateway.request("/swiftlet/v1/rules/none", method: .DELETE, token: token).status == 404)
        let removed = try await gateway.request("/swiftlet/v1/rules/level", method: .DELETE, token: token)
        #expect(removed.status == 200)
        let list = try await gateway.request("/swiftlet/v1/rules", method: .GET, token: token)
        #expect((try json(list.body) as? [Any])?.isEmpty == true)
        #expect(!gateway.log.contains(token))
    }

    /// A web server on loopback (Python's http.server) that answers 500 to the first POST and 200 to
    /// the rest, and writes each body it got to a file, one per line. Its port is written to a file
    /// too (a pipe would be inherited and keep the test runner waiting should the test fail).
    func webhookReceiver() async throws -> (process: Process, port: Int, bodies: String) {
        let bodies = FileManager.default.temporaryDirectory.appendingPathComponent("hook-\(UUID().uuidString)").path
        let script = """
            import http.server, sys
            class H(http.server.BaseHTTPRequestHandler):
                count = 0
                def do_POST(self):
                    body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                    H.count += 1
                    with open(sys.argv[1], "a") as f: f.write(body + "\\n")
                    self.send_response(500 if H.count == 1 else 200)
                    self.end_headers()
                def log_message(self, *args): pass
            server = http.server.HTTPServer(("127.0.0.1", 0), H)
            with open(sys.argv[2] + ".tmp", "w") as f: f.write(str(server.server_address[1]))
            import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
            server.serve_forever()
            """
        let portFile = bodies + ".port"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, bodies, portFile]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        do {
            let port = try await eventually("the webhook receiver to listen") {
                (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) }
            }
            return (process, port, bodies)
        } catch {
            kill(process.processIdentifier, SIGKILL)
            throw error
        }
    }

    @Test(
        "core triggers and actions for real: a call is answered by SMS, that SMS's status fires a webhook (retried after a 500), JOIN adds the sender to a group"
    )
    func coreTriggersAndActions() async throws {
        let receiver = try await webhookReceiver()
        defer {
            // SIGKILL: the test runner's children inherit an ignored SIGTERM.
            kill(receiver.process.processIdentifier, SIGKILL)
            receiver.process.waitUntilExit()
            try? FileManager.default.removeItem(atPath: receiver.bodies)
            try? FileManager.default.removeItem(atPath: receiver.bodies + ".port")
        }
        let gateway = try GatewayProcess()
        let token = try adminToken(gateway)
        let caller = "+46705550031"
        try await gateway.start(
            config: """
                rules:
                  - name: call-back
                    on: call.incoming
                    then:
                      - reply: "We saw your call at {now}"
                  - name: status-hook
                    on: sms.status
                    if:
                      - {field: to, equals: "\(caller)"}
                      - {field: status, equals: sent}
                    then:
                      - webhook: {url: "http://127.0.0.1:\(receiver.port)/status", attempts: 3}
                  - name: join
                    on: sms.incoming
                    if: {field: text, equals: join}
                    then:
                      - add_to_group: news
                """
        )
        defer { gateway.stop() }

        let call = try GatewayProcess.run(["sim", "call", "--url", gateway.baseURL, "--from", caller])
        #expect(call.status == 0, "\(call.stderr)")
        let sent = try await received(gateway, count: 1)
        #expect(sent.first?["recipient"] as? String == caller)
        #expect((sent.first?["text"] as? String)?.hasPrefix("We saw your call at ") == true)

        try await gateway.waitForLog("answered 200 (attempt 2 of 3)")
        let posted = try String(contentsOfFile: receiver.bodies, encoding: .utf8).split(separator: "\n")
        #expect(posted.count == 2)
        let body = try #require(try json(String(posted[1])) as? [String: String])
        #expect(body["to"] == caller)
        #expect(body["status"] == "sent")
        #expect(body["rule"] == "status-hook")
        let history = try await gateway.request(
            "/swiftlet/v1/rules/history?rule=status-hook",
            method: .GET,
            token: token
        )
        let outcomes = (try json(history.body) as? [[String: Any]])?.first?["outcomes"] as? [String]
        #expect(outcomes?.last == "webhook http://127.0.0.1:\(receiver.port)/status answered 200 (attempt 2 of 3)")

        try inject(gateway, from: "+46705550032", "JOIN")
        try await gateway.waitForLog("add_to_group news: +46705550032 added")
        let store = try SQLiteStore(directory: gateway.dataDirectory)
        #expect(try await store.group(named: "news")?.members.map(\.number.value) == ["+46705550032"])

        // The phone rings again (RING and +CLIP again, as phones repeat them): the same call, so no
        // second event and no second log line. Another caller is a new call, and comes after.
        for from in [caller, "+46705550033"] {
            let again = try GatewayProcess.run(["sim", "call", "--url", gateway.baseURL, "--from", from])
            #expect(again.status == 0, "\(again.stderr)")
        }
        let replies = try await received(gateway, count: 2)
        #expect(replies.map { $0["recipient"] as? String } == [caller, "+46705550033"])
        #expect(gateway.lines(saying: "incoming call; not answered", ["from": caller]).count == 1)
        #expect(gateway.logged("incoming call; not answered", ["from": "+46705550033"]))
    }

    @Test("modem.status: the modem becoming ready at start fires a rule")
    func modemStatusTrigger() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start(
            config: """
                rules:
                  - name: modem-up
                    on: modem.status
                    if: {field: state, equals: ready}
                    then:
                      - send_sms: {to: ["+46705550041"], text: "modem {modem} is {state}"}
                """
        )
        defer { gateway.stop() }
        let sent = try await received(gateway, count: 1)
        #expect(sent.map { $0["text"] as? String } == ["modem simulator is ready"])
    }

    @Test("config check refuses a rule with its file, line, key and reason")
    func configCheck() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/swiftlet.yaml"
        try """
        rules:
          - name: nightly
            on: {schedule: "0 25 * * *"}
            then:
              - send_sms: {to: ["+46705550001"], text: "report"}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try GatewayProcess.run(["config", "check", file])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(file):3"), "\(result.stderr)")
        #expect(result.stderr.contains("rules[0].on.schedule"), "\(result.stderr)")
        #expect(result.stderr.contains("'25' is not a valid hour"), "\(result.stderr)")
    }
}
