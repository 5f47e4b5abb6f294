import Foundation
import Synchronization
import Testing

@testable import SwiftletDomain

/// Records what the domain asks of its store (the real SQLite store is tested in StoreTests).
final class RecordingStore: MessageStore {
    let enqueued = Mutex<[NewOutgoingMessage]>([])

    func enqueue(_ messages: [NewOutgoingMessage], key: String?) async throws -> [MessageID] {
        enqueued.withLock { list in
            let first = list.count + 1
            list += messages
            return (first..<(first + messages.count)).map(Int64.init)
        }
    }
    func outgoing(matching query: MessageQuery) async throws -> [OutgoingMessage] { [] }
    func incoming(matching query: MessageQuery) async throws -> [IncomingMessage] { [] }
    func count(in folder: Folder, from: Date?, to: Date?, modem: (number: Int, name: String)?) async throws -> Int { 0 }
    func delete(from folder: Folder, ids: ClosedRange<MessageID>, owner: String?) async throws -> Int { 0 }
    func moveQueued(fromModem current: Int, toModem new: Int) async throws -> Int { 0 }
}

@Suite("Queueing outgoing messages")
struct OutboxTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func oneMessagePerRecipientIsQueuedAndTheDispatcherIsWoken() async throws {
        let store = RecordingStore()
        let wakes = Mutex(0)
        let outbox = Outbox(store: store, now: { [now] in now }, didQueue: { _, _ in wakes.withLock { $0 += 1 } })
        let ids = try await outbox.send(
            SendRequest(recipients: ["+46 70-123 45 67", "0701234567"], text: "Alarm", createdBy: "nagios")
        )
        #expect(ids == [1, 2])
        let stored = store.enqueued.withLock { $0 }
        #expect(stored.map(\.recipient?.value) == ["+46701234567", "0701234567"])
        #expect(stored.allSatisfy { $0.notBefore == now && $0.createdBy == "nagios" && $0.payload == .text("Alarm") })
        #expect(wakes.withLock { $0 } == 1)
    }

    @Test func aScheduledMessageIsNotDueBeforeItsTime() async throws {
        let store = RecordingStore()
        let later = now.addingTimeInterval(3600)
        _ = try await Outbox(store: store, now: { [now] in now }).send(
            SendRequest(recipients: ["123456"], text: "x", scheduledAt: later, createdBy: "api")
        )
        #expect(store.enqueued.withLock { $0.first?.notBefore } == later)
    }

    @Test func aDryRunChecksEverythingAndStoresNothing() async throws {
        let store = RecordingStore()
        let outbox = Outbox(store: store)
        let ids = try await outbox.send(
            SendRequest(recipients: ["123456", "654321"], text: "x", dryRun: true, createdBy: "api")
        )
        #expect(ids == [0, 0])
        #expect(store.enqueued.withLock { $0.isEmpty })
        await #expect(throws: SwiftletError.self) {
            try await outbox.send(SendRequest(recipients: ["bad"], text: "x", dryRun: true, createdBy: "api"))
        }
    }

    @Test(arguments: [
        SendRequest(recipients: [], text: "x", createdBy: "api"),
        SendRequest(recipients: ["12ab"], text: "x", createdBy: "api"),
        SendRequest(recipients: ["123456", "+"], text: "x", createdBy: "api"),
        SendRequest(recipients: ["123456"], text: "", createdBy: "api"),
        SendRequest(recipients: ["123456"], text: String(repeating: "x", count: 1531), createdBy: "api"),
        SendRequest(recipients: ["123456"], text: "x", options: SendOptions(priority: 10), createdBy: "api"),
    ])
    func invalidRequestsAreRefusedAndNothingIsStored(request: SendRequest) async throws {
        let store = RecordingStore()
        await #expect {
            try await Outbox(store: store).send(request)
        } throws: { error in
            (error as? SwiftletError)?.kind == .invalidParameter
        }
        #expect(store.enqueued.withLock { $0.isEmpty })
    }
}

@Suite("Domain values")
struct DomainValueTests {
    @Test func phoneNumbersAreNormalised() {
        #expect(PhoneNumber("+46 (70) 123-45.67")?.value == "+46701234567")
        #expect(PhoneNumber("0701234567")?.value == "0701234567")
        #expect(PhoneNumber("1") == nil)
        #expect(PhoneNumber("+46701234567890123456789") == nil)
        #expect(PhoneNumber("46７01") == nil)  // full-width digits are not ASCII
        #expect(PhoneNumber("") == nil)
    }

    @Test func aUSSDRequestIsQueuedWithItsCodeAndNoRecipient() async throws {
        let store = RecordingStore()
        let outbox = Outbox(store: store, modemCount: 2)
        #expect(try await outbox.sendUSSD("*101#", modemNumber: 2, createdBy: "api") == 1)
        let stored = try #require(store.enqueued.withLock { $0 }.first)
        #expect(stored.payload == .ussd(code: "*101#"))
        #expect(stored.recipient == nil)
        #expect(stored.options.modemNumber == 2)
    }

    /// The code goes into an AT command line: nothing that could end it may pass.
    @Test(arguments: [
        "", "101", "*101", "*101#\"\r\nAT+CMGD=1,4\r", "*10A#", "#", "*1٠1#", String(repeating: "*1", count: 30) + "#",
    ])
    func aUSSDCodeThatIsNotOneIsRefused(code: String) async throws {
        let store = RecordingStore()
        let outbox = Outbox(store: store, modemCount: 1)
        await #expect(throws: SwiftletError.self) {
            try await outbox.sendUSSD(code, modemNumber: nil, createdBy: "api")
        }
        await #expect(throws: SwiftletError.self) {
            try await outbox.sendUSSD("*101#", modemNumber: 2, createdBy: "api")
        }
        #expect(store.enqueued.withLock { $0 }.isEmpty)
    }

    @Test func eachOutgoingStateBelongsToOneSMSEagleFolder() {
        #expect(OutgoingState.states(in: .outbox) == [.queued, .claimed, .submitting])
        #expect(OutgoingState.states(in: .sentitems) == [.sent])
        #expect(OutgoingState.states(in: .sendingerror) == [.failed])
        #expect(OutgoingState.states(in: .inbox).isEmpty)
    }

    @Test func usersMayCallWhatTheirPermissionsName() {
        #expect(APIUser(name: "a", permissions: ["*"]).may("send_sms"))
        #expect(APIUser(name: "b", permissions: ["read_sms"]).may("read_sms"))
        #expect(!APIUser(name: "b", permissions: ["read_sms"]).may("send_sms"))
    }
}
