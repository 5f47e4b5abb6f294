import Foundation

/// What a user who signs in with a directory's password may do (the directory's groups decide).
public enum DirectoryRole: String, Sendable, Equatable {
    case admin
    /// Sends and reads: every API method.
    case user
    /// Reads only: the APIs' `read_*`, `get_*` and `*_read` methods.
    case readOnly = "read_only"
}

/// A directory's answer to a login and password that are right.
public struct DirectoryLogin: Sendable, Equatable {
    /// The directory provider that checked them.
    public var directory: String
    public var role: DirectoryRole
    public var groups: [String]

    public init(directory: String, role: DirectoryRole, groups: [String]) {
        self.directory = directory
        self.role = role
        self.groups = groups
    }
}

/// The gateway's records of users that sign in through a directory: made at their first sign-in,
/// their role set again at each. A local user's name is never the directory's: a local user always
/// wins, so a directory entry cannot take a local account over.
public protocol DirectoryUsers: Sendable {
    /// Whether `name` is a user of the gateway's own (not one a directory made).
    func isLocalUser(_ name: String) async throws -> Bool
    /// The user `name` as `login` makes it: created, or its level and permissions set; nil when
    /// `name` is a local user.
    func directoryUser(_ name: String, login: DirectoryLogin, permissions: Set<String>) async throws -> APIUser?
}
