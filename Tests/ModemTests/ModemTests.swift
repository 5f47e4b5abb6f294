import Foundation
import Logging
import NIOCore
import SMSCodec
import Synchronization
import TestSupport
import Testing

@testable import ModemSimulator
@testable import SwiftletModem

/// Runs a simulator and a worker on a real pseudo-terminal for the length of `body`.
func withModem(
    settings: SimulatorSettings = SimulatorSettings(),
    runSimulator: Bool = true,
    timeouts: ModemTimeouts = ModemTimeouts(command: .seconds(2), send: .seconds(10)),
    healthCheckInterval: Duration = .seconds(30),
    receive: @escaping @Sendable (ReceivedSMS) async throws -> Void = { _ in },
    deliveryReport: @escaping @Sendable (StatusReportPDU) async throws -> Void = { _ in },
    incomingCall: @escaping @Sendable (String) -> Void = { _ in },
    _ body: (ModemSimulator, ModemWorker) async throws -> Void
) async throws {
    let logger = Logger(label: "test")
    let simulator = try ModemSimulator(settings: settings, logger: logger)
    let worker = ModemWorker(
        configuration: ModemConfiguration(
            name: "test",
            device: simulator.devicePath,
            timeouts: timeouts,
            healthCheckInterval: healthCheckInterval
        ),
        logger: logger,
        receive: receive,
        deliveryReport: deliveryReport,
        incomingCall: incomingCall
    )
    try await withThrowingTaskGroup(of: Void.self) { group in
        if runSimulator { group.addTask { try await simulator.run() } }
        group.addTask { await worker.run() }
        defer { group.cancelAll() }
        try await body(simulator, worker)
    }
}

@Suite("The modem driver against the simulated modem on a pseudo-terminal")
struct ModemTests {
    @Test func aMessageSentByTheDriverIsDecodedByTheNetwork() async throws {
        try await withModem { simulator, worker in
            try await waitUntil("the modem to be ready") { worker.state == .ready }
            #expect(worker.signal?.rssi == 21)
            let submitted = Mutex(false)
            let receipt = try await worker.send(
                ModemMessage(recipient: "+46701234567", text: "Ärende 42 €", options: SubmitOptions())
            ) { submitted.withLock { $0 = true } }
            #expect(submitted.withLock { $0 })
            let received = await simulator.receivedMessages()
            #expect(received.map(\.text) == ["Ärende 42 €"])
            #expect(received.first?.recipient == "+46701234567")
            #expect(received.first?.references == receipt.references)
        }
    }

    @Test func statusReportsThatTheModemPassesOnReachTheGatewayAfterTheSendIsRecorded() async throws {
        var settings = SimulatorSettings()
        settings.undeliverable = ["+46700000001"]
        let reports = Mutex<[StatusReportPDU]>([])
        let recorded = Mutex<[Int]>([])
        let record: @Sendable (StatusReportPDU) async throws -> Void = { report in
            // The send it reports on was recorded first, even with an instant report.
            #expect(recorded.withLock { $0.contains(report.messageReference) })
            reports.withLock { $0.append(report) }
        }
        try await withModem(settings: settings, deliveryReport: record) { _, worker in
            try await waitUntil("the modem to be ready") { worker.state == .ready }
            var references: [Int] = []
            for recipient in ["+46701234567", "+46700000001"] {
                let receipt = try await worker.send(
                    ModemMessage(recipient: recipient, text: "report?", options: SubmitOptions(statusReport: true)),
                    beforeSubmit: {},
                    afterSubmit: { receipt in recorded.withLock { $0 += receipt.references } }
                )
                references += receipt.references
            }
            try await waitUntil("two reports") { reports.withLock { $0.count } == 2 }
            let got = reports.withLock { $0 }
            #expect(got.map(\.messageReference) == references)
            #expect(got.map(\.delivered) == [true, false])
            #expect(got.map(\.recipient.description) == ["+46701234567", "+46700000001"])
        }
    }

    @Test func statusReportsAModemOnlyStoresAreReadFromItsMemoryAndDeleted() async throws {
        var settings = SimulatorSettings()
        settings.directStatusReports = false  // refuses AT+CNMI=…,1,…: reports arrive as +CDSI: "SR",n
        let reports = Mutex<[StatusReportPDU]>([])
        let received = Mutex<[String]>([])
        let store: @Sendable (ReceivedSMS) async throws -> Void = { sms in received.withLock { $0.append(sms.text) } }
        let record: @Sendable (StatusReportPDU) async throws -> Void = { report in
            reports.withLock { $0.append(report) }
        }
        try await withModem(settings: settings, receive: store, deliveryReport: record) { simulator, worker in
            try await waitUntil("the modem to be ready") { worker.state == .ready }
            let receipt = try await worker.send(
                ModemMessage(
                    recipient: "+46701234567",
                    text: "stored report?",
                    options: SubmitOptions(statusReport: true)
                )
            ) {}
            try await waitUntil("the report") { reports.withLock { !$0.isEmpty } }
            #expect(reports.withLock { $0.map(\.messageReference) } == receipt.references)
            try await waitUntil("the report to be deleted") { await simulator.storedReportCount() == 0 }
            // Reading went back to the message memory: a new SMS is still read.
            try await simulator.injectIncoming(from: "+46709876543", text: "after the report")
            try await waitUntil("the new message") { received.withLock { $0 == ["after the report"] } }
            try await waitUntil("the message to be deleted from the SIM") { await simulator.storedMessageCount() == 0 }
        }
    }

    @Test func whenMarkingFailsNothingIsSent() async throws {
        try await withModem { simulator, worker in
            try await waitUntil("the modem to be ready") { worker.state == .ready }
            struct ClaimLost: Error {}
            await #expect(throws: ClaimLost.self) {
                try await worker.send(ModemMessage(recipient: "123456", text: "x", options: SubmitOptions())) {
                    throw ClaimLost()
                }
            }
            #expect(await simulator.receivedMessages().isEmpty)
        }
    }

    @Test func anIncomingMessageIsDeletedFromTheSIMOnlyAfterItIsStored() async throws {
        let received = Mutex<[ReceivedSMS]>([])
        let store: @Sendable (ReceivedSMS) async throws -> Void = { sms in received.withLock { $0.append(sms) } }
        try await withModem(receive: store) { simulator, worker in
            try await waitUntil("the modem to be ready") { worker.state == .ready }
            try await simulator.injectIncoming(from: "+46709876543", text: "STATUS?")
            try await waitUntil("the message to be stored") { received.withLock { !$0.isEmpty } }
            try await waitUntil("the SIM to be emptied") { await simulator.storedMessageCount() == 0 }
            let sms = try #require(received.withLock { $0.first })
            #expect(sms.sender == "+46709876543")
            #expect(sms.text == "STATUS?")
            #expect(sms.serviceCentre == "+15550100000")
        }
    }

    @Test func anIncomingMessageThatCannotBeStoredStaysOnTheSIMAndIsTakenOnceItCanBe() async throws {
        struct DiskFull: Error {}
        let attempts = Mutex(0)
        let diskFull = Mutex(true)
        let stored = Mutex<[String]>([])
        let store: @Sendable (ReceivedSMS) async throws -> Void = { sms in
            // The disk is full until the test has looked at the SIM after two failed attempts (on a
            // loaded machine a third attempt could come before it looks).
            attempts.withLock { $0 += 1 }
            guard !diskFull.withLock({ $0 }) else { throw DiskFull() }
            stored.withLock { $0.append(sms.text) }
        }
        try await withModem(healthCheckInterval: .milliseconds(300), receive: store) { simulator, worker in
            try await waitUntil("the modem to be ready") { worker.state == .ready }
            try await simulator.injectIncoming(from: "+46709876543", text: "keep me")
            // Tried, failed, and tried again at the next health check: by then a driver that
            // deletes what it could not store would have sent AT+CMGD.
            try await waitUntil("the store to be tried twice") { attempts.withLock { $0 } >= 2 }
            #expect(await simulator.commandCount("+CMGD") == 0)
            #expect(await simulator.storedMessageCount() == 1)
            diskFull.withLock { $0 = false }
            // The next attempt stores it; only then is it deleted from the SIM.
            try await waitUntil("the message to be stored") { stored.withLock { !$0.isEmpty } }
            try await waitUntil("the SIM to be emptied") { await simulator.storedMessageCount() == 0 }
            #expect(stored.withLock { $0 } == ["keep me"])
        }
    }

    @Test func messagesLeftOnTheSIMWhileTheGatewayWasDownAreReadAtStart() async throws {
        let received = Mutex<[String]>([])
        let logger = Logger(label: "test")
        let simulator = try ModemSimulator(logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await simulator.run() }
            defer { group.cancelAll() }
            try await simulator.injectIncoming(from: "+15551234567", text: "arrived while down")
            let worker = ModemWorker(
                configuration: ModemConfiguration(name: "t", device: simulator.devicePath),
                logger: logger,
                receive: { sms in received.withLock { $0.append(sms.text) } }
            )
            group.addTask { await worker.run() }
            try await waitUntil("the stored message to be read") { received.withLock { !$0.isEmpty } }
            #expect(received.withLock { $0 } == ["arrived while down"])
        }
    }

    @Test func aModemThatDoesNotAnswerIsReportedDownAndTakesNoWork() async throws {
        let states = Mutex<[ModemState]>([])
        let logger = Logger(label: "test")
        let silent = try ModemSimulator(logger: logger)  // opened, never run: nothing answers
        let worker = ModemWorker(
            configuration: ModemConfiguration(
                name: "silent",
                device: silent.devicePath,
                timeouts: ModemTimeouts(command: .milliseconds(300))
            ),
            logger: logger,
            receive: { _ in },
            stateChanged: { state in states.withLock { $0.append(state) } }
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await worker.run() }
            defer { group.cancelAll() }
            try await waitUntil("the modem to be down") {
                if case .down(let reason) = worker.state { return reason.contains("does not answer AT") }
                return false
            }
            await #expect {
                try await worker.send(ModemMessage(recipient: "123456", text: "x", options: SubmitOptions())) {}
            } throws: { ($0 as? ModemError)?.kind == .unavailable }
        }
        let reasons = states.withLock { $0 }.compactMap { if case .down(let reason) = $0 { reason } else { nil } }
        #expect(reasons.contains { $0.contains("does not answer AT") })
    }

    @Test func aMissingDeviceIsReportedWithItsPath() async throws {
        let worker = ModemWorker(
            configuration: ModemConfiguration(name: "gone", device: "/dev/swiftlet-missing"),
            logger: Logger(label: "t"),
            receive: { _ in }
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await worker.run() }
            defer { group.cancelAll() }
            try await waitUntil("the modem to be down") {
                if case .down(let reason) = worker.state { return reason.contains("cannot open /dev/swiftlet-missing") }
                return false
            }
        }
    }
}

@Suite("Reading the AT line")
struct ATLineTests {
    func events(_ text: String) -> [ATLine] {
        var buffer = ByteBuffer(string: text)
        var result: [ATLine] = []
        while let next = ATLineDecoder.next(&buffer) {
            if let line = next { result.append(line) }
        }
        return result
    }

    @Test func linesPromptsAndNoiseAreToldApart() {
        #expect(events("\r\n+CSQ: 20,99\r\n\r\nOK\r\n") == [.line("+CSQ: 20,99"), .line("OK")])
        #expect(events("\r\n> ") == [.prompt])
        #expect(events("AT\r\r\n\u{0}OK\r\n") == [.line("AT"), .line("OK")])
        #expect(events("\r\n+CMTI: \"SM\",3\r\n") == [.line("+CMTI: \"SM\",3")])
        #expect(events("partial") == [])  // waits for the rest
    }

    @Test func theSimulatorReadsCommandsAndPDUs() {
        var parser = SimulatorInputParser()
        #expect(
            parser.feed(Array("AT\rATE0\r\nAT+CMGS=23\r".utf8)) == [
                .command("AT"), .command("ATE0"), .command("AT+CMGS=23"),
            ]
        )
        parser.expectPDU()
        #expect(parser.feed(Array("0011\u{1A}".utf8)) == [.pdu("0011")])
        parser.expectPDU()
        #expect(parser.feed(Array("00\u{1B}AT\r".utf8)) == [.cancelledPDU, .command("AT")])
    }

    @Test func newMessageIndicationsGiveTheSlot() {
        #expect(ModemWorker.storedIndication("+CMTI: \"SM\",12")! == ("+CMTI:", "SM", 12))
        #expect(ModemWorker.storedIndication("+CMTI: \"ME\", 3")! == ("+CMTI:", "ME", 3))
        #expect(ModemWorker.storedIndication("+CDSI: \"SR\",4")! == ("+CDSI:", "SR", 4))
        #expect(ModemWorker.storedIndication("+CMTI: garbage") == nil)
    }
}

@Suite("The modem driver recovers")
struct ModemRecoveryTests {
    @Test func aModemThatStopsAnsweringIsReopenedWhenItAnswersAgain() async throws {
        let timeouts = ModemTimeouts(command: .milliseconds(300), send: .seconds(1))
        try await withModem(timeouts: timeouts) { simulator, worker in
            try await waitUntil("the modem to be ready") { worker.state == .ready }
            await simulator.setResponsive(false)
            await #expect {
                try await worker.send(ModemMessage(recipient: "123456", text: "lost?", options: SubmitOptions())) {}
            } throws: { ($0 as? ModemError)?.kind == .timeout }
            try await waitUntil("the modem to be down") { worker.state != .ready }
            await simulator.setResponsive(true)
            try await waitUntil("the modem to be ready again", timeout: .seconds(15)) { worker.state == .ready }
            _ = try await worker.send(ModemMessage(recipient: "123456", text: "after", options: SubmitOptions())) {}
            #expect(await simulator.receivedMessages().map(\.text).last == "after")
        }
    }

    @Test func aDeviceThatAppearsLaterIsOpenedThen() async throws {
        let logger = Logger(label: "test")
        let simulator = try ModemSimulator(logger: logger)
        let link = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-tty-\(UUID())").path
        let worker = ModemWorker(
            configuration: ModemConfiguration(name: "late", device: link),
            logger: logger,
            receive: { _ in }
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await simulator.run() }
            group.addTask { await worker.run() }
            defer { group.cancelAll() }
            try await waitUntil("the modem to be down") {
                if case .down = worker.state { return true } else { return false }
            }
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: simulator.devicePath)
            defer { try? FileManager.default.removeItem(atPath: link) }
            try await waitUntil("the modem to be ready", timeout: .seconds(15)) { worker.state == .ready }
            _ = try await worker.send(ModemMessage(recipient: "123456", text: "hello", options: SubmitOptions())) {}
            #expect(await simulator.receivedMessages().map(\.text) == ["hello"])
        }
    }
}

@Suite("SIM PIN and network registration")
struct SIMAndNetworkTests {
    func worker(
        _ simulator: ModemSimulator,
        pin: String? = nil,
        registrationTimeout: Duration = .seconds(5)
    )
        -> ModemWorker
    {
        var configuration = ModemConfiguration(
            name: "t",
            device: simulator.devicePath,
            timeouts: ModemTimeouts(command: .seconds(1)),
            healthCheckInterval: .milliseconds(300)
        )
        configuration.pin = pin
        configuration.registrationTimeout = registrationTimeout
        return ModemWorker(configuration: configuration, logger: Logger(label: "test"), receive: { _ in })
    }

    func run(_ simulator: ModemSimulator, _ worker: ModemWorker, _ body: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await simulator.run() }
            group.addTask { await worker.run() }
            defer { group.cancelAll() }
            try await body()
        }
    }

    func down(_ worker: ModemWorker, because text: String) -> Bool {
        if case .down(let reason) = worker.state { return reason.contains(text) }
        return false
    }

    @Test func theConfiguredPINUnlocksTheSIM() async throws {
        var settings = SimulatorSettings()
        settings.pin = "2468"
        let simulator = try ModemSimulator(settings: settings, logger: Logger(label: "test"))
        let worker = worker(simulator, pin: "2468")
        try await run(simulator, worker) {
            try await waitUntil("the modem to be ready") { worker.state == .ready }
            #expect(worker.registration == nil || worker.registration == .home)
        }
    }

    @Test func aSIMThatWantsAPINWithNoneConfiguredSaysSo() async throws {
        var settings = SimulatorSettings()
        settings.pin = "2468"
        let simulator = try ModemSimulator(settings: settings, logger: Logger(label: "test"))
        let worker = worker(simulator)
        try await run(simulator, worker) {
            try await waitUntil("the reason") { down(worker, because: "asks for its PIN") }
        }
    }

    @Test func aWrongPINIsTriedOnceOnlySoTheSIMIsNotBlocked() async throws {
        var settings = SimulatorSettings()
        settings.pin = "2468"
        let simulator = try ModemSimulator(settings: settings, logger: Logger(label: "test"))
        let worker = worker(simulator, pin: "1111")
        try await run(simulator, worker) {
            try await waitUntil("the reason") { down(worker, because: "refused the configured PIN") }
            // Several reconnects, each of which asks the SIM's state again.
            let asked = await simulator.commandCount("+CPIN")
            try await waitUntil("three more reconnects", timeout: .seconds(30)) {
                await simulator.commandCount("+CPIN") >= asked + 3
            }
            #expect(await simulator.remainingPINAttempts() == 2)
            // Between reconnects the worker is connecting; once the SIM has asked again, it says why.
            try await waitUntil("the reason after a reconnect") { down(worker, because: "asks for its PIN") }
        }
    }

    @Test func aModemStillSearchingAtStartIsDownUntilItRegisters() async throws {
        let simulator = try ModemSimulator(logger: Logger(label: "test"))
        await simulator.setRegistration(2)
        let worker = worker(simulator, registrationTimeout: .milliseconds(500))
        try await run(simulator, worker) {
            try await waitUntil("the reason") { down(worker, because: "searching for a network") }
            await simulator.setRegistration(1)
            try await waitUntil("the modem to be ready", timeout: .seconds(15)) { worker.state == .ready }
        }
    }

    @Test func aModemThatLosesTheNetworkIsDownUntilItIsBack() async throws {
        let simulator = try ModemSimulator(logger: Logger(label: "test"))
        let worker = worker(simulator)
        try await run(simulator, worker) {
            try await waitUntil("the modem to be ready") { worker.state == .ready }
            await simulator.setRegistration(3)
            try await waitUntil("the modem to be down") { down(worker, because: "registration denied") }
            await #expect {
                try await worker.send(ModemMessage(recipient: "123456", text: "x", options: SubmitOptions())) {}
            } throws: { ($0 as? ModemError)?.kind == .unavailable }
            await simulator.setRegistration(5)
            try await waitUntil("the modem to be ready", timeout: .seconds(15)) { worker.state == .ready }
            _ = try await worker.send(ModemMessage(recipient: "123456", text: "back", options: SubmitOptions())) {}
            #expect(await simulator.receivedMessages().map(\.text) == ["back"])
        }
    }

    @Test(
        arguments: [
            ("at-creg/empty.dump", nil), ("at-creg/huawei.dump", Registration.home),
            ("at-creg/none.dump", .notSearching), ("at-creg/siemens.dump", .home),
            ("at-creg/sierra312u.dump", .roaming),
            ("at-creg/telit.dump", .home), ("at-creg-corner/empty-lac.dump", .home),
            ("at-creg-corner/mismatched-quotes.dump", .home), ("at-creg-corner/single-quote.dump", .home),
        ] as [(String, Registration?)]
    )
    func registrationAnswersOfRealModemsParse(file: String, expected: Registration?) throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus/gammu-at")
        let text = try String(contentsOf: corpus.appendingPathComponent(file), encoding: .isoLatin1)
        let answer = ATResponse(lines: text.components(separatedBy: .newlines).filter { $0.hasPrefix("+CREG:") })
        #expect(answer.value(after: "+CREG:").flatMap(Registration.parse) == expected)
    }
}
