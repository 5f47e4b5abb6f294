import Foundation
import SwiftletDomain
import SwiftletStore
import TestSupport
import Testing

/// One of the two provider examples: the same contract in C (`relay`) and in Swift (`swiftrelay`).
struct RelayExample: Sendable, CustomStringConvertible {
    var plugin: String
    var transport: String
    var directory: String
    /// `oncall` with two numbers and an empty group, in the plugin's configuration syntax.
    var groups: String

    static let c = RelayExample(
        plugin: "relay",
        transport: "spool",
        directory: "static",
        groups: #"    groups: "oncall=+46701110001,+46701110002;empty=""#
    )
    static let swift = RelayExample(
        plugin: "swiftrelay",
        transport: "swiftspool",
        directory: "swiftstatic",
        groups: "    groups:\n      oncall: [\"+46701110001\", \"+46701110002\"]\n      empty: []"
    )

    var description: String { plugin }
}

/// ABI 1.4 providers in a running gateway, through the C example `relay` and its Swift twin
/// `swiftrelay`: a transport the dispatcher routes SMS to, a voice provider that places APIv1/APIv2
/// text-to-speech calls, a directory that resolves group names, and a plugin reading the status
/// snapshot and reporting metrics.
@Suite("providers (ABI 1.4) in a running gateway")
struct ProviderEndToEndTests {
    /// A gateway with the relay plugin enabled; `dispatcher` and `relay` are YAML lines of those sections.
    func start(
        _ gateway: GatewayProcess,
        _ example: RelayExample,
        plugins: String,
        spool: String,
        dispatcher: String? = nil,
        timeout: String = "2s",
        relay: String = "",
        top: String = ""
    ) async throws {
        try await gateway.start(
            config: """
                plugin_directory: \(plugins)
                \(top)dispatcher:
                \(dispatcher ?? "  transport: \(example.transport)\n  transport_use: primary\n")  transport_timeout: \(timeout)
                  retry_delay: 1s
                plugins:
                  \(example.plugin):
                    spool: \(spool)
                    refuse_prefix: "+4699"
                    silent_prefix: "+4698"
                \(example.groups)
                \(relay)
                """
        )
        // The C example chooses 1.4 itself; a Swift plugin speaks the newest version its SDK knows.
        try await gateway.waitForLog(
            saying: "plugin started",
            ["abi": example.plugin == "relay" ? "1.4" : "1.5", "plugin": example.plugin]
        )
    }

    /// The spool's lines, each a JSON object.
    func spooled(_ path: String) -> [[String: Any]] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    func temporaryFile(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-\(name)-\(UUID().uuidString)").path
    }

    @Test(
        "a primary transport sends the SMS instead of the modem; a refused number fails for good; a transport that never answers fails its message once, without a second attempt",
        arguments: [RelayExample.c, .swift]
    )
    func primaryTransport(_ example: RelayExample) async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let spool = temporaryFile("spool")
        let gateway = try GatewayProcess()
        try await start(gateway, example, plugins: plugins, spool: spool)
        defer { gateway.stop() }
        try await gateway.waitForLog(saying: "provider ready", ["name": example.transport, "role": "transport"])
        let api = try gateway.apiv1()

        let sent = try await api("send_sms", [("to", "+46701234567"), ("message", "Pump 3 stopped")])
        let id = try #require(sent.firstMatch(of: /^OK; ID=(\d+)$/)).output.1
        let row = try await eventually("message \(id) in sentitems") {
            parseRows(try await api("read_sms", [("folder", "sentitems")])).first { $0["ID"] == String(id) }
        }
        #expect(row["TextDecoded"] == "Pump 3 stopped")
        let lines = spooled(spool)
        #expect(lines.map { $0["to"] as? String } == ["+46701234567"])
        #expect(lines.map { $0["text"] as? String } == ["Pump 3 stopped"])
        #expect((lines.first?["key"] as? String)?.hasPrefix("swiftlet-\(id)-") == true)
        #expect(
            gateway.logged(
                "sent message through a transport",
                ["message.id": String(id), "reference": "\(example.transport)-1"]
            )
        )
        #expect(try gateway.simulatorReceived().isEmpty, "the modem sent an SMS the transport had")

        // Refused for good: one attempt, then the sending errors.
        let refused = try await api("send_sms", [("to", "+46990000001"), ("message", "nobody")])
        let refusedID = try #require(refused.firstMatch(of: /^OK; ID=(\d+)$/)).output.1
        try await gateway.waitForLog(saying: "message failed; giving up", ["message.id": String(refusedID)])
        #expect(
            gateway.lines(saying: "message failed; giving up", ["message.id": String(refusedID)]).first?
                .contains("transport \(example.transport) refused it: the relay refuses this number") == true
        )

        // Never answered: failed after the timeout and not tried again (it may have gone out).
        let silent = try await api("send_sms", [("to", "+46980000001"), ("message", "into the void")])
        let silentID = try #require(silent.firstMatch(of: /^OK; ID=(\d+)$/)).output.1
        try await gateway.waitForLog(saying: "message failed; giving up", ["message.id": String(silentID)])
        let failure = try #require(
            gateway.lines(saying: "message failed; giving up", ["message.id": String(silentID)]).first
        )
        #expect(
            failure.contains(
                "\(example.transport) did not answer within 2.0 seconds; it may have gone out, so it is not tried again"
            )
        )
        #expect(
            gateway.logged("stopped waiting for a provider's answer", ["plugin": example.plugin, "reason": "timeout"])
        )
        if example.plugin == "swiftrelay" {
            // The SDK turns the host's cancel into the cancellation of the request's task.
            try await gateway.waitForLog("cancelled by the gateway")
        }
        try await Task.sleep(for: .seconds(3))  // two retry delays: a retry would have been logged by now
        #expect(!gateway.logged("attempt through a provider failed; retrying", ["message.id": String(silentID)]))
        let store = try SQLiteStore(directory: gateway.dataDirectory)
        let failed = try await store.outgoing(matching: MessageQuery(folder: .sendingerror))
        #expect(Set(failed.map { String($0.id) }) == [String(refusedID), String(silentID)])
        #expect(failed.allSatisfy { $0.attempts == 1 && $0.modem == "transport:\(example.transport)" })
        #expect(spooled(spool).count == 1)
    }

    @Test(
        "kill -9 while the transport holds a message: after the restart it is offered again under the same key and spooled once",
        arguments: [RelayExample.c, .swift]
    )
    func transportAcrossKill9(_ example: RelayExample) async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let spool = temporaryFile("spool")
        let gateway = try GatewayProcess()
        // The relay answers 10 s after spooling: the kill lands in between.
        let relay = "    delay_ms: 10000\n"
        try await start(gateway, example, plugins: plugins, spool: spool, timeout: "30s", relay: relay)
        let api = try gateway.apiv1()
        let sent = try await api("send_sms", [("to", "+46701234567"), ("message", "Door 4 open")])
        let id = try #require(sent.firstMatch(of: /^OK; ID=(\d+)$/)).output.1
        _ = try await eventually("the relay spooled it") { spooled(spool).count == 1 ? true : nil }
        gateway.kill()
        #expect(
            !gateway.logged("sent message through a transport"),
            "answered before the kill; the test proves nothing"
        )

        try await start(gateway, example, plugins: plugins, spool: spool, timeout: "30s", relay: relay)
        defer { gateway.stop() }
        try await gateway.waitForLog(
            saying: "sent message through a transport",
            ["message.id": String(id), "reference": "\(example.transport)-1"],
            timeout: .seconds(45)
        )
        let lines = spooled(spool)
        #expect(lines.count == 1, "spooled twice: \(lines)")
        let store = try SQLiteStore(directory: gateway.dataDirectory)
        let row = try #require(try await store.outgoing(matching: MessageQuery(folder: .sentitems)).first)
        #expect(String(row.id) == String(id))
        #expect(row.attempts == 2)
    }

    @Test(
        "with no modem ready, a fallback transport takes the SMS; a directory group resolves for APIv1 send_togroup; the relay reads the status snapshot and reports metrics",
        arguments: [RelayExample.c, .swift]
    )
    func fallbackDirectoryAndStatus(_ example: RelayExample) async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let spool = temporaryFile("spool")
        let status = temporaryFile("status")
        let gateway = try GatewayProcess()
        try await start(
            gateway,
            example,
            plugins: plugins,
            spool: spool,
            dispatcher: "  transport: \(example.transport)\n  transport_after: 1h\n",
            relay: "    status_file: \(status)\n    status_every_ms: 200\n",
            top: "modems:\n  - name: gsm1\n    device: /dev/swiftlet-no-such-modem\n"
        )
        defer { gateway.stop() }
        let api = try gateway.apiv1()
        let answer = try await api("send_togroup", [("groupname", "oncall"), ("message", "Shift change")])
        #expect(answer.split(separator: "\n").count == 2, "\(answer)")
        let lines = try await eventually("both members' SMS spooled") {
            let lines = spooled(spool)
            return lines.count == 2 ? lines : nil
        }
        #expect(Set(lines.compactMap { $0["to"] as? String }) == ["+46701110001", "+46701110002"])
        #expect(try await api("send_togroup", [("groupname", "nobody"), ("message", "x")]) == "Wrong parameters")

        let snapshot = try await eventually("a snapshot with both sent") { () -> [String: Any]? in
            guard let data = FileManager.default.contents(atPath: status),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                (object["queue"] as? [String: Any])?["sent"] as? Int == 2
            else { return nil }
            return object
        }
        let modems = try #require(snapshot["modems"] as? [[String: Any]])
        #expect(modems.map { $0["name"] as? String } == ["gsm1"])
        #expect(modems.first?["state"] as? String != "ready")
        let providers = try #require(snapshot["providers"] as? [[String: Any]])
        #expect(
            Set(providers.map { "\($0["role"] ?? "") \($0["name"] ?? "") \($0["plugin"] ?? "")" })
                == [
                    "transport \(example.transport) \(example.plugin)", "voice \(example.transport) \(example.plugin)",
                    "directory \(example.directory) \(example.plugin)",
                ]
        )
        let metrics = try #require(snapshot["metrics"] as? [[String: Any]])
        let spooledSMS = metrics.first {
            $0["name"] as? String == "swiftlet_\(example.plugin)_spooled_total"
                && ($0["labels"] as? [String: String])?["role"] == "sms"
        }
        #expect(spooledSMS?["value"] as? Double == 2 || spooledSMS?["value"] as? Int == 2, "\(metrics)")
        #expect((snapshot["plugins"] as? [[String: Any]])?.contains { $0["id"] as? String == example.plugin } == true)
    }

    @Test(
        "text-to-speech calls over APIv2 and APIv1 go to the voice provider; how each ended (answered, keys pressed) is stored and published",
        arguments: [RelayExample.c, .swift]
    )
    func voiceCalls(_ example: RelayExample) async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let spool = temporaryFile("spool")
        let gateway = try GatewayProcess()
        try await start(
            gateway,
            example,
            plugins: plugins,
            spool: spool,
            dispatcher: "  max_attempts: 3\n  call_attempts: 2\n  call_retry_delay: 1s\n",
            relay: "    digits: \"1#\"\n"
        )
        defer { gateway.stop() }
        let token = try gateway.addUser("alarm")
        let answer = try await gateway.apiv2(
            "POST",
            "/calls/tts_advanced",
            token: token,
            json: ["to": ["+46700000005"], "text": "Fire in hall B", "voice_id": 2, "duration": 40]
        )
        #expect(answer.status == 200, "\(String(describing: answer.body))")
        let items = try #require(answer.body as? [[String: Any]])
        #expect(items.map { $0["status"] as? String } == ["queued"])
        let id = try #require(items.first?["id"] as? Int)
        try await gateway.waitForLog(
            saying: "call ended",
            ["message.id": String(id), "result": "answered", "digits": "1#", "voice": example.transport]
        )
        let read = try await gateway.apiv2("GET", "/messages/sentitems/\(id)", token: token)
        let message = try #require(read.body as? [String: Any])
        #expect(message["kind"] as? String == "call")
        let call = try #require(message["call"] as? [String: Any])
        #expect(call["result"] as? String == "answered")
        #expect(call["digits"] as? String == "1#")
        #expect(call["duration"] as? Int == 3)
        let api = try gateway.apiv1(user: "alarm")
        let viaV1 = try await api("tts_call", [("to", "+46990000002"), ("message", "Water leak"), ("duration", "20")])
        let v1ID = try #require(viaV1.firstMatch(of: /^OK; ID=(\d+)$/)).output.1
        // Busy: called again once (call_attempts 2), then ended as busy.
        try await gateway.waitForLog(saying: "call ended", ["message.id": String(v1ID), "result": "busy"])
        #expect(gateway.lines(saying: "call not answered; calling again", ["message.id": String(v1ID)]).count == 1)

        let calls = spooled(spool).filter { $0["kind"] as? String == "call" }
        #expect(calls.map { $0["to"] as? String } == ["+46700000005"])
        #expect(calls.first?["text"] as? String == "Fire in hall B")
        #expect(calls.first?["max_seconds"] as? Int == 40)
        let store = try SQLiteStore(directory: gateway.dataDirectory)
        let sent = try await store.outgoing(matching: MessageQuery(folder: .sentitems)).sorted { $0.id < $1.id }
        #expect(sent.map(\.call?.result) == ["answered", "busy"])
        #expect(sent.first?.call?.digits == "1#")
        #expect(sent.first?.payload == .call(VoiceCall(text: "Fire in hall B", seconds: 40, voice: 2)))
        #expect(try gateway.simulatorReceived().isEmpty)
    }

    @Test(
        "a voice escalation calls the on-call number; the key pressed in the call acknowledges the escalation",
        arguments: [RelayExample.c, .swift]
    )
    func escalationAcknowledgedByKey(_ example: RelayExample) async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let spool = temporaryFile("spool")
        let gateway = try GatewayProcess()
        try await start(
            gateway,
            example,
            plugins: plugins,
            spool: spool,
            dispatcher: "  max_attempts: 3\n",
            relay: "    digits: \"4\"\n",
            top: """
                rules:
                  - name: wake
                    on: sms.incoming
                    if: {field: text, contains: ALARM}
                    then:
                      - escalate:
                          text: "ALARM: {text}"
                          voice: true
                          ack: {digit: "4"}
                          steps:
                            - {to: ["+46700000021"], wait: 10m}
                            - {to: ["+46700000022"], wait: 10m}

                """
        )
        defer { gateway.stop() }
        try gateway.inject(from: "+46705550001", "ALARM boiler pressure")
        let acknowledged = try await gateway.waitForLog(
            saying: "escalation acknowledged",
            ["rule": "wake", "by": "+46700000021", "step": "1"]
        )
        #expect(acknowledged.contains("how=by pressing 4 during a call"))
        let calls = spooled(spool).filter { $0["kind"] as? String == "call" }
        #expect(calls.map { $0["to"] as? String } == ["+46700000021"])
        #expect(calls.first?["text"] as? String == "ALARM: ALARM boiler pressure")
        #expect(calls.first?["max_seconds"] as? Int == 60)
    }

    @Test(
        "mail to GROUP@ for a group only the directory knows reaches its members: the e-mail plugin asks through directory_lookup"
    )
    func mailToADirectoryGroup() async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let port = MosquittoBroker.freePort()
        let gateway = try GatewayProcess()
        try await start(
            gateway,
            .c,
            plugins: plugins,
            spool: temporaryFile("spool"),
            dispatcher: "  max_attempts: 3\n",
            relay: """
                  email:
                    country_code: "46"
                    listener:
                      port: \(port)
                      domains: [sms.test]

                """
        )
        defer { gateway.stop() }
        try await gateway.waitForLog("SMTP listener on 127.0.0.1:\(port)")
        let sent = try await Swaks.send(
            port: port,
            ["--from", "noc@corp.test", "--to", "oncall@sms.test", "--header", "Subject: ALARM", "--body", "Pump 2"]
        )
        #expect(sent.status == 0, "\(sent.transcript)")
        let received = try await eventually("both members' SMS on the simulated network") {
            let list = try gateway.simulatorReceived()
            return list.count >= 2 ? list : nil
        }
        #expect(Set(received.compactMap { $0["recipient"] as? String }) == ["+46701110001", "+46701110002"])
        let unknown = try await Swaks.send(
            port: port,
            ["--from", "noc@corp.test", "--to", "nobody@sms.test", "--header", "Subject: x", "--body", "x"]
        )
        #expect(unknown.transcript.contains("550 5.1.1"), "\(unknown.transcript)")
    }
}
