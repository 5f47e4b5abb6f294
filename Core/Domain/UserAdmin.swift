import Foundation

/// An API user as `swiftlet user list` and APIv2's `users` show it.
public struct UserSummary: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var isAdmin: Bool
    /// Reads and deletes every user's messages (``APIUser/allUsers``).
    public var allUsers: Bool
    public var permissions: Set<String>
    public var tokens: Int
    public var hasPassword: Bool
    /// The directory that made this user at its first sign-in (its password is the directory's);
    /// nil for a local user.
    public var directory: String?

    public init(
        id: Int64,
        name: String,
        isAdmin: Bool,
        allUsers: Bool = false,
        permissions: Set<String>,
        tokens: Int,
        hasPassword: Bool,
        directory: String? = nil
    ) {
        self.id = id
        self.name = name
        self.isAdmin = isAdmin
        self.allUsers = allUsers
        self.permissions = permissions
        self.tokens = tokens
        self.hasPassword = hasPassword
        self.directory = directory
    }
}

/// An access token as listed: never the token, only the first 8 hex digits of its SHA-256 digest,
/// enough to revoke it.
public struct TokenSummary: Sendable, Equatable {
    public var id: String
    public var user: String
    public var createdAt: Date

    public init(id: String, user: String, createdAt: Date) {
        self.id = id
        self.user = user
        self.createdAt = createdAt
    }
}

/// Managing API users and their tokens. Every method that changes something has committed it when
/// it returns.
public protocol UserAdmin: Sendable {
    /// Throws `.invalidParameter` if the name is not one or the user exists.
    func addUser(_ name: String, admin: Bool, allUsers: Bool, permissions: Set<String>) async throws
    func users() async throws -> [UserSummary]
    /// Removes the user and its tokens; false if there is none of that name.
    func removeUser(_ name: String) async throws -> Bool
    func setPermissions(_ name: String, _ permissions: Set<String>) async throws -> Bool
    func setAdmin(_ name: String, _ admin: Bool) async throws -> Bool
    /// Grants (or withdraws) access to every user's messages; false if there is no such user.
    func setAllUsers(_ name: String, _ allUsers: Bool) async throws -> Bool
    /// A new token for `user` (made if missing); only its digest is stored.
    func createAccessToken(user: String) async throws -> String
    func tokens(user: String?) async throws -> [TokenSummary]
    func revokeToken(id: String) async throws -> Bool
}

extension UserAdmin {
    /// Adds a user that sees only its own messages.
    public func addUser(_ name: String, admin: Bool, permissions: Set<String>) async throws {
        try await addUser(name, admin: admin, allUsers: false, permissions: permissions)
    }
}
