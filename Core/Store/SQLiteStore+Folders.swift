import Foundation
import GRDB
import SwiftletDomain

/// Custom folders ("My Folders") for received messages.
extension SQLiteStore {
    /// Throws `.invalidParameter` if a folder of that name exists.
    public func createFolder(_ name: String) async throws {
        guard !name.isEmpty, name.count <= 100 else {
            throw SwiftletError.invalidParameter("name", "1 to 100 characters")
        }
        try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM custom_folder WHERE name = ?", arguments: [name]) == nil
            else {
                throw SwiftletError.invalidParameter("name", "a folder called '\(name)' exists")
            }
            try db.execute(
                sql: "INSERT INTO custom_folder (name, created_at) VALUES (?, ?)",
                arguments: [name, Date().storeValue]
            )
        }
    }

    /// The folders with how many messages each holds.
    public func folders() async throws -> [(name: String, messages: Int)] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT f.name, (SELECT COUNT(*) FROM incoming i WHERE i.folder_id = f.id) AS messages
                    FROM custom_folder f ORDER BY f.name
                    """
            )
            .map { ($0["name"], $0["messages"]) }
        }
    }

    public func folderExists(_ name: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM custom_folder WHERE name = ?", arguments: [name]) != nil
        }
    }

    /// Files received message `id` in folder `name`, or back into the inbox for nil. Throws
    /// `.notFound` for a message or folder that does not exist.
    public func file(message id: MessageID, in name: String?) async throws {
        try await write { db in
            var folderID: Int64?
            if let name {
                guard
                    let found = try Int64.fetchOne(
                        db,
                        sql: "SELECT id FROM custom_folder WHERE name = ?",
                        arguments: [name]
                    )
                else { throw SwiftletError(.notFound, "there is no folder '\(name)'") }
                folderID = found
            }
            try db.execute(sql: "UPDATE incoming SET folder_id = ? WHERE id = ?", arguments: [folderID, id])
            guard db.changesCount == 1 else { throw SwiftletError(.notFound, "there is no received message \(id)") }
        }
    }
}
