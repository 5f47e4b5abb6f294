import Foundation

/// A URL that is told about a user's events: messages received, and status changes of the user's
/// outgoing messages. Each event is delivered at least once, signed, with an idempotency key.
public struct Webhook: Sendable, Equatable {
    /// What a webhook can be told about.
    public enum Event: String, Sendable, CaseIterable {
        case incoming
        case queued
        case sent
        case delivered
        case failed
    }

    /// How the event is written.
    public enum Format: String, Sendable, CaseIterable {
        /// A JSON object (POST).
        case json
        /// SMSEagle's callback fields (`sender`, `timestamp`, `text`, `msgid`, `apikey`), as a form body
        /// (POST) or in the query (GET).
        case smseagle
    }

    public var id: Int64
    /// The API user it belongs to.
    public var user: String
    public var url: URL
    public var events: Set<Event>
    public var format: Format
    /// `POST`, or `GET` (SMSEagle format only).
    public var method: String
    /// The key of the HMAC-SHA256 signature.
    public var secret: String
    /// Sent as `apikey` in SMSEagle's format.
    public var apiKey: String?
    /// Told about every user's outgoing messages, not only its user's: its user is an admin (read
    /// from the user as it is now; not stored with the webhook).
    public var allUsers: Bool
    public var createdAt: Date

    public init(
        id: Int64,
        user: String,
        url: URL,
        events: Set<Event>,
        format: Format,
        method: String,
        secret: String,
        apiKey: String?,
        allUsers: Bool = false,
        createdAt: Date
    ) {
        self.id = id
        self.user = user
        self.url = url
        self.events = events
        self.format = format
        self.method = method
        self.secret = secret
        self.apiKey = apiKey
        self.allUsers = allUsers
        self.createdAt = createdAt
    }
}

/// One event on its way to one webhook.
public struct WebhookDelivery: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Not delivered yet; tried again at `nextAttemptAt`.
        case pending
        case delivered
        /// Given up on after the retry period.
        case failed
    }

    public var id: Int64
    public var webhookID: Int64
    public var event: GatewayEvent
    public var state: State
    public var attempts: Int
    public var nextAttemptAt: Date
    /// The last failed attempt's HTTP status or error.
    public var lastError: String?
    public var deliveredAt: Date?
    public var createdAt: Date

    public init(
        id: Int64,
        webhookID: Int64,
        event: GatewayEvent,
        state: State,
        attempts: Int,
        nextAttemptAt: Date,
        lastError: String?,
        deliveredAt: Date?,
        createdAt: Date
    ) {
        self.id = id
        self.webhookID = webhookID
        self.event = event
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.deliveredAt = deliveredAt
        self.createdAt = createdAt
    }
}

/// Counts of a webhook's deliveries by state, for listings.
public struct WebhookCounts: Sendable, Equatable {
    public var pending = 0
    public var delivered = 0
    public var failed = 0
    public init() {}
}

/// The webhooks and their durable delivery queue. Every method that changes something has committed
/// it when it returns.
public protocol WebhookStore: Sendable {
    /// Adds a webhook that is told about events from now on; returns it with its id.
    func addWebhook(_ webhook: Webhook) async throws -> Webhook
    /// Every webhook, or one user's.
    func webhooks(user: String?) async throws -> [Webhook]
    func removeWebhook(id: Int64) async throws -> Bool
    func webhookCounts(id: Int64) async throws -> WebhookCounts
    /// Queues a delivery to each webhook of every event after its place in the event log that it is
    /// to be told about (at most `limit` each), and moves its place. Returns how many were queued.
    func queueWebhookDeliveries(limit: Int, now: Date) async throws -> Int
    /// Deliveries due at `now`, at most one per message and webhook: the oldest undelivered one
    /// (so a message's events arrive in order).
    func dueWebhookDeliveries(now: Date, limit: Int) async throws -> [WebhookDelivery]
    /// The earliest time a pending delivery is due, if any.
    func nextWebhookAttempt() async throws -> Date?
    func markWebhookDelivered(_ id: Int64, at: Date) async throws
    /// Records a failed attempt: tried again at `retryAt`, or given up on when it is nil.
    func markWebhookAttemptFailed(_ id: Int64, error: String, retryAt: Date?) async throws
    /// A webhook's deliveries, newest first, optionally in one state.
    func webhookDeliveries(webhook: Int64, state: WebhookDelivery.State?, limit: Int) async throws -> [WebhookDelivery]
}
