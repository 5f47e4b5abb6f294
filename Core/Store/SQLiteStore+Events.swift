import Foundation
import GRDB
import SwiftletDomain

extension SQLiteStore: EventLog {
    public func takeStream(
        user: String,
        incoming: Bool,
        statuses: Set<String>,
        limit: Int
    ) async throws
        -> [GatewayEvent]
    {
        try await write { db in
            let last =
                try Int64.fetchOne(db, sql: "SELECT last_event FROM stream_cursor WHERE user = ?", arguments: [user])
                ?? 0
            let events = try Self.stream(
                db,
                user: user,
                incoming: incoming,
                statuses: statuses,
                after: last,
                limit: limit
            )
            // Past what was given; when fewer than `limit` matched, past every event there is (none
            // can be added while this transaction writes), so they are not scanned again.
            let end =
                events.count == limit
                ? events.last!.id : (try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM event") ?? last)
            try db.execute(
                sql: """
                    INSERT INTO stream_cursor (user, last_event) VALUES (?, ?)
                    ON CONFLICT (user) DO UPDATE SET last_event = excluded.last_event
                    """,
                arguments: [user, max(end, last)]
            )
            return events
        }
    }

    public func pruneEvents(before cutoff: Date) async throws -> Int {
        try await write { db in
            try db.execute(
                sql: "DELETE FROM webhook_delivery WHERE state != 'pending' AND created_at < ?",
                arguments: [cutoff.storeValue]
            )
            try db.execute(
                sql: """
                    DELETE FROM event WHERE at < ?
                      AND NOT EXISTS (SELECT 1 FROM webhook_delivery d WHERE d.event_id = event.id)
                    """,
                arguments: [cutoff.storeValue]
            )
            return db.changesCount
        }
    }

    public func stream(
        user: String,
        incoming: Bool,
        statuses: Set<String>,
        after event: Int64,
        limit: Int
    )
        async throws -> [GatewayEvent]
    {
        try await pool.read { db in
            try Self.stream(db, user: user, incoming: incoming, statuses: statuses, after: event, limit: limit)
        }
    }

    static func stream(
        _ db: Database,
        user: String,
        incoming: Bool,
        statuses: Set<String>,
        after event: Int64,
        limit: Int
    ) throws -> [GatewayEvent] {
        let marks = statuses.map { _ in "?" }.joined(separator: ", ")
        var arguments: [(any DatabaseValueConvertible)?] = [event, incoming, user]
        arguments += statuses.sorted().map { $0 }
        arguments.append(limit)
        return try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM event WHERE id > ?
                  AND ((kind = 'incoming' AND ?) OR (kind = 'outgoing' AND user = ? AND status IN (\(marks.isEmpty ? "NULL" : marks))))
                ORDER BY id LIMIT ?
                """,
            arguments: StatementArguments(arguments)
        ).map(GatewayEvent.init(row:))
    }
}

extension GatewayEvent {
    init(row: Row) {
        self.init(
            id: row["id"],
            kind: Kind(rawValue: row["kind"]) ?? .incoming,
            messageID: row["message_id"],
            status: row["status"],
            user: row["user"],
            number: row["number"],
            text: row["text"],
            modem: row["modem"],
            detail: row["detail"],
            at: Date(storeValue: row["at"])
        )
    }
}
