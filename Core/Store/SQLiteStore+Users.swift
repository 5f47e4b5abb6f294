import Crypto
import Foundation
import GRDB
import HummingbirdBcrypt
import SwiftletDomain
import SwiftletSupport

extension SQLiteStore: UserDirectory {
    /// Creates `user` if it does not exist (allowed every APIv1 method), adds a new access token to it,
    /// and returns the token. Only the token's SHA-256 digest is stored.
    public func createAccessToken(user: String) async throws -> String {
        let token = Secrets.randomToken()
        let digest = Self.digest(token)
        try await write { db in try Self.insertToken(db, digest: digest, user: user) }
        return token
    }

    /// Sets the password of `user` for APIv1's `login`/`pass` authentication (bcrypt, cost 12),
    /// creating the user if needed.
    public func setPassword(user: String, password: String) async throws {
        let hash = Bcrypt.hash(password, cost: 12)
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO api_user (name, permissions, password_hash, created_at, id)
                    VALUES (?, '*', ?, ?, (SELECT COALESCE(MAX(id), 0) + 1 FROM api_user))
                    ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash
                    """,
                arguments: [user, hash, Date().storeValue]
            )
        }
    }

    public func user(forAccessToken token: String) async throws -> APIUser? {
        let digest = Self.digest(token)
        let row = try await pool.read { db in
            try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT t.token_hash, u.id, u.name, u.permissions, u.level, u.all_users FROM access_token t
                        JOIN api_user u ON u.name = t.user_name WHERE t.token_hash = ?
                        """
                ),
                arguments: [digest]
            )
        }
        guard let row, Secrets.constantTimeEqual(row["token_hash"] as Data, digest) else { return nil }
        return Self.user(row)
    }

    static func user(_ row: Row) -> APIUser {
        APIUser(
            id: row["id"],
            name: row["name"],
            permissions: permissions(row["permissions"]),
            isAdmin: row["level"] == "admin",
            allUsers: row["all_users"]
        )
    }

    public func user(login: String, password: String) async throws -> APIUser? {
        let row = try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT id, name, permissions, level, all_users, password_hash FROM api_user WHERE name = ?",
                arguments: [login]
            )
        }
        // Verify against a dummy hash when the user is unknown, so timing does not reveal user names.
        let hash: String = (row?["password_hash"] as String?) ?? Self.dummyHash
        let matches = Bcrypt.verify(password, hash: hash)
        guard let row, matches, row["password_hash"] as String? != nil else { return nil }
        return Self.user(row)
    }

    public func userID(named name: String) async throws -> Int64? {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT id FROM api_user WHERE name = ?", arguments: [name])
        }
    }

    static let dummyHash = Bcrypt.hash("swiftlet-no-such-user", cost: 12)

    static func permissions(_ text: String) -> Set<String> {
        Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    static func digest(_ token: String) -> Data { Data(SHA256.hash(data: Data(token.utf8))) }

}

extension SQLiteStore {
    /// The user called `name` and a stamp of its credentials: a digest of its password hash, its
    /// tokens' digests, level and permissions, which changes when any of them does. Nil for no such user.
    public func user(named name: String) async throws -> (user: APIUser, credentialStamp: String)? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT id, name, permissions, level, all_users, password_hash FROM api_user WHERE name = ?",
                    arguments: [name]
                )
            else { return nil }
            let tokens = try Data.fetchAll(
                db,
                sql: "SELECT token_hash FROM access_token WHERE user_name = ? ORDER BY token_hash",
                arguments: [name]
            )
            let user = Self.user(row)
            let material = [
                (row["password_hash"] as String?) ?? "-",
                tokens.map { $0.base64EncodedString() }.joined(separator: ","),
                "\(user.isAdmin)",
                "\(user.allUsers)", user.permissions.sorted().joined(separator: ","),
            ].joined(separator: "|")
            let stamp = SHA256.hash(data: Data(material.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
            return (user, stamp)
        }
    }
}

extension SQLiteStore: DirectoryUsers {
    public func isLocalUser(_ name: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM api_user WHERE name = ? AND directory IS NULL",
                arguments: [name]
            ) ?? false
        }
    }

    public func directoryUser(_ name: String, login: DirectoryLogin, permissions: Set<String>) async throws -> APIUser?
    {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO api_user (name, permissions, level, directory, created_at, id)
                    VALUES (?, ?, ?, ?, ?, (SELECT COALESCE(MAX(id), 0) + 1 FROM api_user))
                    ON CONFLICT (name) DO UPDATE SET
                        permissions = excluded.permissions, level = excluded.level, directory = excluded.directory
                    WHERE api_user.directory IS NOT NULL
                    """,
                arguments: [
                    name, permissions.sorted().joined(separator: ","), login.role == .admin ? "admin" : "user",
                    login.directory, Date().storeValue,
                ]
            )
            return try Row.fetchOne(
                db,
                sql:
                    "SELECT id, name, permissions, level, all_users FROM api_user WHERE name = ? AND directory IS NOT NULL",
                arguments: [name]
            )
            .map(Self.user)
        }
    }
}
