import Foundation
import GRDB
import SwiftletDomain

extension SQLiteStore: Phonebook {
    public func contacts(withNumber number: PhoneNumber) async throws -> [Contact] {
        try await pool.read { db in
            try Self.contacts(db, where: "c.number = ?", [number.value])
        }
    }

    public func contact(named name: String) async throws -> Contact? {
        try await pool.read { db in
            try Self.contacts(db, where: "c.name = ?", [name]).first
        }
    }

    public func group(named name: String) async throws -> ContactGroup? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT id, name FROM contact_group WHERE name = ?",
                    arguments: [name]
                )
            else { return nil }
            let id: Int64 = row["id"]
            let members = try Self.contacts(
                db,
                where: "c.id IN (SELECT contact_id FROM group_member WHERE group_id = ?)",
                [id]
            )
            return ContactGroup(id: id, name: row["name"], members: members)
        }
    }

    public func addToGroup(
        _ group: String,
        number: PhoneNumber,
        contactName: String?,
        createGroup: Bool
    ) async throws
        -> Bool
    {
        let now = Date().storeValue
        return try await write { db in
            var groupID = try Int64.fetchOne(db, sql: "SELECT id FROM contact_group WHERE name = ?", arguments: [group])
            if groupID == nil {
                guard createGroup else { throw SwiftletError(.notFound, "there is no group '\(group)'") }
                try db.execute(
                    sql: "INSERT INTO contact_group (name, created_at) VALUES (?, ?)",
                    arguments: [group, now]
                )
                groupID = db.lastInsertedRowID
            }
            var contactID = try Int64.fetchOne(
                db,
                sql: "SELECT id FROM contact WHERE number = ? ORDER BY id LIMIT 1",
                arguments: [number.value]
            )
            if contactID == nil {
                try db.execute(
                    sql: "INSERT INTO contact (name, number, created_at) VALUES (?, ?, ?)",
                    arguments: [contactName ?? number.value, number.value, now]
                )
                contactID = db.lastInsertedRowID
            }
            try db.execute(
                sql: "INSERT OR IGNORE INTO group_member (group_id, contact_id, added_at) VALUES (?, ?, ?)",
                arguments: [groupID, contactID, now]
            )
            return db.changesCount > 0
        }
    }

    public func removeFromGroup(_ group: String, number: PhoneNumber) async throws -> Bool {
        try await write { db in
            guard
                let groupID = try Int64.fetchOne(
                    db,
                    sql: "SELECT id FROM contact_group WHERE name = ?",
                    arguments: [group]
                )
            else { throw SwiftletError(.notFound, "there is no group '\(group)'") }
            try db.execute(
                sql: """
                    DELETE FROM group_member
                    WHERE group_id = ? AND contact_id IN (SELECT id FROM contact WHERE number = ?)
                    """,
                arguments: [groupID, number.value]
            )
            return db.changesCount > 0
        }
    }

    static func contacts(_ db: Database, where condition: String, _ arguments: StatementArguments) throws -> [Contact] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT c.id, c.name, c.number,
                       (SELECT group_concat(g.name, char(31)) FROM group_member m JOIN contact_group g ON g.id = m.group_id
                        WHERE m.contact_id = c.id) AS groups
                FROM contact c WHERE \(condition) ORDER BY c.id
                """,
            arguments: arguments
        )
        return rows.map { row in
            let groups: String? = row["groups"]
            return Contact(
                id: row["id"],
                name: row["name"],
                number: PhoneNumber(normalized: row["number"]),
                groups: groups.map { $0.split(separator: "\u{1F}").map(String.init).sorted() } ?? []
            )
        }
    }
}

extension SQLiteStore: PluginStateStore {
    public func pluginState(plugin: String, key: String) async throws -> [UInt8]? {
        try await pool.read { db in
            try Data.fetchOne(
                db,
                sql: "SELECT value FROM plugin_state WHERE plugin = ? AND key = ?",
                arguments: [plugin, key]
            )
            .map { [UInt8]($0) }
        }
    }

    public func setPluginState(plugin: String, key: String, value: [UInt8]) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO plugin_state (plugin, key, value, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (plugin, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """,
                arguments: [plugin, key, Data(value), Date().storeValue]
            )
        }
    }

    public func removePluginState(plugin: String, key: String) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM plugin_state WHERE plugin = ? AND key = ?", arguments: [plugin, key])
        }
    }
}

extension SQLiteStore: PluginHealthStore {
    static func registerPluginHealthMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("29-plugin-health-abi") { db in
            // The ABI version a running plugin speaks, for `swiftlet plugins list`.
            try db.execute(sql: "ALTER TABLE plugin_health ADD COLUMN abi TEXT")
        }
    }

    public func setPluginHealth(_ report: PluginHealthReport) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO plugin_health (plugin, state, detail, since, abi) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (plugin) DO UPDATE SET state = excluded.state, detail = excluded.detail,
                        since = excluded.since, abi = excluded.abi
                    """,
                arguments: [report.plugin, report.state, report.detail, report.since.storeValue, report.abi]
            )
        }
    }

    public func pluginHealth() async throws -> [PluginHealthReport] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT plugin, state, detail, since, abi FROM plugin_health ORDER BY plugin").map
            {
                PluginHealthReport(
                    plugin: $0["plugin"],
                    state: $0["state"],
                    detail: $0["detail"],
                    since: Date(storeValue: $0["since"]),
                    abi: $0["abi"]
                )
            }
        }
    }
}
