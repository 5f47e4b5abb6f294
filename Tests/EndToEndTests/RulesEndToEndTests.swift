import Foundation
import NIOHTTP1
import SwiftletDomain
import SwiftletStore
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

    @Test(
        "an ALARM outside office hours goes to the on-call shift, escalates to the lead, and stops when the lead replies ACK"
    )
    func escalationAcknowledgedBySMS() async throws {
        let gateway = try GatewayProcess()
        try await seedPhonebook(gateway)
        let token = try adminToken(gateway)
        try await gateway.start(config: Self.config())
        defer { gateway.stop() }

        try inject(gateway, from: Self.reporter, "ALARM boiler pressure")
        let first = try await received(gateway, count: 1)
        #expect(first.first?["recipient"] as? String == Self.olle)
        #expect(first.first?["text"] as? String == "ALARM from \(Self.reporter): ALARM boiler pressure")
        let second = try await received(gateway, count: 2)
        #expect(second.last?["recipient"] as? String == Self.lead)

        try inject(gateway, from: Self.lead, "ack on my way")
        try await gateway.waitForLog("acknowledged by \(Self.lead) by SMS at step 2")
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
        // Nobody further down the chain was alerted.
        #expect(try gateway.simulatorReceived().count == 2)
    }

    @Test("a call from the lead acknowledges the escalation at step 2")
    func escalationAcknowledgedByCall() async throws {
        let gateway = try GatewayProcess()
        try await seedPhonebook(gateway)
        try await gateway.start(config: Self.config())
        defer { gateway.stop() }

        try inject(gateway, from: Self.reporter, "ALARM door open")
        _ = try await received(gateway, count: 2)
        let call = try GatewayProcess.run(["sim", "call", "--url", gateway.baseURL, "--from", Self.lead])
        #expect(call.status == 0, "\(call.stderr)")
        try await gateway.waitForLog("acknowledged by \(Self.lead) by a call at step 2")
        #expect(try gateway.simulatorReceived().count == 2)
    }

    @Test(
        "a gateway restarted in the middle of an escalation continues it at the right step, without alerting step 1 again"
    )
    func escalationSurvivesRestart() async throws {
        let gateway = try GatewayProcess()
        try await seedPhonebook(gateway)
        let token = try adminToken(gateway)
        let config = Self.config(firstWait: "8s")
        try await gateway.start(config: config)
        try inject(gateway, from: Self.reporter, "ALARM restart test")
        _ = try await received(gateway, count: 1)
        #expect(gateway.stop() == 0)

        try await gateway.start(config: config)
        defer { gateway.stop() }
        try await gateway.waitForLog("escalation 1 of rule after-hours-alarm continues at step 1 of 3")
        // The new process's simulated network starts empty: the next message is step 2's, to the lead.
        let after = try await received(gateway, count: 1)
        #expect(after.map { $0["recipient"] as? String } == [Self.lead])

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
        try await gateway.waitForLog("registered the rule action hello.say")
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
