import Foundation
import Logging
import SMSCodec
import Synchronization
import TestSupport
import Testing

@testable import ModemSimulator
@testable import SwiftletModem

/// Waits for `body` at most `timeout`; fails the test instead of hanging when it does not return.
func within<T: Sendable>(
    _ timeout: Duration,
    _ what: String,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard case .some(.some(let value)) = try await group.next() else {
            throw ModemError(.timeout, "\(what) did not return within \(timeout)")
        }
        return value
    }
}

@Suite("USSD, voice calls, call forwarding and switching a modem off, against the simulator")
struct ModemServicesTests {
    @Test func aUSSDAnswerIsReturnedAndStoredAsAMessageFromTheCode() async throws {
        let received = Mutex<[ReceivedSMS]>([])
        var settings = SimulatorSettings()
        settings.ussdAnswers = ["*101#": "Saldo: 12,34 EUR"]
        let receive: @Sendable (ReceivedSMS) async throws -> Void = { sms in received.withLock { $0.append(sms) } }
        try await withModem(settings: settings, receive: receive) { _, worker in
            try await waitUntil("ready") { worker.state == .ready }
            let marked = Mutex(false)
            let answer = try await worker.ussd("*101#", beforeSubmit: { marked.withLock { $0 = true } })
            #expect(answer == "Saldo: 12,34 EUR")
            #expect(marked.withLock { $0 })
            let stored = received.withLock { $0 }
            #expect(stored.map(\.sender) == ["*101#"])
            #expect(stored.map(\.text) == ["Saldo: 12,34 EUR"])
        }
    }

    /// A menu answer (`+CUSD: 1`) leaves the session open for a reply the API cannot give: the
    /// driver returns the menu and ends the session with `AT+CUSD=2`.
    @Test func aUSSDMenuTheNetworkLeavesOpenIsClosed() async throws {
        var settings = SimulatorSettings()
        settings.ussdAnswers = ["*111#": "1 Balance 2 Bundles"]
        settings.ussdMenus = ["*111#"]
        try await withModem(settings: settings) { simulator, worker in
            try await waitUntil("ready") { worker.state == .ready }
            let answer = try await worker.ussd("*111#")
            #expect(answer == "1 Balance 2 Bundles")
            try await waitUntil("the session to be closed") { await !simulator.isUSSDSessionOpen() }
            #expect(await simulator.commandCount("+CUSD") == 2)
        }
    }

    @Test func aUSSDCodeTheNetworkDoesNotKnowIsAnErrorAndTheModemCarriesOn() async throws {
        try await withModem { simulator, worker in
            try await waitUntil("ready") { worker.state == .ready }
            let error = await #expect(throws: ModemError.self) { _ = try await worker.ussd("*999#") }
            #expect(error?.detail.contains("does not support USSD *999#") == true)
            #expect(worker.state == .ready)
            _ = try await worker.send(ModemMessage(recipient: "+46701234567", text: "still here", options: .init())) {}
            #expect(await simulator.receivedMessages().map(\.text) == ["still here"])
        }
    }

    @Test func aUSSDMessageTheNetworkSendsOnItsOwnReachesTheInbox() async throws {
        let received = Mutex<[ReceivedSMS]>([])
        let receive: @Sendable (ReceivedSMS) async throws -> Void = { sms in received.withLock { $0.append(sms) } }
        try await withModem(receive: receive) { simulator, worker in
            try await waitUntil("ready") { worker.state == .ready }
            await simulator.injectNetworkUSSD("Welcome to the network")
            try await waitUntil("the notice") { !received.withLock { $0 }.isEmpty }
            #expect(received.withLock { $0 }.map { "\($0.sender): \($0.text)" } == ["USSD: Welcome to the network"])
        }
    }

    @Test func aCallIsHungUpAfterItsDurationAndTheModemSendsAgainAfterwards() async throws {
        try await withModem { simulator, worker in
            try await waitUntil("ready") { worker.state == .ready }
            try await worker.call("+46701234567", duration: .seconds(3))
            // Answered at the dial, not at the hang-up: the call is still going on.
            #expect(await simulator.placedCalls().map(\.number) == ["+46701234567"])
            #expect(await simulator.placedCalls().first?.endedAt == nil)
            // A message queued during the call goes out once the call ends.
            _ = try await worker.send(ModemMessage(recipient: "+46701234567", text: "after", options: .init())) {}
            let call = try #require(await simulator.placedCalls().first)
            #expect(call.endedBy == "modem")
            let length = try #require(call.endedAt) - call.startedAt
            #expect(length >= 2.9 && length < 15)
            #expect(await simulator.receivedMessages().map(\.text) == ["after"])
        }
    }

    @Test func aCallTheOtherSideEndsFreesTheModemAtOnce() async throws {
        try await withModem { simulator, worker in
            try await waitUntil("ready") { worker.state == .ready }
            try await worker.call("+46701234567", duration: .seconds(60))
            await simulator.endCallRemotely()
            _ = try await within(.seconds(5), "a send after the call") {
                try await worker.send(ModemMessage(recipient: "+46701234567", text: "x", options: .init())) {}
            }
            #expect(await simulator.placedCalls().first?.endedBy == "remote")
        }
    }

    @Test func aBusyNumberEndsTheCall() async throws {
        var settings = SimulatorSettings()
        settings.busyNumbers = ["+46700000002"]
        try await withModem(settings: settings) { simulator, worker in
            try await waitUntil("ready") { worker.state == .ready }
            try await worker.call("+46700000002", duration: .seconds(60))
            _ = try await within(.seconds(5), "the forwarding query after the call") {
                try await worker.callForwarding()
            }
            #expect(await simulator.placedCalls().first?.endedBy == "busy")
        }
    }

    @Test func aModemWithoutVoiceSaysSo() async throws {
        var settings = SimulatorSettings()
        settings.voice = false
        try await withModem(settings: settings) { _, worker in
            try await waitUntil("ready") { worker.state == .ready }
            let error = await #expect(throws: ModemError.self) {
                try await worker.call("+46701234567", duration: .seconds(5))
            }
            #expect(error?.kind == .notSupported)
            #expect(worker.state == .ready)
        }
    }

    @Test func callForwardingIsSetReadAndSwitchedOff() async throws {
        try await withModem { simulator, worker in
            try await waitUntil("ready") { worker.state == .ready }
            #expect(try await worker.callForwarding() == CallForwarding(enabled: false))
            try await worker.setCallForwarding(to: "+48123456789")
            #expect(await simulator.callForwarding() == "+48123456789")
            #expect(try await worker.callForwarding() == CallForwarding(enabled: true, number: "+48123456789"))
            try await worker.setCallForwarding(to: nil)
            #expect(await simulator.callForwarding() == nil)
            #expect(try await worker.callForwarding() == CallForwarding(enabled: false))
        }
    }

    @Test(arguments: ["+4670\"\r\nAT+CMGD=1,4", "*21*123#\r", ""])
    func numbersThatCouldInjectCommandsNeverReachTheModem(number: String) async throws {
        try await withModem { simulator, worker in
            try await waitUntil("ready") { worker.state == .ready }
            await #expect(throws: ModemError.self) { try await worker.call(number, duration: .seconds(1)) }
            await #expect(throws: ModemError.self) { try await worker.setCallForwarding(to: number) }
            await #expect(throws: ModemError.self) { _ = try await worker.ussd(number) }
            #expect(await simulator.placedCalls().isEmpty)
            #expect(await simulator.callForwarding() == nil)
        }
    }

    @Test func theRadioLinkIsKeptOpenBetweenThePartsOfALongMessage() async throws {
        try await withModem { simulator, worker in
            try await waitUntil("ready") { worker.state == .ready }
            _ = try await worker.send(ModemMessage(recipient: "+46701234567", text: "short", options: .init())) {}
            #expect(await simulator.linkKeptOpenRequests() == 0)
            let long = String(repeating: "0123456789", count: 40)
            let receipt = try await worker.send(ModemMessage(recipient: "+46701234567", text: long, options: .init())) {
            }
            #expect(receipt.references.count == 3)
            #expect(await simulator.linkKeptOpenRequests() == 1)
        }
    }

    @Test func theModemsIdentityIsReadAtStart() async throws {
        try await withModem { _, worker in
            try await waitUntil("ready") { worker.state == .ready }
            let identity = try #require(worker.identity)
            #expect(identity.manufacturer == "Swiftlet")
            #expect(identity.imei == "350000000000001")
            #expect(identity.imsi == "001010000000001")
        }
    }

    @Test func aDisabledModemClosesAfterTheSendInProgressAndComesBackWhenEnabled() async throws {
        var settings = SimulatorSettings()
        settings.sendDelay = .milliseconds(500)
        let states = Mutex<[ModemState]>([])
        let simulator = try ModemSimulator(settings: settings, logger: Logger(label: "test"))
        let worker = ModemWorker(
            configuration: ModemConfiguration(name: "m", device: simulator.devicePath),
            logger: Logger(label: "test"),
            receive: { _ in },
            stateChanged: { state in states.withLock { $0.append(state) } }
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await simulator.run() }
            group.addTask { await worker.run() }
            defer { group.cancelAll() }
            try await waitUntil("ready") { worker.state == .ready }
            async let sending = worker.send(
                ModemMessage(recipient: "+46701234567", text: "in flight", options: .init())
            ) {}
            try await waitUntil("the send to be in progress") { await simulator.commandCount("+CMGS") == 1 }
            worker.setEnabled(false)
            _ = try await sending  // the send in progress completes
            try await waitUntil("disabled") { worker.state == .disabled }
            let refused = await #expect(throws: ModemError.self) {
                try await worker.send(ModemMessage(recipient: "+46701234567", text: "refused", options: .init())) {}
            }
            #expect(refused?.kind == .disabled)
            worker.setEnabled(true)
            try await waitUntil("ready again") { worker.state == .ready }
            _ = try await worker.send(ModemMessage(recipient: "+46701234567", text: "back", options: .init())) {}
            #expect(await simulator.receivedMessages().map(\.text) == ["in flight", "back"])
            #expect(states.withLock { $0 }.contains(.disabled))
        }
    }

    /// Work queued behind a command that ends the connection is answered, not left waiting for ever.
    @Test func workWaitingWhenTheConnectionEndsIsAnsweredAsUnavailable() async throws {
        var settings = SimulatorSettings()
        settings.sendDelay = .seconds(3)
        try await withModem(
            settings: settings,
            timeouts: ModemTimeouts(command: .seconds(2), send: .milliseconds(500))
        ) { simulator, worker in
            try await waitUntil("ready") { worker.state == .ready }
            let timingOut = Task {
                try await worker.send(ModemMessage(recipient: "+46701234567", text: "slow", options: .init())) {}
            }
            try await waitUntil("the send to be in progress") { await simulator.commandCount("+CMGS") == 1 }
            let waiting = await #expect(throws: ModemError.self) {
                _ = try await within(.seconds(10), "the forwarding query queued behind the send") {
                    try await worker.callForwarding()
                }
            }
            #expect(waiting?.kind == .unavailable)
            let first = await #expect(throws: ModemError.self) { _ = try await timingOut.value }
            #expect(first?.kind == .timeout)
        }
    }

    /// A phone rings several times per call (RING and +CLIP each time): one call is one report,
    /// and a caller calling again after someone else is a new call.
    @Test func anIncomingCallIsReportedOncePerCallNotAtEveryRing() async throws {
        let calls = Mutex<[String]>([])
        let report: @Sendable (String) -> Void = { number in calls.withLock { $0.append(number) } }
        try await withModem(incomingCall: report) { simulator, worker in
            try await waitUntil("ready") { worker.state == .ready }
            for _ in 0..<3 { await simulator.injectCall(from: "+46701234567") }
            await simulator.injectCall(from: "+46709999999")
            await simulator.injectCall(from: "+46701234567")
            try await waitUntil("three calls") { calls.withLock { $0.count } >= 3 }
            // A send's round trip after the rings: every line the modem said before it is handled.
            _ = try await worker.send(ModemMessage(recipient: "+46701234567", text: "ok", options: .init())) {}
            #expect(calls.withLock { $0 } == ["+46701234567", "+46709999999", "+46701234567"])
        }
    }

    @Test func anIncomingCallDoesNotDisturbTheModem() async throws {
        try await withModem { simulator, worker in
            try await waitUntil("ready") { worker.state == .ready }
            await simulator.injectCall(from: "+46701234567")
            await simulator.injectCall(from: "+46701234567")
            _ = try await worker.send(ModemMessage(recipient: "+46701234567", text: "ok", options: .init())) {}
            #expect(await simulator.receivedMessages().map(\.text) == ["ok"])
        }
    }
}
