import Foundation
import SwiftletEvents

/// Reading and queueing messages: what the APIs need from the store.
///
/// Every method that returns normally has committed its changes durably.
public protocol MessageStore: Sendable {
    /// Stores the messages as `queued`, all or none, and returns their ids in order.
    ///
    /// With an idempotency `key` already used by an earlier call (kept 30 days), stores nothing and
    /// returns that call's ids: a source that offers the same thing again after a crash (an MQTT
    /// redelivery, a mail polled again) does not queue it twice.
    func enqueue(_ messages: [NewOutgoingMessage], key: String?) async throws -> [MessageID]
    func outgoing(matching query: MessageQuery) async throws -> [OutgoingMessage]
    func incoming(matching query: MessageQuery) async throws -> [IncomingMessage]
    /// How many messages `folder` holds, optionally within a time window: received (inbox), created
    /// (outbox), sent (sent items) or given up (sending errors).
    /// With `modem`, only the messages of that modem (number and name), as `MessageQuery.modem`.
    /// Counts are the gateway's figures (what monitoring checks read), not filtered by owner: they
    /// reveal no message.
    func count(in folder: Folder, from: Date?, to: Date?, modem: (number: Int, name: String)?) async throws -> Int
    /// Deletes the messages of `folder` whose ids are in `ids`; in the outbox only those no modem has
    /// taken yet; in the outgoing folders with an `owner`, only that user's (``APIUser/messageOwner``).
    /// Returns how many were deleted.
    func delete(from folder: Folder, ids: ClosedRange<MessageID>, owner: String?) async throws -> Int
    /// Gives the queued messages bound to modem `current` to modem `new` (`set_outbox_modem_no`).
    /// Returns how many moved.
    func moveQueued(fromModem current: Int, toModem new: Int) async throws -> Int
}

extension MessageStore {
    public func enqueue(_ messages: [NewOutgoingMessage]) async throws -> [MessageID] {
        try await enqueue(messages, key: nil)
    }

    /// Outgoing messages not yet sent or failed, optionally within a creation-time window.
    public func queueLength(createdFrom: Date?, createdTo: Date?) async throws -> Int {
        try await count(in: .outbox, from: createdFrom, to: createdTo, modem: nil)
    }
}

/// The admin's switches for modems, kept across restarts.
public protocol ModemSettingsStore: Sendable {
    /// The names of the modems the admin disabled.
    func disabledModems() async throws -> Set<String>
    func setModem(_ name: String, enabled: Bool) async throws
}

/// Where received messages go. `store` returns only after the message (or part) is committed, so
/// the modem driver may then delete it from the SIM.
public protocol InboxWriter: Sendable {
    /// Stores a message, or one part of a concatenated one. Returns the inbox id once the message
    /// is complete (at once for a single message); nil while parts are missing. A part received twice
    /// is stored once.
    func store(_ message: NewIncomingMessage) async throws -> MessageID?
    /// Puts every concatenated message whose first part arrived before `cutoff` and that is still
    /// incomplete into the inbox as it is, each missing part marked. Returns the new inbox ids.
    func deliverIncomplete(receivedBefore cutoff: Date) async throws -> [MessageID]
}

/// The outgoing queue as dispatchers see it. A claim is held under a lease by an owner; only the
/// owner of a live lease may move the message on.
public protocol OutboxQueue: Sendable {
    /// Claims the most urgent due message (highest priority, then oldest) that `filter` lets the
    /// sender take, for `owner` until `leaseUntil`.
    func claimNext(owner: String, leaseUntil: Date, now: Date, filter: ClaimFilter) async throws -> OutgoingMessage?
    /// Marks a claimed message as being submitted to the network. Returns false if the claim was lost.
    func markSubmitting(_ id: MessageID, owner: String, modem: String) async throws -> Bool
    /// Records that the network accepted every part; `reportRequested` says whether status reports follow.
    func markSent(
        _ id: MessageID,
        owner: String,
        references: [Int],
        parts: Int,
        at: Date,
        reportRequested: Bool
    )
        async throws
    /// Records how a call (payload `.call`) ended: it was placed, so it is `sent`, with its outcome.
    func markCallEnded(_ id: MessageID, owner: String, outcome: CallOutcome, at: Date) async throws
    /// Matches a status report to the message sent by that modem with that reference to that recipient
    /// (the most recent, within a week) and updates its delivery. Returns the message, nil if none matches.
    func recordDeliveryReport(_ report: DeliveryReport) async throws -> (id: MessageID, delivery: DeliveryState)?
    /// Records a failed attempt: queued again (after `retryAt`) or, if `retryAt` is nil, failed for good.
    func markAttemptFailed(_ id: MessageID, owner: String, error: String, retryAt: Date?) async throws
    /// Gives a claim back without counting an attempt (no modem could take it), due again at once
    /// or, with `until`, from then on (outside its send window).
    func release(_ id: MessageID, owner: String, until: Date?) async throws
    /// Queues again every claim held by `owner`: at start, those are left over from a previous run.
    func reclaimAll(ownedBy owner: String, now: Date) async throws -> ReclaimedClaims
    /// Queues again the claims of owners other than `sparing` whose lease ended before `now`.
    func reclaimExpired(before now: Date, sparing owner: String) async throws -> ReclaimedClaims
    /// The earliest `notBefore` of a queued message in the future, to wake up for it.
    func nextScheduled(after now: Date) async throws -> Date?
}

extension OutboxQueue {
    /// Claims the most urgent due message that modem `modemNumber` may send (one for any modem, or
    /// one for that modem). With `avoidingRetriesOf`, a message whose last attempt failed on that
    /// modem is left for another — unless it is pinned to this modem (`modem_no`), which no other may send.
    public func claimNext(
        owner: String,
        leaseUntil: Date,
        now: Date,
        modemNumber: Int,
        avoidingRetriesOf modem: String? = nil
    ) async throws -> OutgoingMessage? {
        try await claimNext(
            owner: owner,
            leaseUntil: leaseUntil,
            now: now,
            filter: ClaimFilter(modemNumber: modemNumber, avoidingRetriesOf: modem)
        )
    }
}

/// Which queued messages a sender may take.
public struct ClaimFilter: Sendable, Equatable {
    /// Messages for any modem and those pinned to this modem number; 0 for a sender that is not a
    /// modem and has no number (a transport without `transport_modem_no`): messages for any modem only.
    public var modemNumber: Int
    /// A message whose last attempt failed on this sender is left for another, unless pinned to it
    /// (or interrupted there by a stop: a transport is offered it again).
    public var avoidingRetriesOf: String?
    /// Only messages of these kinds.
    public var kinds: [MessageKind]
    /// Only messages created before this time (a fallback takes those that waited too long); those
    /// pinned to `modemNumber` are taken at once.
    public var createdBefore: Date?
    /// Only messages of at least this priority (a transport over its monthly cap takes urgent ones).
    public var minimumPriority: Int?
    /// SMS only below this priority (the modems leave urgent ones to a primary transport over its cap).
    public var smsBelowPriority: Int?
    /// Leaves to this transport (its sender name) the messages it held when the gateway stopped:
    /// whether they went out, only it can tell (it is offered them again under the same key).
    public var leavingInterrupted: String?

    /// What a modem sends: every kind but calls that need a voice provider.
    public static let modemKinds: [MessageKind] = [.sms, .binary, .ussd, .ring, .mms]

    public init(
        modemNumber: Int,
        avoidingRetriesOf: String? = nil,
        kinds: [MessageKind] = ClaimFilter.modemKinds,
        createdBefore: Date? = nil,
        minimumPriority: Int? = nil
    ) {
        self.modemNumber = modemNumber
        self.avoidingRetriesOf = avoidingRetriesOf
        self.kinds = kinds
        self.createdBefore = createdBefore
        self.minimumPriority = minimumPriority
    }
}

/// What transports (ABI 1.5) record beyond a modem's sends.
public protocol TransportLedger: Sendable {
    /// Records that the transport accepted a claimed message: `parts` as billed, what it `cost`, and
    /// whether it will report delivery.
    func markSentByTransport(
        _ id: MessageID,
        owner: String,
        parts: Int,
        cost: Double?,
        at: Date,
        reportRequested: Bool
    ) async throws
    /// Applies a transport's status report to the message `report.id` if one of `senders` (the
    /// reporting plugin's transports) sent it under `report.key`; nil when none did.
    func recordTransportReport(_ report: TransportReport, senders: [String]) async throws -> TransportReport.Outcome?
    /// What the messages `sender` sent since `since` cost.
    func transportCost(sender: String, since: Date) async throws -> Double
}

/// A transport's status report on a message it accepted, or could not tell whether it sent.
public struct TransportReport: Sendable, Equatable {
    /// delivered, failed, or sent (after all): the words of ABI 1.5 `report_delivery`.
    public typealias Status = TransportDeliveryReport.Status

    public struct Outcome: Sendable, Equatable {
        public var id: MessageID
        public var recipient: String
        /// False when the message already stood so (a report seen twice).
        public var changed: Bool

        public init(id: MessageID, recipient: String, changed: Bool) {
            self.id = id
            self.recipient = recipient
            self.changed = changed
        }
    }

    public var id: MessageID
    public var key: String
    public var status: Status
    public var detail: String?
    public var at: Date

    public init(id: MessageID, key: String, status: Status, detail: String?, at: Date) {
        self.id = id
        self.key = key
        self.status = status
        self.detail = detail
        self.at = at
    }
}

/// Claims put back into the queue.
public struct ReclaimedClaims: Sendable, Equatable {
    public var count: Int
    /// Messages that were in `submitting`: they may have reached the network already and will be sent again.
    public var wereSubmitting: [MessageID]

    public init(count: Int, wereSubmitting: [MessageID]) {
        self.count = count
        self.wereSubmitting = wereSubmitting
    }
}

/// API users and their credentials.
public protocol UserDirectory: Sendable {
    func user(forAccessToken token: String) async throws -> APIUser?
    func user(login: String, password: String) async throws -> APIUser?
    /// The number of the user called `name` (APIv1's `userid_read`).
    func userID(named name: String) async throws -> Int64?
    /// The user called `name` and a stamp of its credentials (password, tokens, rights) that changes
    /// when any of them changes. Session tokens (brevis.one's JWTs) carry the stamp and are refused
    /// once it differs.
    func user(named name: String) async throws -> (user: APIUser, credentialStamp: String)?
}

/// An API user and what it may call.
public struct APIUser: Sendable, Equatable {
    /// The user's number, as APIv1 shows it (`uid`, `id_user`).
    public var id: Int64
    public var name: String
    /// APIv1 method names it may call; `["*"]` for all.
    public var permissions: Set<String>
    /// Admins see every user's private phonebook entries and every user's messages.
    public var isAdmin: Bool
    /// "Access to resources of all users": reads and deletes every user's messages without being an admin.
    public var allUsers: Bool

    public init(id: Int64 = 0, name: String, permissions: Set<String>, isAdmin: Bool = false, allUsers: Bool = false) {
        self.id = id
        self.name = name
        self.permissions = permissions
        self.isAdmin = isAdmin
        self.allUsers = allUsers
    }

    /// The one ownership rule for messages, the same in every API: an outgoing message (sent, queued
    /// or failed) belongs to the user that queued it, and only that user reads or deletes it — unless
    /// the user is an admin or has the all-users grant. Received messages belong to the gateway, not to
    /// a user: every user with `read_sms` reads them. Nil: every user's messages.
    public var messageOwner: String? { isAdmin || allUsers ? nil : name }

    /// Whose private phonebook entries this user sees: its own, or (nil) everyone's.
    public var phonebookViewer: Int64? { isAdmin ? nil : id }

    public func may(_ method: String) -> Bool { permissions.contains("*") || permissions.contains(method) }
}

/// The gateway's modems, numbered 1…``modemCount`` as configured, as the APIs control them. Every
/// method throws `.notFound` for a modem number that does not exist.
public protocol ModemControl: Sendable {
    var modemCount: Int { get }
    /// The configured name of modem `number` (how messages record it).
    func name(ofModem number: Int) throws -> String
    /// Signal in percent (0–100); -1 when the modem is not connected to the network.
    func signalPercent(modem: Int) throws -> Int
    func isEnabled(modem: Int) throws -> Bool
    /// Switches a modem on or off, for good (kept across restarts).
    func setEnabled(modem: Int, _ enabled: Bool) async throws
    /// Calls `number` and hangs up after `seconds`; returns once the modem dialled. Throws
    /// `.notSupported` for a modem without voice, `.unavailable` when it cannot call now.
    func call(modem: Int, number: PhoneNumber, seconds: Int) async throws
    /// Where the network forwards the modem's voice calls; nil when it does not.
    func callForwarding(modem: Int) async throws -> String?
    /// Forwards every voice call to `number`, or stops forwarding when nil.
    func setCallForwarding(modem: Int, to number: PhoneNumber?) async throws
}
