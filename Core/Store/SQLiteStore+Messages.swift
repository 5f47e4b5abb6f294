import Foundation
import GRDB
import SMSCodec
import SwiftletDomain

extension SQLiteStore: MessageStore, InboxWriter {
    /// How long an idempotency key is remembered.
    static let keyLifetime: TimeInterval = 30 * 86400

    public func enqueue(_ messages: [NewOutgoingMessage], key: String?) async throws -> [MessageID] {
        let now = Date().storeValue
        return try await write { db in
            if let key {
                if let ids = try String.fetchOne(db, sql: "SELECT ids FROM send_key WHERE key = ?", arguments: [key]) {
                    return ids.split(separator: ",").compactMap { MessageID($0) }
                }
            }
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO outgoing (recipient, priority, unicode, flash, modem_no, state, created_by,
                                          created_at, updated_at, not_before, validity, oid, send_after, send_before,
                                          kind, text, data, udh, message_class, ussd_code, ring_seconds,
                                          call_voice, call_language, call_clip)
                    VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            )
            let ids = try messages.map { message in
                try insert.execute(
                    arguments: StatementArguments([
                        message.recipient?.value, message.options.priority, message.options.unicode,
                        message.options.flash, message.options.modemNumber, message.createdBy, now, now,
                        message.notBefore.storeValue, message.options.validity, message.options.oid,
                        message.options.window?.after, message.options.window?.before,
                    ]) + StatementArguments(message.payload.columns)
                )
                let id = db.lastInsertedRowID
                for (position, attachment) in message.attachments.enumerated() {
                    try db.execute(
                        sql: """
                            INSERT INTO outgoing_attachment (message_id, position, content_type, content)
                            VALUES (?, ?, ?, ?)
                            """,
                        arguments: [id, position, attachment.contentType, Data(attachment.content)]
                    )
                }
                return id
            }
            if let key {
                try db.execute(sql: "DELETE FROM send_key WHERE created_at < ?", arguments: [now - Self.keyLifetime])
                try db.execute(
                    sql: "INSERT INTO send_key (key, ids, created_at) VALUES (?, ?, ?)",
                    arguments: [key, ids.map(String.init).joined(separator: ","), now]
                )
            }
            return ids
        }
    }

    public func outgoing(matching query: MessageQuery) async throws -> [OutgoingMessage] {
        var conditions = Conditions(
            "state IN (\(OutgoingState.states(in: query.folder).map { "'\($0.rawValue)'" }.joined(separator: ",")))"
        )
        Self.common(query, dateColumn: "COALESCE(sent_at, created_at)", &conditions)
        conditions.add("recipient = ?", ifGiven: query.recipient)
        conditions.add("created_by = ?", ifGiven: query.createdBy)
        conditions.add("created_by = ?", ifGiven: query.owner)
        if let modem = query.modem {
            conditions.add("(modem = ? OR (modem IS NULL AND modem_no = ?))", modem.name, modem.number)
        }
        let sql = "SELECT * FROM outgoing WHERE \(conditions.sql) ORDER BY id" + Self.limit(query)
        return try await pool.read { [arguments = conditions.arguments] db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map(OutgoingMessage.init(row:))
        }
    }

    public func incoming(matching query: MessageQuery) async throws -> [IncomingMessage] {
        var conditions = Conditions("1")
        Self.common(query, dateColumn: "received_at", &conditions)
        conditions.add("sender = ?", ifGiven: query.sender)
        if query.unreadOnly { conditions.add("unread = 1") }
        if let folder = query.customFolder {
            conditions.add("folder_id = (SELECT id FROM custom_folder WHERE name = ?)", folder)
        } else {
            conditions.add("folder_id IS NULL")
        }
        conditions.add("modem = ?", ifGiven: query.modem?.name)
        let sql = "SELECT * FROM incoming WHERE \(conditions.sql) ORDER BY id" + Self.limit(query)
        return try await pool.read { [arguments = conditions.arguments] db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map(IncomingMessage.init(row:))
        }
    }

    public func count(
        in folder: Folder,
        from: Date?,
        to: Date?,
        modem: (number: Int, name: String)?
    ) async throws
        -> Int
    {
        let (table, condition, time) = Self.folderTable(folder)
        var conditions = Conditions(condition)
        if let modem {
            if folder == .inbox {
                conditions.add("modem = ?", modem.name)
            } else {
                conditions.add("(modem = ? OR (modem IS NULL AND modem_no = ?))", modem.name, modem.number)
            }
        }
        conditions.add("\(time) >= ?", ifGiven: from?.storeValue)
        conditions.add("\(time) <= ?", ifGiven: to?.storeValue)
        let sql = "SELECT COUNT(*) FROM \(table) WHERE \(conditions.sql)"
        return try await pool.read { [arguments = conditions.arguments] db in
            try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0
        }
    }

    public func delete(from folder: Folder, ids: ClosedRange<MessageID>, owner: String?) async throws -> Int {
        // A claimed or submitting message is in a modem's hands; deleting it would not stop it.
        let (table, condition, _) = Self.folderTable(folder == .outbox ? nil : folder)
        var conditions = Conditions(condition)
        conditions.add("id BETWEEN ? AND ?", ids.lowerBound, ids.upperBound)
        if folder != .inbox { conditions.add("created_by = ?", ifGiven: owner) }
        let sql = "DELETE FROM \(table) WHERE \(conditions.sql)"
        return try await write { [arguments = conditions.arguments] db in
            try db.execute(sql: sql, arguments: arguments)
            return db.changesCount
        }
    }

    /// The table of `folder`, the condition that selects it, and the time its window applies to; for
    /// nil, the part of the outbox no modem has taken.
    static func folderTable(_ folder: Folder?) -> (table: String, condition: String, time: String) {
        switch folder {
        case .inbox: ("incoming", "1", "received_at")
        case .outbox: ("outgoing", "state IN ('queued', 'claimed', 'submitting')", "created_at")
        case .sentitems: ("outgoing", "state = 'sent'", "sent_at")
        case .sendingerror: ("outgoing", "state = 'failed'", "updated_at")
        case nil: ("outgoing", "state = 'queued'", "created_at")
        }
    }

    public func store(_ message: NewIncomingMessage) async throws -> MessageID? {
        let now = Date().storeValue
        return try await write { db in
            guard let part = message.part, part.total > 1 else {
                return try Self.insertInbox(
                    db,
                    sender: message.sender,
                    text: message.text,
                    sentAt: message.sentAt.storeValue,
                    smsc: message.serviceCentre,
                    unicode: message.unicode,
                    modem: message.modem,
                    now: now
                )
            }
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO incoming_part (sender, modem, reference, total, sequence, text, sent_at,
                                                         received_at, smsc, unicode)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    message.sender, message.modem, part.reference, part.total, part.sequence, message.text,
                    message.sentAt.storeValue, now, message.serviceCentre, message.unicode,
                ]
            )
            let set = PartSet(
                sender: message.sender,
                modem: message.modem,
                reference: part.reference,
                total: part.total
            )
            let parts = try set.parts(db)
            guard parts.count == part.total else { return nil }
            return try set.deliver(parts, db, now: now)
        }
    }

    public func deliverIncomplete(receivedBefore cutoff: Date) async throws -> [MessageID] {
        let now = Date().storeValue
        return try await write { db in
            let sets = try Row.fetchAll(
                db,
                sql: """
                    SELECT sender, modem, reference, total FROM incoming_part
                    GROUP BY sender, modem, reference, total HAVING MIN(received_at) < ?
                    """,
                arguments: [cutoff.storeValue]
            ).map { PartSet(sender: $0["sender"], modem: $0["modem"], reference: $0["reference"], total: $0["total"]) }
            return try sets.map { set in try set.deliver(try set.parts(db), db, now: now) }
        }
    }

    fileprivate static func insertInbox(
        _ db: Database,
        sender: String,
        text: String,
        sentAt: Double,
        smsc: String?,
        unicode: Bool,
        modem: String,
        now: Double
    ) throws -> MessageID {
        try db.execute(
            sql: """
                INSERT INTO incoming (sender, text, sent_at, received_at, smsc, unicode, modem, oid)
                VALUES (?, ?, ?, ?, ?, ?, ?,
                        (SELECT oid FROM outgoing WHERE recipient = ? AND oid IS NOT NULL ORDER BY id DESC LIMIT 1))
                """,
            arguments: [sender, text, sentAt, now, smsc, unicode, modem, sender]
        )
        return db.lastInsertedRowID
    }

    /// The conditions every folder query has: ids and dates from and to.
    private static func common(_ query: MessageQuery, dateColumn: String, _ conditions: inout Conditions) {
        conditions.add("id >= ?", ifGiven: query.idFrom)
        conditions.add("id <= ?", ifGiven: query.idTo)
        conditions.add("\(dateColumn) >= ?", ifGiven: query.dateFrom?.storeValue)
        conditions.add("\(dateColumn) <= ?", ifGiven: query.dateTo?.storeValue)
    }

    private static func limit(_ query: MessageQuery) -> String {
        query.limit.map { " LIMIT \(max(0, $0))" } ?? ""
    }
}

extension OutgoingMessage {
    static func window(after: Int?, before: Int?) -> DayWindow? {
        after == nil && before == nil ? nil : DayWindow(after: after, before: before)
    }

    init(row: Row) {
        let references: String = row["message_references"]
        self.init(
            id: row["id"],
            recipient: (row["recipient"] as String?).map(PhoneNumber.init(normalized:)),
            payload: OutgoingPayload(row: row),
            options: SendOptions(
                priority: row["priority"],
                unicode: row["unicode"],
                flash: row["flash"],
                modemNumber: row["modem_no"],
                validity: row["validity"],
                oid: row["oid"],
                window: Self.window(after: row["send_after"], before: row["send_before"])
            ),
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
            modem: row["modem"],
            delivery: (row["delivery"] as String?).flatMap(DeliveryState.init(rawValue:)),
            deliveredAt: (row["delivered_at"] as Double?).map(Date.init(storeValue:)),
            call: (row["call_result"] as String?).map {
                CallOutcome(result: $0, duration: row["call_duration"], digits: row["call_digits"])
            },
            cost: row["cost"]
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
            unread: row["unread"],
            oid: row["oid"]
        )
        customFolderID = row["folder_id"]
    }
}

/// The stored parts of one concatenated message.
private struct PartSet {
    let sender: String
    let modem: String
    let reference: Int
    let total: Int

    func parts(_ db: Database) throws -> [Row] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT sequence, text, sent_at, smsc, unicode FROM incoming_part
                WHERE sender = ? AND modem = ? AND reference = ? AND total = ? ORDER BY sequence
                """,
            arguments: [sender, modem, reference, total]
        )
    }

    /// Joins the parts in order (a missing one marked) into one inbox message and forgets them.
    func deliver(_ parts: [Row], _ db: Database, now: Double) throws -> MessageID {
        let texts = Dictionary(parts.map { ($0["sequence"] as Int, $0["text"] as String) }) { first, _ in first }
        let text = (1...total).map { texts[$0] ?? "[part \($0) of \(total) missing]" }.joined()
        let id = try SQLiteStore.insertInbox(
            db,
            sender: sender,
            text: text,
            sentAt: parts.map { $0["sent_at"] as Double }.min() ?? now,
            smsc: parts.first?["smsc"],
            unicode: parts.contains { $0["unicode"] as Bool },
            modem: modem,
            now: now
        )
        try db.execute(
            sql: "DELETE FROM incoming_part WHERE sender = ? AND modem = ? AND reference = ? AND total = ?",
            arguments: [sender, modem, reference, total]
        )
        return id
    }
}

extension OutgoingPayload {
    /// The columns `kind, text, data, udh, message_class, ussd_code, ring_seconds, call_voice,
    /// call_language, call_clip`: each kind fills its own and leaves the others NULL (the table's CHECK holds
    /// them to it).
    var columns: [(any DatabaseValueConvertible)?] {
        switch self {
        case .text(let text), .mms(let text):
            [kind.rawValue, text, nil, nil, nil, nil, nil, nil, nil, nil]
        case .binary(let content):
            [
                kind.rawValue, nil, Data(content.data), content.header.isEmpty ? nil : Hex.encode(content.header),
                content.messageClass, nil, nil, nil, nil, nil,
            ]
        case .ussd(let code):
            [kind.rawValue, nil, nil, nil, nil, code, nil, nil, nil, nil]
        case .ring(let seconds):
            [kind.rawValue, nil, nil, nil, nil, nil, seconds, nil, nil, nil]
        case .call(let call):
            [kind.rawValue, call.text, nil, nil, nil, nil, call.seconds, call.voice, call.language, call.clip]
        }
    }

    /// Read from the columns above. An unknown kind cannot be stored (the CHECK on `kind`); a row the
    /// CHECK let through reads as what it holds.
    init(row: Row) {
        switch MessageKind(rawValue: row["kind"]) ?? .sms {
        case .sms: self = .text(row["text"] ?? "")
        case .mms: self = .mms(text: row["text"] ?? "")
        case .binary:
            let header = (row["udh"] as String?).flatMap(Hex.decode) ?? []
            self = .binary(
                BinaryContent(
                    data: [UInt8](row["data"] as Data? ?? Data()),
                    header: header,
                    messageClass: row["message_class"]
                )
            )
        case .ussd: self = .ussd(code: row["ussd_code"] ?? "")
        case .ring: self = .ring(seconds: row["ring_seconds"] ?? 0)
        case .call:
            self = .call(
                VoiceCall(
                    text: row["text"] ?? "",
                    seconds: row["ring_seconds"] ?? 0,
                    voice: row["call_voice"],
                    language: row["call_language"],
                    clip: row["call_clip"]
                )
            )
        }
    }
}

/// A WHERE clause built condition by condition, with its arguments in order.
struct Conditions {
    private var clauses: [String]
    private(set) var arguments = StatementArguments()

    init(_ first: String) { clauses = [first] }

    /// The conditions joined with AND.
    var sql: String { clauses.joined(separator: " AND ") }

    /// Adds `clause`, whose placeholders take `values`.
    mutating func add(_ clause: String, _ values: any DatabaseValueConvertible...) {
        clauses.append(clause)
        _ = arguments.append(contentsOf: StatementArguments(values))
    }

    /// Adds `clause` with `value` for its placeholder, when there is a value.
    mutating func add(_ clause: String, ifGiven value: (any DatabaseValueConvertible)?) {
        if let value { add(clause, value) }
    }
}
