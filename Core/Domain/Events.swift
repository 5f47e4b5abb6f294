import Foundation

/// An entry of the event log: a message received, or a status change of an outgoing message.
/// The store writes one in the transaction that makes the change.
public struct GatewayEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case incoming
        case outgoing
    }

    /// Increases with every event; the order in which they happened.
    public var id: Int64
    public var kind: Kind
    public var messageID: MessageID
    /// An outgoing message's new status: `queued`, `sent`, `delivered` or `failed`; nil for incoming.
    public var status: String?
    /// Who queued the outgoing message; nil for incoming.
    public var user: String?
    /// The sender (incoming) or the recipient (outgoing).
    public var number: String
    public var text: String
    /// The modem's configured name, when one took part.
    public var modem: String?
    /// Why it failed.
    public var detail: String?
    public var at: Date

    public init(
        id: Int64,
        kind: Kind,
        messageID: MessageID,
        status: String?,
        user: String?,
        number: String,
        text: String,
        modem: String?,
        detail: String?,
        at: Date
    ) {
        self.id = id
        self.kind = kind
        self.messageID = messageID
        self.status = status
        self.user = user
        self.number = number
        self.text = text
        self.modem = modem
        self.detail = detail
        self.at = at
    }
}

/// Reading the event log.
public protocol EventLog: Sendable {
    /// Pixie's stream: the events `user` has not been given yet (received messages when
    /// `incoming`; status changes in `statuses` of the messages it queued), oldest first, at most
    /// `limit`; the user's place in the log moves past them in the same transaction.
    func takeStream(user: String, incoming: Bool, statuses: Set<String>, limit: Int) async throws -> [GatewayEvent]
    /// Deletes the events from before `cutoff` that no webhook still has to deliver, and the finished
    /// webhook deliveries from before it. Returns how many events went.
    func pruneEvents(before cutoff: Date) async throws -> Int
    /// The same events from after `event` on, without moving the user's place.
    func stream(
        user: String,
        incoming: Bool,
        statuses: Set<String>,
        after event: Int64,
        limit: Int
    ) async throws
        -> [GatewayEvent]
}
