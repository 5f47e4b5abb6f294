import Foundation
import GRDB
import SwiftletDomain

/// Managing API users and tokens, for the command line and APIv2's admins.
extension SQLiteStore: UserAdmin {
    /// Throws `.invalidParameter` if the user exists.
    public func addUser(_ name: String, admin: Bool, allUsers: Bool, permissions: Set<String>) async throws {
        guard !name.isEmpty, name.count <= 64, !name.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw SwiftletError.invalidParameter("name", "1 to 64 characters without spaces")
        }
        try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM api_user WHERE name = ?", arguments: [name]) == nil else {
                throw SwiftletError.invalidParameter("name", "a user called '\(name)' exists")
            }
            try db.execute(
                sql: """
                    INSERT INTO api_user (name, permissions, level, all_users, created_at, id)
                    VALUES (?, ?, ?, ?, ?, (SELECT COALESCE(MAX(id), 0) + 1 FROM api_user))
                    """,
                arguments: [
                    name, permissions.sorted().joined(separator: ","), admin ? "admin" : "user", allUsers,
                    Date().storeValue,
                ]
            )
        }
    }

    public func users() async throws -> [UserSummary] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT u.id, u.name, u.level, u.all_users, u.permissions, u.password_hash IS NOT NULL AS has_password, u.directory,
                           (SELECT COUNT(*) FROM access_token t WHERE t.user_name = u.name) AS tokens
                    FROM api_user u ORDER BY u.id
                    """
            )
            .map { row in
                UserSummary(
                    id: row["id"],
                    name: row["name"],
                    isAdmin: row["level"] == "admin",
                    allUsers: row["all_users"],
                    permissions: Self.permissions(row["permissions"]),
                    tokens: row["tokens"],
                    hasPassword: row["has_password"],
                    directory: row["directory"]
                )
            }
        }
    }

    /// Removes the user and its tokens; false if there was none.
    public func removeUser(_ name: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM api_user WHERE name = ?", arguments: [name])
            let removed = db.changesCount > 0
            // Its webhooks, and what they still had to deliver, go with it.
            try db.execute(sql: "DELETE FROM webhook WHERE user = ?", arguments: [name])
            return removed
        }
    }

    /// Sets the methods a user may call (`*` for all); false if there is no such user.
    public func setPermissions(_ name: String, _ permissions: Set<String>) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: "UPDATE api_user SET permissions = ? WHERE name = ?",
                arguments: [permissions.sorted().joined(separator: ","), name]
            )
            return db.changesCount > 0
        }
    }

    /// Sets a user's level; false if there is no such user.
    public func setAdmin(_ name: String, _ admin: Bool) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: "UPDATE api_user SET level = ? WHERE name = ?",
                arguments: [admin ? "admin" : "user", name]
            )
            return db.changesCount > 0
        }
    }

    /// Grants or withdraws access to every user's messages; false if there is no such user.
    public func setAllUsers(_ name: String, _ allUsers: Bool) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE api_user SET all_users = ? WHERE name = ?", arguments: [allUsers, name])
            return db.changesCount > 0
        }
    }

    /// Adds a token chosen by the admin (e.g. the one an existing SMSEagle client is configured
    /// with) to `user`, creating the user if needed. At least 16 characters; stored only as a hash.
    public func addAccessToken(_ token: String, user: String) async throws {
        guard token.count >= 16, token.count <= 256, token.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw SwiftletError.invalidParameter("token", "16 to 256 printable ASCII characters")
        }
        let digest = Self.digest(token)
        try await write { db in
            guard
                try Bool.fetchOne(db, sql: "SELECT 1 FROM access_token WHERE token_hash = ?", arguments: [digest])
                    == nil
            else { throw SwiftletError.invalidParameter("token", "this token exists already") }
            try Self.insertToken(db, digest: digest, user: user)
        }
    }

    public func tokens(user: String?) async throws -> [TokenSummary] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT token_hash, user_name, created_at FROM access_token WHERE ? IS NULL OR user_name = ? ORDER BY created_at",
                arguments: [user, user]
            )
            .map { row in
                let digest: Data = row["token_hash"]
                return TokenSummary(
                    id: Self.tokenID(digest),
                    user: row["user_name"],
                    createdAt: Date(storeValue: row["created_at"])
                )
            }
        }
    }

    /// Revokes the token whose id (as `tokens` lists it) is `id`; false if none has it.
    public func revokeToken(id: String) async throws -> Bool {
        try await write { db in
            // The id is the first four octets of the digest in hex (`tokenID`).
            try db.execute(
                sql: "DELETE FROM access_token WHERE lower(hex(substr(token_hash, 1, 4))) = ?",
                arguments: [id.lowercased()]
            )
            return db.changesCount > 0
        }
    }

    static func tokenID(_ digest: Data) -> String {
        digest.prefix(4).map { String(format: "%02x", $0) }.joined()
    }

    /// Stores a token digest for `user`, creating the user (allowed every method) if needed.
    static func insertToken(_ db: Database, digest: Data, user: String) throws {
        let now = Date().storeValue
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO api_user (name, permissions, created_at, id)
                VALUES (?, '*', ?, (SELECT COALESCE(MAX(id), 0) + 1 FROM api_user))
                """,
            arguments: [user, now]
        )
        try db.execute(
            sql: "INSERT INTO access_token (token_hash, user_name, created_at) VALUES (?, ?, ?)",
            arguments: [digest, user, now]
        )
    }
}
