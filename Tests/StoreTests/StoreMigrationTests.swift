import Foundation
import GRDB
import SwiftletDomain
import Testing

@testable import SwiftletStore

/// Migrations that rebuild or reshape a table keep every row: databases of earlier releases open.
@Suite("Migrating the SQLite store")
struct StoreMigrationTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-migrate-\(UUID())").path

    /// A text message to `to`, as the store tests make them.
    func message(_ to: String) -> NewOutgoingMessage { StoreTests().message(to) }

    /// Migration 23 moves each kind's payload out of the overloaded `recipient` and `text` columns:
    /// rows written by the old schema read back as the payloads they meant, none is lost, and the
    /// event log still shows what a list shows.
    @Test func migratingToTypedPayloadsKeepsEveryRow() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pool = try DatabasePool(path: directory + "/swiftlet.sqlite")
        try SQLiteStore.migrator.migrate(pool, upTo: "22-all-users-grant")
        try await pool.write { db in
            let rows: [(String, String, String, String?, Int?)] = [
                ("+46700000001", "plain text", "sms", nil, nil),
                ("*101#", "*101#", "ussd", nil, nil),
                ("+46700000003", "00ff41", "binary", "0605040B8423F0", 1),
                ("+46700000004", "30", "ring", nil, nil),
                ("+46700000005", "picture", "mms", nil, nil),
            ]
            for (recipient, text, kind, udh, messageClass) in rows {
                try db.execute(
                    sql: """
                        INSERT INTO outgoing (recipient, text, state, created_by, created_at, updated_at, not_before,
                                              kind, udh, message_class)
                        VALUES (?, ?, 'queued', 'test', 0, 0, 0, ?, ?, ?)
                        """,
                    arguments: [recipient, text, kind, udh, messageClass]
                )
            }
        }
        try pool.close()

        let store = try SQLiteStore(directory: directory)
        let outbox = try await store.outgoing(matching: MessageQuery(folder: .outbox))
        #expect(
            outbox.map(\.payload) == [
                .text("plain text"), .ussd(code: "*101#"),
                .binary(
                    BinaryContent(
                        data: [0x00, 0xFF, 0x41],
                        header: [0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0],
                        messageClass: 1
                    )
                ),
                .ring(seconds: 30), .mms(text: "picture"),
            ]
        )
        #expect(
            outbox.map(\.recipient?.value) == ["+46700000001", nil, "+46700000003", "+46700000004", "+46700000005"]
        )
        // New rows of each kind, and what the event log copies of them.
        let ids = try await store.enqueue(
            [
                NewOutgoingMessage(
                    recipient: nil,
                    payload: .ussd(code: "*100#"),
                    options: SendOptions(),
                    createdBy: "test",
                    notBefore: Date()
                ),
                NewOutgoingMessage(
                    recipient: PhoneNumber("+46700000007"),
                    payload: .binary(BinaryContent(data: [0xAB])),
                    options: SendOptions(),
                    createdBy: "test",
                    notBefore: Date()
                ),
            ]
        )
        #expect(ids == [6, 7])
        try await store.pool.read { db in
            let events = try Row.fetchAll(
                db,
                sql: "SELECT number, text FROM event WHERE message_id IN (6, 7) ORDER BY message_id"
            )
            #expect(events.map { $0["number"] as String } == ["*100#", "+46700000007"])
            #expect(events.map { $0["text"] as String } == ["*100#", "AB"])
        }
        try await store.pool.write { db in
            // The schema holds each kind to its own columns: a call without its seconds is refused.
            let refusal = #expect(throws: DatabaseError.self) {
                try db.execute(
                    sql: """
                        INSERT INTO outgoing (recipient, text, state, created_by, created_at, updated_at, not_before, kind)
                        VALUES ('+46700000008', '30', 'queued', 'test', 0, 0, 0, 'ring')
                        """
                )
            }
            #expect(refusal?.message?.contains("CHECK constraint failed") == true)
        }
    }

    /// Migration 20 rebuilds `outgoing` to allow calls: rows, attachments, indexes, the event
    /// triggers and the AUTOINCREMENT counter all survive it.
    @Test func rebuildingTheOutgoingTableKeepsEverything() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pool = try DatabasePool(path: directory + "/swiftlet.sqlite")
        try SQLiteStore.migrator.migrate(pool, upTo: "19-webhooks")
        try await pool.write { db in
            for number in ["+46700000001", "+46700000002", "+46700000003"] {
                try db.execute(
                    sql: """
                        INSERT INTO outgoing (recipient, text, state, created_by, created_at, updated_at, not_before, kind)
                        VALUES (?, 'x', 'queued', 'test', 0, 0, 0, 'mms')
                        """,
                    arguments: [number]
                )
            }
            try db.execute(
                sql:
                    "INSERT INTO outgoing_attachment (message_id, position, content_type, content) VALUES (1, 0, 'image/png', x'00')"
            )
            try db.execute(sql: "DELETE FROM outgoing WHERE id = 3")
        }
        try pool.close()

        let store = try SQLiteStore(directory: directory)
        let ids = try await store.enqueue([message("+46700000004")])
        #expect(ids == [4], "an id was used twice")
        try await store.pool.read { db in
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outgoing") == 3)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outgoing_attachment WHERE message_id = 1") == 1)
            #expect(
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event WHERE message_id = 4 AND status = 'queued'") == 1
            )
            let indexes = try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outgoing' AND sql IS NOT NULL"
            )
            #expect(Set(indexes).isSuperset(of: ["outgoing_due", "outgoing_recipient", "outgoing_sent_by_modem"]))
            let triggers = try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'outgoing'"
            )
            #expect(Set(triggers) == ["event_queued", "event_sent_or_failed", "event_delivery"])
        }
        let ring = try await Outbox(store: store).ring(
            ["+46700000005"],
            seconds: 5,
            modemNumber: nil,
            createdBy: "test"
        )
        #expect(
            try await store.outgoing(matching: MessageQuery(folder: .outbox)).first { $0.id == ring[0] }?.payload
                == .ring(seconds: 5)
        )
    }
}
