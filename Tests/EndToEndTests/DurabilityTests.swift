import Foundation
import TestSupport
import Testing

@Suite("End to end: acknowledged messages survive crashes and missing modems")
struct DurabilityTests {
    @Test func messageAcknowledgedRightBeforeKill9IsSentAfterRestart() async throws {
        // The simulated network takes 3 s per message, so the kill lands before the send completes.
        let config = "simulator:\n  send_delay: 3s\n"
        let gateway = try GatewayProcess()
        try await gateway.start(config: config)
        let token = try gateway.createToken()

        let answer = try await gateway.get(
            "/http_api/send_sms",
            [("access_token", token), ("to", "+46701234567"), ("message", "Fire alarm, hall B")]
        )
        let id = try #require(answer.body.firstMatch(of: /^OK; ID=(\d+)$/)).output.1
        gateway.kill()
        #expect(
            !gateway.log.contains("sent message \(id)"),
            "the message was sent before the kill; the test proves nothing"
        )

        try await gateway.start(config: config)
        defer { gateway.stop() }
        let received = try await eventually("the message after the restart") {
            try gateway.simulatorReceived().first { $0["text"] as? String == "Fire alarm, hall B" }
        }
        #expect(received["recipient"] as? String == "+46701234567")
        let row = try await eventually("message \(id) in sentitems") {
            let sent = try await gateway.get("/http_api/read_sms", [("access_token", token), ("folder", "sentitems")])
            return parseRows(sent.body).first { $0["ID"] == String(id) }
        }
        #expect(row["TextDecoded"] == "Fire alarm, hall B")
    }

    @Test func missingSerialDeviceIsLoggedAndMessagesStayQueued() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start(config: "modems:\n  - name: gsm1\n    device: /dev/swiftlet-no-such-modem\n")
        defer { gateway.stop() }
        let token = try gateway.createToken()

        try await gateway.waitForLog("cannot open /dev/swiftlet-no-such-modem")
        let answer = try await gateway.get(
            "/http_api/send_sms",
            [("access_token", token), ("to", "+46701234567"), ("message", "queued while down")]
        )
        #expect(answer.body.hasPrefix("OK; ID="))
        // The gateway keeps running and retrying; the message waits in the outbox.
        try await Task.sleep(for: .seconds(2))
        let queue = try await gateway.get("/http_api/get_queue_length", [("access_token", token)])
        #expect(queue.body == "1")
        let outbox = try await gateway.get("/http_api/read_sms", [("access_token", token), ("folder", "outbox")])
        #expect(parseRows(outbox.body).first?["TextDecoded"] == "queued while down")
        #expect(gateway.log.contains("messages stay queued, retrying"))
    }

    @Test func secondGatewayOnTheSameDataDirectoryRefusesToStart() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let second = try GatewayProcess.run(["serve", "--data-dir", gateway.dataDirectory, "--http", "127.0.0.1:0"])
        #expect(second.status != 0)
        #expect(second.stderr.contains("another swiftlet is already running with the data directory"))
    }

    @Test func storeRunsInWALModeWithFullSync() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let line = try await gateway.waitForLog("store ready")
        #expect(line.contains("journal_mode=wal"))
        #expect(line.contains("synchronous=2"))  // FULL
    }
}

@Suite("End to end: stopping")
struct StoppingTests {
    @Test func sigtermWhileSendingFinishesTheMessageAndRecordsIt() async throws {
        let config = "simulator:\n  send_delay: 2s\n"
        let gateway = try GatewayProcess()
        try await gateway.start(config: config)
        let token = try gateway.createToken()
        let answer = try await gateway.get(
            "/http_api/send_sms",
            [("access_token", token), ("to", "+46701234567"), ("message", "last words")]
        )
        let id = try #require(answer.body.firstMatch(of: /^OK; ID=(\d+)$/)).output.1
        try await gateway.waitForLog("modem=simulator")  // the modem has it
        #expect(gateway.stop() == 0)
        #expect(gateway.log.contains("sent message \(id)"))
        #expect(gateway.log.contains("stopped"))

        // After a restart the message is in sentitems and is not sent a second time.
        try await gateway.start(config: config)
        defer { gateway.stop() }
        let sent = try await gateway.get("/http_api/read_sms", [("access_token", token), ("folder", "sentitems")])
        #expect(parseRows(sent.body).map { $0["ID"] } == [String(id)])
        try await Task.sleep(for: .seconds(3))
        #expect(try gateway.simulatorReceived().isEmpty)
    }

    @Test func aBusyPortStopsTheStartWithAClearMessage() async throws {
        let first = try GatewayProcess()
        try await first.start()
        defer { first.stop() }
        let port = String(first.baseURL.split(separator: ":").last!)
        let second = try GatewayProcess()
        let clock = ContinuousClock.now
        let result = try GatewayProcess.run([
            "serve", "--data-dir", second.dataDirectory, "--http", "127.0.0.1:\(port)",
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot listen on 127.0.0.1:\(port): the address is in use"))
        #expect(ContinuousClock.now - clock < .seconds(15))
    }
}
