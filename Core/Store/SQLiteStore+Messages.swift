import Foundation
import GRDB
import SwiftletDomain

extension SQLiteStore: MessageStore, InboxWriter {
    public func enqueue(_ messages: [NewOutgoingMessage]) async throws -> [MessageID] {
        let now = Date().storeValue
        return try await pool.write { db in
            try messages.map { message in
                try db.execute(
                    sql: """
                        INSERT INTO outgoing (recipient, text, priority, unicode, flash, state, created_by,
                                              created_at, updated_at, not_before)
                        VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)
                        """,
                    arguments: [
                        message.recipient.value, message.text, message.options.priority, message.options.unicode,
                        message.options.flash, message.createdBy, now, now, message.notBefore.storeValue,
                    ]
                )
                return db.lastInsertedRowID
            }
        }
    }

    public func outgoing(matching query: MessageQuery) async throws -> [OutgoingMessage] {
        var conditions = [
            "state IN (\(OutgoingState.states(in: query.folder).map { "'\($0.rawValue)'" }.joined(separator: ",")))"
        ]
        var arguments = StatementArguments()
        Self.common(query, dateColumn: "COALESCE(sent_at, created_at)", &conditions, &arguments)
        if let recipient = query.recipient {
            conditions.append("recipient = ?")
            _ = arguments.append(contentsOf: [recipient])
        }
        if let createdBy = query.createdBy {
            conditions.append("created_by = ?")
            _ = arguments.append(contentsOf: [createdBy])
        }
        let sql =
            "SELECT * FROM outgoing WHERE \(conditions.joined(separator: " AND ")) ORDER BY id" + Self.limit(query)
        return try await pool.read { [arguments] db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map(OutgoingMessage.init(row:))
        }
    }

    public func incoming(matching query: MessageQuery) async throws -> [IncomingMessage] {
        var conditions = ["1"]
        var arguments = StatementArguments()
        Self.common(query, dateColumn: "received_at", &conditions, &arguments)
        if let sender = query.sender {
            conditions.append("sender = ?")
            _ = arguments.append(contentsOf: [sender])
        }
        if query.unreadOnly { conditions.append("unread = 1") }
        let sql =
            "SELECT * FROM incoming WHERE \(conditions.joined(separator: " AND ")) ORDER BY id" + Self.limit(query)
        return try await pool.read { [arguments] db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map(IncomingMessage.init(row:))
        }
    }

    public func queueLength(createdFrom: Date?, createdTo: Date?) async throws -> Int {
        var sql = "SELECT COUNT(*) FROM outgoing WHERE state IN ('queued', 'claimed', 'submitting')"
        var arguments = StatementArguments()
        if let createdFrom {
            sql += " AND created_at >= ?"
            _ = arguments.append(contentsOf: [createdFrom.storeValue])
        }
        if let createdTo {
            sql += " AND created_at <= ?"
            _ = arguments.append(contentsOf: [createdTo.storeValue])
        }
        return try await pool.read { [sql, arguments] db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
    }

    public func store(_ message: NewIncomingMessage) async throws -> MessageID {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO incoming (sender, text, sent_at, received_at, smsc, unicode, modem)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    message.sender, message.text, message.sentAt.storeValue, Date().storeValue, message.serviceCentre,
                    message.unicode, message.modem,
                ]
            )
            return db.lastInsertedRowID
        }
    }

    private static func common(
        _ query: MessageQuery,
        dateColumn: String,
        _ conditions: inout [String],
        _ arguments: inout StatementArguments
    ) {
        if let idFrom = query.idFrom {
            conditions.append("id >= ?")
            _ = arguments.append(contentsOf: [idFrom])
        }
        if let idTo = query.idTo {
            conditions.append("id <= ?")
            _ = arguments.append(contentsOf: [idTo])
        }
        if let dateFrom = query.dateFrom {
            conditions.append("\(dateColumn) >= ?")
            _ = arguments.append(contentsOf: [dateFrom.storeValue])
        }
        if let dateTo = query.dateTo {
            conditions.append("\(dateColumn) <= ?")
            _ = arguments.append(contentsOf: [dateTo.storeValue])
        }
    }

    private static func limit(_ query: MessageQuery) -> String {
        query.limit.map { " LIMIT \(max(0, $0))" } ?? ""
    }
}

extension OutgoingMessage {
    init(row: Row) {
        let references: String = row["message_references"]
        self.init(
            id: row["id"],
            recipient: PhoneNumber(normalized: row["recipient"]),
            text: row["text"],
            options: SendOptions(priority: row["priority"], unicode: row["unicode"], flash: row["flash"]),
            state: OutgoingState(rawValue: row["state"]) ?? .failed,
            createdBy: row["created_by"],
            createdAt: Date(storeValue: row["created_at"]),
            updatedAt: Date(storeValue: row["updated_at"]),
            notBefore: Date(storeValue: row["not_before"]),
            sentAt: (row["sent_at"] as Double?).map(Date.init(storeValue:)),
            attempts: row["attempts"],
            messageReferences: references.split(separator: ",").compactMap { Int($0) },
            parts: row["parts"],
            lastError: row["last_error"],
            modem: row["modem"]
        )
    }
}

extension IncomingMessage {
    init(row: Row) {
        self.init(
            id: row["id"],
            sender: row["sender"],
            text: row["text"],
            sentAt: Date(storeValue: row["sent_at"]),
            receivedAt: Date(storeValue: row["received_at"]),
            serviceCentre: row["smsc"],
            unicode: row["unicode"],
            modem: row["modem"],
            unread: row["unread"]
        )
    }
}
