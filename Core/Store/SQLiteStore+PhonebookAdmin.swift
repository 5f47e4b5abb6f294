import Foundation
import GRDB
import SwiftletDomain

extension SQLiteStore: PhonebookAdmin {
    public func createGroup(name: String, visibility: Visibility) async throws -> Int64 {
        try await write { db in
            guard try Self.groupID(db, named: name, excluding: nil) == nil else {
                throw SwiftletError.invalidParameter("groupname", "a group called '\(name)' exists")
            }
            try db.execute(
                sql: "INSERT INTO contact_group (name, public, owner_id, created_at) VALUES (?, ?, ?, ?)",
                arguments: [name, visibility.isPublic, visibility.ownerID, Date().storeValue]
            )
            return db.lastInsertedRowID
        }
    }

    public func groups(_ filter: PhonebookFilter) async throws -> [PhonebookEntry] {
        try await pool.read { db in
            try Self.entries(db, table: "contact_group", filter, where: "1", arguments: [])
        }
    }

    public func updateGroup(id: Int64, name: String, isPublic: Bool?, viewerID: Int64?) async throws {
        try await write { db in
            try Self.requireGroups(db, [id], viewerID: viewerID)
            guard try Self.groupID(db, named: name, excluding: id) == nil else {
                throw SwiftletError.invalidParameter("groupname", "a group called '\(name)' exists")
            }
            try db.execute(
                sql: "UPDATE contact_group SET name = ?, public = COALESCE(?, public) WHERE id = ?",
                arguments: [name, isPublic, id]
            )
        }
    }

    public func deleteGroup(id: Int64, name: String, viewerID: Int64?) async throws {
        try await deleteEntry(table: "contact_group", kind: "group", id: id, name: name, viewerID: viewerID)
    }

    public func setMembership(contactID: Int64, groupIDs: [Int64], member: Bool, viewerID: Int64?) async throws {
        try await write { db in
            try Self.requireGroups(db, groupIDs, viewerID: viewerID)
            try Self.requireContact(db, contactID, name: nil, viewerID: viewerID)
            for groupID in groupIDs {
                if member {
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO group_member (group_id, contact_id, added_at) VALUES (?, ?, ?)",
                        arguments: [groupID, contactID, Date().storeValue]
                    )
                } else {
                    try db.execute(
                        sql: "DELETE FROM group_member WHERE group_id = ? AND contact_id = ?",
                        arguments: [groupID, contactID]
                    )
                }
            }
        }
    }

    public func members(ofGroup id: Int64, _ filter: PhonebookFilter) async throws -> [PhonebookEntry] {
        try await pool.read { db in
            try Self.requireGroups(db, [id], viewerID: filter.viewerID)
            return try Self.entries(
                db,
                table: "contact",
                filter,
                where: "id IN (SELECT contact_id FROM group_member WHERE group_id = ?)",
                arguments: [id]
            )
        }
    }

    public func createContact(name: String, number: PhoneNumber, visibility: Visibility) async throws -> Int64 {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO contact (name, number, public, owner_id, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [name, number.value, visibility.isPublic, visibility.ownerID, Date().storeValue]
            )
            return db.lastInsertedRowID
        }
    }

    public func contacts(_ filter: PhonebookFilter) async throws -> [PhonebookEntry] {
        try await pool.read { db in
            try Self.entries(db, table: "contact", filter, where: "1", arguments: [])
        }
    }

    public func updateContact(
        id: Int64,
        name: String,
        number: PhoneNumber,
        isPublic: Bool?,
        viewerID: Int64?
    ) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE contact SET name = ?, number = ?, public = COALESCE(?, public)
                    WHERE id = ? AND \(Self.visible(to: viewerID))
                    """,
                arguments: [name, number.value, isPublic, id]
            )
            guard db.changesCount == 1 else { throw SwiftletError(.notFound, "contact \(id)") }
        }
    }

    public func deleteContact(id: Int64, name: String, viewerID: Int64?) async throws {
        try await deleteEntry(table: "contact", kind: "contact", id: id, name: name, viewerID: viewerID)
    }

    /// Deletes the entry with this id and name that `viewerID` may see; `.notFound` if there is none.
    func deleteEntry(table: String, kind: String, id: Int64, name: String, viewerID: Int64?) async throws {
        try await write { db in
            try db.execute(
                sql: "DELETE FROM \(table) WHERE id = ? AND name = ? AND \(Self.visible(to: viewerID))",
                arguments: [id, name]
            )
            guard db.changesCount == 1 else { throw SwiftletError(.notFound, "\(kind) \(id) called '\(name)'") }
        }
    }

    /// Entries `viewerID` may see: public ones and its own private ones (all for nil). Ids are
    /// integers, written into the SQL as such.
    static func visible(to viewerID: Int64?) -> String {
        viewerID.map { "(public = 1 OR owner_id = \($0))" } ?? "1"
    }

    static func entries(
        _ db: Database,
        table: String,
        _ filter: PhonebookFilter,
        where condition: String,
        arguments: StatementArguments
    ) throws -> [PhonebookEntry] {
        var conditions = [condition, visible(to: filter.viewerID)]
        if let isPublic = filter.isPublic { conditions.append("public = \(isPublic ? 1 : 0)") }
        if let owner = filter.ownerID { conditions.append("owner_id = \(owner)") }
        let number = table == "contact" ? "number, vacation" : "NULL AS number, 0 AS vacation"
        return try Row.fetchAll(
            db,
            sql: """
                SELECT id, name, \(number), public, owner_id FROM \(table)
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY id
                """,
            arguments: arguments
        )
        .map { row in
            PhonebookEntry(
                id: row["id"],
                name: row["name"],
                number: row["number"],
                visibility: Visibility(isPublic: row["public"], ownerID: row["owner_id"]),
                vacation: row["vacation"]
            )
        }
    }

    static func groupID(_ db: Database, named name: String, excluding id: Int64?) throws -> Int64? {
        try Int64.fetchOne(
            db,
            sql: "SELECT id FROM contact_group WHERE name = ? AND id IS NOT ?",
            arguments: [name, id]
        )
    }

    /// Throws `.notFound` naming the first of `ids` that is not a group `viewerID` may see.
    static func requireGroups(_ db: Database, _ ids: [Int64], viewerID: Int64?) throws {
        let sql = "SELECT 1 FROM contact_group WHERE id = ? AND \(visible(to: viewerID))"
        for id in ids where try Bool.fetchOne(db, sql: sql, arguments: [id]) == nil {
            throw SwiftletError(.notFound, "group \(id)")
        }
    }
}
