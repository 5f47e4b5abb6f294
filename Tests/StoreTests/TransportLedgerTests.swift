import Foundation
import SwiftletDomain
import SwiftletEvents
import SwiftletStore
import Testing

/// What transports record (ABI 1.5): costs per message, status reports only on their own messages
/// under the right key, a failed-as-uncertain message revived by a report, and the month's spending.
@Suite("store: transport costs and status reports")
struct TransportLedgerTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString)").path
    let now = Date()

    /// A text queued for +46701234567, due now.
    func queued(_ store: SQLiteStore) async throws -> MessageID {
        try await store.enqueue([
            NewOutgoingMessage(
                recipient: PhoneNumber("+46701234567")!,
                payload: .text("Fire"),
                options: SendOptions(),
                createdBy: "t",
                notBefore: now.addingTimeInterval(-1)
            )
        ])[0]
    }

    /// A message claimed, marked submitting by `sender`, and sent through it for `cost`; or, with
    /// `uncertain`, failed for good as a transport that could not tell answers.
    func relayed(
        _ store: SQLiteStore,
        sender: String,
        cost: Double?,
        uncertain: Bool = false
    ) async throws
        -> OutgoingMessage
    {
        let id = try await queued(store)
        let claimed = try await store.claimNext(
            owner: "n",
            leaseUntil: now.addingTimeInterval(60),
            now: now,
            filter: ClaimFilter(modemNumber: 0, kinds: [.sms])
        )
        #expect(claimed?.id == id)
        _ = try await store.markSubmitting(id, owner: "n", modem: sender)
        if uncertain {
            try await store.markAttemptFailed(id, owner: "n", error: "uncertain", retryAt: nil)
        } else {
            try await store.markSentByTransport(id, owner: "n", parts: 2, cost: cost, at: now, reportRequested: true)
        }
        return try #require(
            try await store.outgoing(matching: MessageQuery(folder: uncertain ? .sendingerror : .sentitems)).first {
                $0.id == id
            }
        )
    }

    @Test func aReportReachesOnlyTheSendersOwnMessageUnderItsKey() async throws {
        let store = try SQLiteStore(directory: directory)
        let message = try await relayed(store, sender: "transport:pixie", cost: 0.68)
        #expect(message.cost == 0.68 && message.parts == 2 && message.delivery == .pending)
        let report = TransportReport(
            id: message.id,
            key: message.transportKey,
            status: .delivered,
            detail: nil,
            at: now
        )
        #expect(try await store.recordTransportReport(report, senders: ["transport:other"]) == nil)
        var wrongKey = report
        wrongKey.key = "swiftlet-\(message.id)-1"
        #expect(try await store.recordTransportReport(wrongKey, senders: ["transport:pixie"]) == nil)
        let outcome = try await store.recordTransportReport(report, senders: ["transport:pixie"])
        #expect(outcome == TransportReport.Outcome(id: message.id, recipient: "+46701234567", changed: true))
        #expect(try await store.recordTransportReport(report, senders: ["transport:pixie"])?.changed == false)
        let after = try await store.outgoing(matching: MessageQuery(folder: .sentitems)).first { $0.id == message.id }
        #expect(after?.delivery == .delivered)
    }

    @Test func anUncertainMessageReportedDeliveredIsSentAfterAll() async throws {
        let store = try SQLiteStore(directory: directory)
        let message = try await relayed(store, sender: "transport:pixie", cost: nil, uncertain: true)
        #expect(message.state == .failed)
        let report = TransportReport(
            id: message.id,
            key: message.transportKey,
            status: .delivered,
            detail: nil,
            at: now
        )
        #expect(try await store.recordTransportReport(report, senders: ["transport:pixie"])?.changed == true)
        let after = try await store.outgoing(matching: MessageQuery(folder: .sentitems)).first { $0.id == message.id }
        #expect(after?.state == .sent && after?.delivery == .delivered && after?.lastError == nil)
    }

    @Test func aMessageATransportHeldWhenTheGatewayStoppedGoesBackToItNotToAModem() async throws {
        let store = try SQLiteStore(directory: directory)
        let id = try await queued(store)
        let lease = now.addingTimeInterval(60)
        let transport = ClaimFilter(modemNumber: 0, kinds: [.sms])
        _ = try await store.claimNext(owner: "n", leaseUntil: lease, now: now, filter: transport)
        _ = try await store.markSubmitting(id, owner: "n", modem: "transport:pixie")
        #expect(try await store.reclaimAll(ownedBy: "n", now: now).wereSubmitting == [id])

        var modem = ClaimFilter(modemNumber: 1, avoidingRetriesOf: "modem1")
        modem.leavingInterrupted = "transport:pixie"
        #expect(try await store.claimNext(owner: "n", leaseUntil: lease, now: now, filter: modem) == nil)
        // The transport takes it although its own attempt was the last (a modem is ready).
        var again = transport
        again.avoidingRetriesOf = "transport:pixie"
        #expect(try await store.claimNext(owner: "n", leaseUntil: lease, now: now, filter: again)?.id == id)
    }

    @Test func theMonthsSpendingCountsOneTransportsSentMessages() async throws {
        let store = try SQLiteStore(directory: directory)
        _ = try await relayed(store, sender: "transport:pixie", cost: 0.34)
        _ = try await relayed(store, sender: "transport:pixie", cost: 0.68)
        _ = try await relayed(store, sender: "transport:other", cost: 5)
        let spent = try await store.transportCost(sender: "transport:pixie", since: now.addingTimeInterval(-60))
        #expect(abs(spent - 1.02) < 0.000_001)
        #expect(try await store.transportCost(sender: "transport:pixie", since: now.addingTimeInterval(60)) == 0)
    }
}
