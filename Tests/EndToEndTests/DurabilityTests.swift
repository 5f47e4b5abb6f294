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
            !gateway.logged("sent message", ["message.id": String(id)]),
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
        // The gateway keeps running and retrying (one more attempt logged after the OK); the
        // message waits in the outbox.
        func attempts() -> Int { gateway.log.components(separatedBy: "messages stay queued, retrying").count - 1 }
        let before = attempts()
        _ = try await eventually("another attempt to open the modem") { attempts() > before ? true : nil }
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
        // The modem has it (the start-up log already names the modem, so the state is what tells).
        _ = try await eventually("the message being sent") {
            let answer = try await gateway.apiv2("GET", "/messages/outbox/\(id)", token: token)
            return (answer.body as? [String: Any])?["status"] as? String == "sending" ? true : nil
        }
        #expect(gateway.stop() == 0)
        #expect(gateway.logged("sent message", ["message.id": String(id)]))
        #expect(gateway.log.contains("stopped"))

        // After a restart the message is in sentitems and is not sent a second time.
        try await gateway.start(config: config)
        defer { gateway.stop() }
        let sent = try await gateway.get("/http_api/read_sms", [("access_token", token), ("folder", "sentitems")])
        #expect(parseRows(sent.body).map { $0["ID"] } == [String(id)])
        // A message sent now goes out alone: the dispatcher ran and did not send the old one again.
        let next = try await gateway.get(
            "/http_api/send_sms",
            [("access_token", token), ("to", "+46701234567"), ("message", "after the restart")]
        )
        #expect(next.body.hasPrefix("OK; ID="))
        let received = try await eventually("the new message on the network") {
            let list = try gateway.simulatorReceived()
            return list.isEmpty ? nil : list
        }
        #expect(received.map { $0["text"] as? String } == ["after the restart"])
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

/// The order of system calls shows that an acknowledgement means "on disk": the message's page is
/// written to the WAL, the WAL is synced, and only then is `OK; ID=…` written to the socket.
@Suite("End to end: the WAL is synced before the answer")
struct SyncBeforeAnswerTests {
    @Test func sendSMSAnswersOnlyAfterTheWALIsSynced() async throws {
        let trace = try await traceOneSend(synchronous: nil)
        #expect(trace.markerWrittenToWAL, "the message's text never reached the WAL")
        #expect(trace.answer == .afterSync, "\(trace.answer)")
    }

    /// The check above can fail: with `store.synchronous: normal` SQLite does not sync at commit.
    @Test func withSynchronousNormalTheAnswerIsNotPrecededByASync() async throws {
        let trace = try await traceOneSend(synchronous: "normal")
        #expect(trace.markerWrittenToWAL)
        #expect(trace.answer == .beforeSync, "\(trace.answer)")
    }

    /// 50 clients send at once while the modem is switched off (so the dispatcher commits nothing):
    /// their commits share WAL syncs. One sync per request would be 50.
    @Test func concurrentRequestsShareWALSyncs() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let client = try gateway.apiv1()
        #expect(try await client("set_modem_state", [("modem_no", "1"), ("status", "disabled")]) == "OK")
        let marker = "group-\(UUID().uuidString.prefix(8))"
        let log = try await Self.trace(gateway) {
            try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        try await client("send_sms", [("to", "+46702222222"), ("message", "\(marker) \(index)")])
                    }
                }
                for try await answer in group { #expect(answer.hasPrefix("OK; ID="), "\(answer)") }
            }
        }
        // The syncs from the first request's WAL write to the last answer.
        let lines = log.split(separator: "\n")
        let first = try #require(
            lines.firstIndex { $0.contains("pwrite64(") && $0.contains("-wal>") && $0.contains(marker) }
        )
        let last = try #require(lines.lastIndex { $0.contains("OK; ID=") })
        let syncs = lines[first...last].filter {
            ($0.contains("fsync(") || $0.contains("fdatasync(")) && $0.contains("-wal>") && !$0.contains("resumed")
        }
        let answers = lines[first...last].filter { $0.contains("OK; ID=") }
        #expect(answers.count == 50)
        #expect(syncs.count >= 1)
        #expect(syncs.count < 35, "\(syncs.count) WAL syncs for 50 requests")
    }

    /// Starts a gateway, attaches strace to every thread of it, sends one message with a unique text,
    /// and reads the trace.
    func traceOneSend(synchronous: String?) async throws -> SyscallTrace {
        let gateway = try GatewayProcess()
        try await gateway.start(config: synchronous.map { "store:\n  synchronous: \($0)\n" })
        defer { gateway.stop() }
        let client = try gateway.apiv1()
        #expect(try await client("send_sms", [("to", "+46701111111"), ("message", "warm-up")]).hasPrefix("OK"))
        let marker = "strace-marker-\(UUID().uuidString.prefix(8))"
        let log = try await Self.trace(gateway) {
            let answer = try await client("send_sms", [("to", "+46702222222"), ("message", marker)])
            #expect(answer.hasPrefix("OK; ID="), "\(answer)")
        }
        return SyscallTrace(log, marker: marker)
    }

    /// Attaches strace to every thread of the running `gateway`, runs `body`, stops the gateway and
    /// returns the trace of its writes and syncs.
    static func trace(_ gateway: GatewayProcess, during body: () async throws -> Void) async throws -> String {
        let output = gateway.dataDirectory + "-strace.txt"
        let strace = Process()
        strace.executableURL = URL(fileURLWithPath: "/usr/bin/strace")
        strace.arguments = [
            "-f", "-y", "-s", "16384", "-e", "trace=pwrite64,write,writev,sendmsg,fsync,fdatasync",
            "-o", output, "-p", "\(gateway.process!.processIdentifier)",
        ]
        strace.standardError = FileHandle.nullDevice
        try strace.run()
        // strace says "Process N attached" for each thread; the last is announced within milliseconds.
        try await Task.sleep(for: .seconds(1))
        try await body()
        // strace ends, writing all it saw, when the process it traces has ended. (It inherits the
        // test runner's blocked signals, so it cannot be told to stop.)
        try await Task.sleep(for: .milliseconds(300))
        gateway.stop()
        try await eventually(timeout: .seconds(20), "strace to end") { strace.isRunning ? nil : true }
        return try String(contentsOfFile: output, encoding: .utf8)
    }
}

/// What an `strace -f -y` log says about one acknowledged message.
struct SyscallTrace {
    enum Answer: Equatable {
        case notSeen
        /// `OK` went to the socket after a WAL sync completed that followed the message's first WAL write.
        case afterSync
        case beforeSync
    }

    private(set) var markerWrittenToWAL = false
    private(set) var answer = Answer.notSeen

    init(_ log: String, marker: String) {
        var synced = false
        var syncing: Set<Substring> = []  // threads inside a WAL sync (strace split the call)
        for line in log.split(separator: "\n") {
            let thread = line.prefix { $0 != " " }
            let call = line.drop { $0 != " " }.drop { $0 == " " }
            if call.hasPrefix("pwrite64("), call.contains("-wal>"), call.contains(marker) {
                // The transaction that queued it. Later ones rewrite the message's page too (the
                // dispatcher claims it, its status event is added), and may run before the answer
                // is written; they are not what the answer waits for.
                if !markerWrittenToWAL { synced = false }
                markerWrittenToWAL = true
            } else if call.hasPrefix("fsync(") || call.hasPrefix("fdatasync("), call.contains("-wal>") {
                if call.contains("<unfinished") {
                    syncing.insert(thread)
                } else if call.contains("= 0") {
                    synced = markerWrittenToWAL
                }
            } else if call.hasPrefix("<... fsync resumed>") || call.hasPrefix("<... fdatasync resumed>") {
                if syncing.remove(thread) != nil, call.contains("= 0") { synced = markerWrittenToWAL }
            } else if call.contains("<socket:[") || call.contains("<TCP:"), call.contains("OK; ID="),
                answer == .notSeen,
                markerWrittenToWAL
            {
                answer = synced ? .afterSync : .beforeSync
            }
        }
    }
}
