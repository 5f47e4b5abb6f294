import Foundation
import TestSupport
import Testing

/// The voice plugin in a running gateway: calls over SIP on loopback to a second baresip that
/// answers and records (what it heard is checked against eSpeak NG's own rendering of the text),
/// and to SIPp playing busy, ringing and declining callees.
@Suite("voice calls over SIP (plugin voice) in a running gateway")
struct VoiceEndToEndTests {
    /// A gateway whose voice plugin calls `sip:{number}@127.0.0.1:CALLEE_PORT`; `dispatcher` and
    /// `top` are extra YAML lines.
    func start(
        _ gateway: GatewayProcess,
        plugins: String,
        calleePort: Int,
        dispatcher: String = "",
        voice: String = "",
        top: String = ""
    ) async throws {
        let listen = SIPPeers.freePortPair()
        try await gateway.start(
            config: """
                plugin_directory: \(plugins)
                \(top)dispatcher:
                  retry_delay: 1s
                \(dispatcher)plugins:
                  voice:
                    listen: 127.0.0.1:\(listen)
                    dial: "sip:{number}@127.0.0.1:\(calleePort)"
                    work_directory: \(gateway.dataDirectory)-voice
                    baresip_log: \(gateway.dataDirectory)-baresip.log
                \(voice)
                """
        )
        try await gateway.waitForLog(saying: "provider ready", ["name": "sip", "role": "voice"])
    }

    /// How eSpeak NG's command-line program says `text` (22,050 Hz), as a loudness envelope.
    func spoken(_ text: String, language: String = "en") async throws -> [Double] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("espeak-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await MosquittoBroker.runDetached(
            "/usr/bin/espeak-ng",
            ["-v", language, "-s", "150", "-w", path, text]
        )
        #expect(result.status == 0, "\(result.output)")
        return try SpeechEnvelope.of(wav: path)
    }

    /// One request through `openapi_exchange.py`, which checks it and its answer against the
    /// gateway's OpenAPI document; the answer's body.
    func exchange(
        _ gateway: GatewayProcess,
        _ token: String,
        _ method: String,
        _ path: String,
        _ status: Int,
        _ body: String? = nil
    ) async throws -> Any {
        let result = try await MosquittoBroker.runDetached(
            PythonTools.python,
            [PythonTools.script("openapi_exchange.py"), gateway.baseURL, token, method, path, String(status)]
                + (body.map { [$0] } ?? [])
        )
        #expect(result.status == 0, "\(result.output)")
        let json = result.output.split(separator: "\n").first { $0.hasPrefix("[") || $0.hasPrefix("{") } ?? ""
        return try JSONSerialization.jsonObject(with: Data(json.utf8))
    }

    /// Polls `calls/done` as Zabbix's call-tracking media type does (ids from and to, 404 while
    /// none has finished) until call `id` is listed.
    func done(
        _ gateway: GatewayProcess,
        token: String,
        id: Int,
        timeout: Duration = .seconds(40)
    ) async throws
        -> [String: Any]
    {
        try await eventually(timeout: timeout, "call \(id) in calls/done\n--- log ---\n\(gateway.log)") {
            let answer = try await gateway.apiv2("GET", "/calls/done?id_from=\(id)&id_to=\(id)", token: token)
            if answer.status == 404 {
                #expect((answer.body as? [String: Any])?["message"] as? String == "Resource(s) not found")
                return nil
            }
            return (answer.body as? [[String: Any]])?.first { $0["id"] as? Int == id }
        }
    }

    @Test(
        "a text-to-speech call queued as Zabbix's media type queues it reaches a SIP callee, which hears the text spoken; calls/done reports it answered"
    )
    func callIsHeard() async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let callee = try await BaresipCallee(number: "+46700000101")
        let gateway = try GatewayProcess()
        try await start(gateway, plugins: plugins, calleePort: callee.port)
        defer { gateway.stop() }
        let token = try gateway.addUser("zabbix")
        let text = "Alarm. Pump station two has stopped."
        // The body Zabbix's SMSEagle media type sends for type tts (every recipient list, and the
        // duration), and the answer, checked against the OpenAPI document.
        let body = #"{"to": ["+46700000101"], "contacts": [], "groups": [], "text": "\#(text)", "duration": 6}"#
        let answer = try await exchange(gateway, token, "POST", "/calls/tts", 200, body)
        let queued = try #require(answer as? [[String: Any]], "\(answer)")
        #expect(queued.first?["status"] as? String == "queued")
        let id = try #require(queued.first?["id"] as? Int)
        _ = try await done(gateway, token: token, id: id)
        let listed = try await exchange(gateway, token, "GET", "/calls/done?id_from=\(id)&id_to=\(id)", 200)
        let call = try #require((listed as? [[String: Any]])?.first)
        #expect(call["status_code"] as? Int == 0)
        #expect(call["retries"] as? Int == 0)
        #expect(call["result"] as? String == "answered")
        #expect(call["number"] as? String == "+46700000101")
        #expect((call["duration"] as? Int).map { (4...8).contains($0) } == true, "\(call)")

        let recording = try await callee.finishedRecording()
        let heard = try SpeechEnvelope.of(wav: recording)
        let said = SpeechEnvelope.match(heard, try await spoken(text))
        let other = SpeechEnvelope.match(
            heard,
            try await spoken("The weather tomorrow will be sunny with light winds.")
        )
        #expect(said > 0.9, "the recording does not follow the spoken text (correlation \(said))")
        #expect(other < 0.6, "the recording follows an unrelated sentence as well (correlation \(other))")
    }

    @Test(
        "tts_advanced's voice_id picks the language: voice 2 speaks Swedish, and it is Swedish the callee hears (the body ElastAlert2's SMSEagle alerter sends, its lines included)"
    )
    func voiceModelPicksTheLanguage() async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let callee = try await BaresipCallee(number: "+46700000102")
        let gateway = try GatewayProcess()
        try await start(gateway, plugins: plugins, calleePort: callee.port)
        defer { gateway.stop() }
        let token = try gateway.addUser("elastalert")
        // ElastAlert2 sends the rule's name, a blank line and the match's fields, duration 10.
        let text = "Larm i pumpstation två\n\nnivå: hög\n"
        let answer = try await gateway.apiv2(
            "POST",
            "/calls/tts_advanced",
            token: token,
            json: ["to": ["+46700000102"], "text": text, "duration": 10, "voice_id": 2]
        )
        let id = try #require((answer.body as? [[String: Any]])?.first?["id"] as? Int, "\(answer)")
        #expect(try await done(gateway, token: token, id: id)["status_code"] as? Int == 0)
        let heard = try SpeechEnvelope.of(wav: try await callee.finishedRecording())
        let swedish = SpeechEnvelope.match(heard, try await spoken(text, language: "sv"))
        let english = SpeechEnvelope.match(heard, try await spoken(text, language: "en"))
        #expect(swedish > 0.9, "correlation with Swedish speech: \(swedish)")
        #expect(swedish > english + 0.1, "Swedish \(swedish), English \(english)")
    }

    @Test(
        "calls/wave plays an admin's recorded clip (wave_id 3: clips_directory/3.wav, any rate); a clip that is not there fails the call, reported by calls/done"
    )
    func waveCallPlaysAClip() async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let callee = try await BaresipCallee(number: "+46700000105")
        let gateway = try GatewayProcess()
        let clips = gateway.dataDirectory + "-clips"
        try FileManager.default.createDirectory(atPath: clips, withIntermediateDirectories: true)
        let clipText = "Evacuate the building now."
        let rendered = try await MosquittoBroker.runDetached(
            "/usr/bin/espeak-ng",
            ["-v", "en", "-w", clips + "/3.wav", clipText]
        )
        #expect(rendered.status == 0)
        try await start(
            gateway,
            plugins: plugins,
            calleePort: callee.port,
            dispatcher: "  max_attempts: 2\n",
            voice: "    clips_directory: \(clips)\n"
        )
        defer { gateway.stop() }
        let token = try gateway.addUser("soundboard")
        let answer = try await gateway.apiv2(
            "POST",
            "/calls/wave",
            token: token,
            json: ["to": ["+46700000105"], "wave_id": 3, "duration": 4]
        )
        let id = try #require((answer.body as? [[String: Any]])?.first?["id"] as? Int, "\(answer)")
        let played = try await done(gateway, token: token, id: id)
        #expect(played["status_code"] as? Int == 0)
        #expect(played["type"] as? String == "wave")
        let heard = try SpeechEnvelope.of(wav: try await callee.finishedRecording())
        #expect(SpeechEnvelope.match(heard, try SpeechEnvelope.of(wav: clips + "/3.wav")) > 0.9)

        let missing = try await gateway.apiv2(
            "POST",
            "/calls/wave",
            token: token,
            json: ["to": ["+46700000105"], "wave_id": 9]
        )
        let missingID = try #require((missing.body as? [[String: Any]])?.first?["id"] as? Int, "\(missing)")
        let failed = try await done(gateway, token: token, id: missingID)
        #expect(failed["status_code"] as? Int == 255)
        #expect(failed["retries"] as? Int == 1)
        #expect(gateway.logged("message failed; giving up", ["message.id": String(missingID)]))
        #expect(callee.recordings().count == 1, "the callee was called for a clip that is not there")
        let refused = try await gateway.apiv2("POST", "/calls/wave", token: token, json: ["to": ["+46700000105"]])
        #expect(refused.status == 400)
    }

    @Test(
        "a voice escalation calls over SIP; the callee presses 1 and the escalation is acknowledged; the call hangs up a second later"
    )
    func keypressAcknowledgesEscalation() async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let callee = try await BaresipCallee(number: "+46700000103")
        let gateway = try GatewayProcess()
        try await start(
            gateway,
            plugins: plugins,
            calleePort: callee.port,
            top: """
                rules:
                  - name: wake
                    on: sms.incoming
                    if: {field: text, contains: ALARM}
                    then:
                      - escalate:
                          text: "ALARM: {text}"
                          voice: true
                          steps:
                            - {to: ["+46700000103"], wait: 10m}
                            - {to: ["+46700000104"], wait: 10m}

                """
        )
        defer { gateway.stop() }
        try gateway.inject(from: "+46705550001", "ALARM boiler pressure")
        try await gateway.waitForLog("call 2: answered")  // 1 is the SMS that started it
        try await Task.sleep(for: .seconds(1))
        try await callee.press("1")
        let acknowledged = try await gateway.waitForLog(
            saying: "escalation acknowledged",
            ["rule": "wake", "by": "+46700000103", "step": "1"]
        )
        #expect(acknowledged.contains("how=by pressing 1 during a call"))
        let ended = try await gateway.waitForLog(saying: "call ended", ["result": "answered", "digits": "1"])
        // Answered at once, the key pressed after about a second, hung up a second later: far
        // shorter than the 60 s the escalation's call may last.
        let duration = try #require(ended.firstMatch(of: /\sduration=(\d+)\s/).flatMap { Int($0.output.1) })
        #expect((1...5).contains(duration), "\(ended)")
        #expect(!gateway.log.contains("+46700000104"), "the second step was reached")
    }

    @Test(
        "busy, unanswered and declined callees are told apart: busy and unanswered calls are placed again up to call_attempts, a declined one is not; calls/done reports each failed (255) with its retries"
    )
    func failuresAreToldApart() async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let busy = try SIPpPeer(scenario: SIPpPeer.refusing("486 Busy Here"))
        let ringing = try SIPpPeer(scenario: SIPpPeer.ringing)
        let declining = try SIPpPeer(scenario: SIPpPeer.refusing("603 Decline"))
        let gateway = try GatewayProcess()
        try await start(
            gateway,
            plugins: plugins,
            calleePort: busy.port,
            dispatcher: "  call_attempts: 2\n  call_retry_delay: 1s\n  call_ring_time: 2s\n"
        )
        defer { gateway.stop() }
        let token = try gateway.addUser("nagios")
        // The dial template names one peer's port: the gateway is restarted (same data) for each.
        let busyID = try await callOnce(gateway, token: token, to: "+46700000201")
        let busyDone = try await done(gateway, token: token, id: busyID)
        #expect(busyDone["status_code"] as? Int == 255)
        #expect(busyDone["result"] as? String == "busy")
        #expect(busyDone["retries"] as? Int == 1)
        #expect(gateway.logged("call not answered; calling again", ["message.id": String(busyID), "result": "busy"]))
        gateway.stop()

        for (peer, number, result, retries) in [
            (ringing, "+46700000202", "no-answer", 1), (declining, "+46700000203", "rejected", 0),
        ] {
            let next = try GatewayProcess(dataDirectory: gateway.dataDirectory)
            try await start(
                next,
                plugins: plugins,
                calleePort: peer.port,
                dispatcher: "  call_attempts: 2\n  call_retry_delay: 1s\n  call_ring_time: 2s\n"
            )
            defer { next.stop() }
            let id = try await callOnce(next, token: token, to: number)
            let call = try await done(next, token: token, id: id)
            #expect(call["status_code"] as? Int == 255, "\(number): \(call)")
            #expect(call["result"] as? String == result, "\(number): \(call)")
            #expect(call["retries"] as? Int == retries, "\(number): \(call)")
            next.stop()
        }
    }

    @Test(
        "registration with digest authentication: the right password registers (health ok), a wrong one is reported with the registrar's answer (health down, calls wait), and the password is in no log or file"
    )
    func registration() async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        for (password, health, detail) in [
            ("s3cret-pw", "ok", "registered to"), ("wrong-pw", "down", "failed: 403 Forbidden; retrying"),
        ] {
            let registrar = try SIPpPeer(scenario: SIPpPeer.registrar(user: "2001", password: "s3cret-pw"))
            let gateway = try GatewayProcess()
            try await gateway.start(
                config: """
                    plugin_directory: \(plugins)
                    plugins:
                      voice:
                        listen: 127.0.0.1:\(SIPPeers.freePortPair())
                        work_directory: \(gateway.dataDirectory)-voice
                        baresip_log: \(gateway.dataDirectory)-baresip.log
                        account:
                          user: "2001"
                          password: "\(password)"
                          domain: swiftlet.test
                          registrar: 127.0.0.1:\(registrar.port)
                    """
            )
            defer { gateway.stop() }
            let line = try await eventually("health \(health): \(detail)\n--- log ---\n\(gateway.log)") {
                gateway.lines(saying: "plugin health", ["health": health, "plugin": "voice"]).last {
                    $0.contains(detail)
                }
            }
            #expect(line.contains("127.0.0.1:\(registrar.port) "), "\(line)")
            if health == "down" {
                #expect(gateway.logged("registration failed: 403 Forbidden"))
                let token = try gateway.addUser("alarm")
                let id = try await callOnce(gateway, token: token, to: "+46700000401")
                try await Task.sleep(for: .seconds(2))
                let waiting = try await gateway.apiv2("GET", "/calls/done?id_from=\(id)", token: token)
                #expect(waiting.status == 404, "a call was tried through an unregistered account")
            }
            gateway.stop()
            var written = gateway.log
            for file in ["-baresip.log", "-voice/config", "-voice/accounts"] {
                written += (try? String(contentsOfFile: gateway.dataDirectory + file, encoding: .utf8)) ?? ""
            }
            #expect(!written.contains(password), "the SIP password was written out")
        }
    }

    @Test(
        "with ring_via: voice, a wake-up call (APIv2 calls/ring, even with modem_no) rings over SIP, not through the modem; answered, it is hung up at once and counts as done (0)"
    )
    func wakeUpCallsOverSIP() async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let callee = try await BaresipCallee(number: "+46700000501")
        let gateway = try GatewayProcess()
        try await start(gateway, plugins: plugins, calleePort: callee.port, dispatcher: "  ring_via: voice\n")
        defer { gateway.stop() }
        let token = try gateway.addUser("nagios")
        let answer = try await gateway.apiv2(
            "POST",
            "/calls/ring",
            token: token,
            json: ["to": ["+46700000501"], "duration": 5, "modem_no": 1]
        )
        let id = try #require((answer.body as? [[String: Any]])?.first?["id"] as? Int, "\(answer)")
        let rang = try await done(gateway, token: token, id: id)
        #expect(rang["type"] as? String == "ring")
        #expect(rang["status_code"] as? Int == 0)
        #expect(rang["result"] as? String == "answered")
        #expect(gateway.logged("call ended", ["message.id": String(id), "voice": "sip"]))
        #expect(callee.recordings().count == 1)
        let modemCalls = try await gateway.get("/simulator/calls").body
        #expect(modemCalls.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "the modem rang: \(modemCalls)")
    }

    @Test(
        "swiftlet call, and a rule's call action, queue calls that the running gateway places over SIP; with no plugin that places calls swiftlet call refuses, saying why"
    )
    func callFromTheCommandLineAndARule() async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let callee = try await BaresipCallee(number: "+46700000601")
        let gateway = try GatewayProcess()
        try await start(
            gateway,
            plugins: plugins,
            calleePort: callee.port,
            top: """
                rules:
                  - name: wake
                    on: sms.incoming
                    then:
                      - call: {to: ["+46700000601"], text: "Alarm: {text}", duration: 3}

                """
        )
        defer { gateway.stop() }
        let config = gateway.dataDirectory + "-swiftlet.yaml"
        let queued = try GatewayProcess.run(
            [
                "call", "--config", config, "--data-dir", gateway.dataDirectory, "--to", "+46700000601", "--text",
                "Test call from Swiftlet", "--duration", "3",
            ]
        )
        #expect(queued.status == 0, "\(queued.stderr)")
        let id = try #require(queued.stdout.firstMatch(of: /OK; ID=(\d+)/).map { String($0.output.1) })
        try await gateway.waitForLog(saying: "call ended", ["message.id": id, "result": "answered"])
        #expect(callee.recordings().count == 1)

        let refused = try GatewayProcess.run(
            ["call", "--data-dir", gateway.dataDirectory, "--to", "+46700000601", "--text", "x"]
        )
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("need a voice plugin"), "\(refused.stderr)")

        try gateway.inject(from: "+46705550002", "boiler pressure low")
        try await gateway.waitForLog(
            saying: "call ended",
            ["to": "+46700000601", "result": "answered", "message.id": "2"]
        )
        let heard = try SpeechEnvelope.of(wav: try await callee.finishedRecording(2))
        // The rule's text, not the command line's, is what the second call said.
        let rendered = SpeechEnvelope.match(heard, try await spoken("Alarm: boiler pressure low"))
        let other = SpeechEnvelope.match(heard, try await spoken("Test call from Swiftlet"))
        #expect(rendered > 0.8 && rendered > other + 0.2, "rule's text \(rendered), command line's \(other)")
    }

    func callOnce(_ gateway: GatewayProcess, token: String, to number: String) async throws -> Int {
        let answer = try await gateway.apiv2(
            "POST",
            "/calls/tts",
            token: token,
            json: ["to": [number], "text": "Disk full on server one", "duration": 3]
        )
        return try #require((answer.body as? [[String: Any]])?.first?["id"] as? Int, "\(answer)")
    }

    @Test(
        "the gateway killed (-9) during a call: after the restart the call is placed again, and baresip left over from the killed gateway is ended, not in the way"
    )
    func killedDuringACall() async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let callee = try await BaresipCallee(number: "+46700000301")
        let gateway = try GatewayProcess()
        try await start(gateway, plugins: plugins, calleePort: callee.port)
        let token = try gateway.addUser("alarm")
        let id = try await callOnce(gateway, token: token, to: "+46700000301")
        try await gateway.waitForLog("call \(id): answered")
        let pidFile = gateway.dataDirectory + "-voice/baresip.pid"
        let leftOver = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmed))
        gateway.kill()
        #expect(alive(leftOver), "baresip ended with the gateway; nothing to clean up")

        let restarted = try GatewayProcess(dataDirectory: gateway.dataDirectory)
        try await start(restarted, plugins: plugins, calleePort: callee.port)
        defer { restarted.stop() }
        let call = try await done(restarted, token: token, id: id)
        #expect(call["status_code"] as? Int == 0)
        #expect(call["retries"] as? Int == 1, "\(call)")
        #expect(callee.recordings().count == 2)
        #expect(!alive(leftOver), "the killed gateway's baresip still runs")
    }

    /// Whether process `pid` runs (a zombie nobody reaped yet does not).
    func alive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
