import Foundation
import GRDB
import SwiftletDomain

extension SQLiteStore: WebhookStore {
    /// Webhooks with what their user may do now: `all_users` (an admin's, or a user's with the all-users
    /// grant) and `user_permissions`
    /// (NULL when the user is gone).
    static let webhooksWithTheirUser = """
        SELECT w.*, COALESCE(u.level = 'admin' OR u.all_users = 1, 0) AS all_users, u.permissions AS user_permissions
        FROM webhook w LEFT JOIN api_user u ON u.name = w.user
        """

    public func addWebhook(_ webhook: Webhook) async throws -> Webhook {
        try await write { db in
            let last = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM event") ?? 0
            try db.execute(
                sql: """
                    INSERT INTO webhook (user, url, events, format, method, secret, api_key, last_event, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    webhook.user, webhook.url.absoluteString,
                    webhook.events.map(\.rawValue).sorted().joined(separator: ","), webhook.format.rawValue,
                    webhook.method, webhook.secret, webhook.apiKey, last,
                    webhook.createdAt.storeValue,
                ]
            )
            var added = webhook
            added.id = db.lastInsertedRowID
            return added
        }
    }

    public func webhooks(user: String?) async throws -> [Webhook] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: Self.webhooksWithTheirUser + " WHERE ? IS NULL OR w.user = ? ORDER BY w.id",
                arguments: [user, user]
            ).map(Self.webhook)
        }
    }

    public func removeWebhook(id: Int64) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM webhook WHERE id = ?", arguments: [id])
            return db.changesCount == 1
        }
    }

    public func webhookCounts(id: Int64) async throws -> WebhookCounts {
        try await pool.read { db in
            var counts = WebhookCounts()
            for row in try Row.fetchAll(
                db,
                sql: "SELECT state, COUNT(*) AS n FROM webhook_delivery WHERE webhook_id = ? GROUP BY state",
                arguments: [id]
            ) {
                switch row["state"] as String {
                case "pending": counts.pending = row["n"]
                case "delivered": counts.delivered = row["n"]
                default: counts.failed = row["n"]
                }
            }
            return counts
        }
    }

    /// Webhook deliveries not yet made (every webhook's).
    public func pendingWebhookDeliveries() async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhook_delivery WHERE state = 'pending'") ?? 0
        }
    }

    public func queueWebhookDeliveries(limit: Int, now: Date) async throws -> Int {
        // Polled twice a second: a read says whether any webhook is behind the log, so an idle
        // gateway (or one without webhooks) takes no write lock for it.
        let behind = try await pool.read { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM webhook WHERE last_event < (SELECT COALESCE(MAX(id), 0) FROM event))"
            ) ?? false
        }
        guard behind else { return 0 }
        return try await write { db in
            let hooks = try Row.fetchAll(db, sql: Self.webhooksWithTheirUser)
            guard !hooks.isEmpty else { return 0 }
            let newest = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM event") ?? 0
            let insert = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO webhook_delivery (webhook_id, event_id, message_key, state, next_at, created_at)
                    VALUES (?, ?, ?, 'pending', ?, ?)
                    """
            )
            var queued = 0
            for row in hooks {
                let hook = Self.webhook(row)
                let last: Int64 = row["last_event"]
                guard last < newest else { continue }
                // A user who may no longer read messages is not told about them (its place moves on).
                let permissions = (row["user_permissions"] as String?).map(Self.permissions) ?? []
                let allowed = permissions.contains("*") || permissions.contains("read_sms")
                let events = try Row.fetchAll(
                    db,
                    sql: "SELECT * FROM event WHERE id > ? ORDER BY id LIMIT ?",
                    arguments: [last, limit]
                ).map(GatewayEvent.init(row:))
                for event in events where allowed && Self.tells(hook, about: event) {
                    try insert.execute(
                        arguments: [
                            hook.id, event.id, "\(event.kind.rawValue):\(event.messageID)", now.storeValue,
                            now.storeValue,
                        ]
                    )
                    queued += 1
                }
                // Past what was read; when fewer than `limit`, past every event (none is added while
                // this transaction writes).
                let end = events.count == limit ? events.last!.id : newest
                try db.execute(sql: "UPDATE webhook SET last_event = ? WHERE id = ?", arguments: [end, hook.id])
            }
            return queued
        }
    }

    /// Whether `hook` is to be told about `event`: a received message, or a status change of one of
    /// its user's messages (any user's, for an admin's webhook), of a kind it asked for.
    static func tells(_ hook: Webhook, about event: GatewayEvent) -> Bool {
        switch event.kind {
        case .incoming:
            return hook.events.contains(.incoming)
        case .outgoing:
            guard let status = event.status.flatMap(Webhook.Event.init(rawValue:)), hook.events.contains(status)
            else { return false }
            return hook.allUsers || event.user == hook.user
        }
    }

    public func dueWebhookDeliveries(now: Date, limit: Int) async throws -> [WebhookDelivery] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: Self.deliveries + """
                    WHERE d.state = 'pending' AND d.next_at <= ?
                      AND NOT EXISTS (SELECT 1 FROM webhook_delivery p
                                      WHERE p.webhook_id = d.webhook_id AND p.message_key = d.message_key
                                        AND p.state = 'pending' AND p.id < d.id)
                    ORDER BY d.id LIMIT ?
                    """,
                arguments: [now.storeValue, limit]
            ).map(Self.delivery)
        }
    }

    public func nextWebhookAttempt() async throws -> Date? {
        try await pool.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(next_at) FROM webhook_delivery WHERE state = 'pending'")
                .map(Date.init(storeValue:))
        }
    }

    public func markWebhookDelivered(_ id: Int64, at date: Date) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE webhook_delivery SET state = 'delivered', delivered_at = ?, attempts = attempts + 1
                    WHERE id = ? AND state = 'pending'
                    """,
                arguments: [date.storeValue, id]
            )
        }
    }

    public func markWebhookAttemptFailed(_ id: Int64, error: String, retryAt: Date?) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE webhook_delivery SET attempts = attempts + 1, last_error = ?,
                                                state = CASE WHEN ? IS NULL THEN 'failed' ELSE 'pending' END,
                                                next_at = COALESCE(?, next_at)
                    WHERE id = ? AND state = 'pending'
                    """,
                arguments: [error, retryAt?.storeValue, retryAt?.storeValue, id]
            )
        }
    }

    public func webhookDeliveries(
        webhook: Int64,
        state: WebhookDelivery.State?,
        limit: Int
    ) async throws
        -> [WebhookDelivery]
    {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: Self.deliveries + """
                    WHERE d.webhook_id = ? AND (? IS NULL OR d.state = ?)
                    ORDER BY d.id DESC LIMIT ?
                    """,
                arguments: [webhook, state?.rawValue, state?.rawValue, limit]
            ).map(Self.delivery)
        }
    }

    /// Deliveries (`d`) with their events (`e`), as ``delivery(_:)`` reads them; a query adds its
    /// WHERE clause.
    static let deliveries = """
        SELECT d.id AS delivery_id, d.webhook_id, d.state, d.attempts, d.next_at, d.last_error,
               d.delivered_at, d.created_at AS queued_at, e.*
        FROM webhook_delivery d JOIN event e ON e.id = d.event_id

        """

    static func webhook(_ row: Row) -> Webhook {
        Webhook(
            id: row["id"],
            user: row["user"],
            url: URL(string: row["url"]) ?? URL(string: "http://invalid")!,
            events: Set(
                (row["events"] as String).split(separator: ",").compactMap { Webhook.Event(rawValue: String($0)) }
            ),
            format: Webhook.Format(rawValue: row["format"]) ?? .json,
            method: row["method"],
            secret: row["secret"],
            apiKey: row["api_key"],
            allUsers: row["all_users"],
            createdAt: Date(storeValue: row["created_at"])
        )
    }

    static func delivery(_ row: Row) -> WebhookDelivery {
        WebhookDelivery(
            id: row["delivery_id"],
            webhookID: row["webhook_id"],
            event: GatewayEvent(row: row),
            state: WebhookDelivery.State(rawValue: row["state"]) ?? .pending,
            attempts: row["attempts"],
            nextAttemptAt: Date(storeValue: row["next_at"]),
            lastError: row["last_error"],
            deliveredAt: (row["delivered_at"] as Double?).map(Date.init(storeValue:)),
            createdAt: Date(storeValue: row["queued_at"])
        )
    }
}
