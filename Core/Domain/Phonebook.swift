/// A phonebook contact: a name for a number, and the groups it belongs to.
public struct Contact: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var number: PhoneNumber
    public var groups: [String]

    public init(id: Int64, name: String, number: PhoneNumber, groups: [String]) {
        self.id = id
        self.name = name
        self.number = number
        self.groups = groups
    }
}

/// A phonebook group (e.g. `oncall`, or a list people subscribe to by SMS).
public struct ContactGroup: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var members: [Contact]

    public init(id: Int64, name: String, members: [Contact]) {
        self.id = id
        self.name = name
        self.members = members
    }
}

/// The phonebook: contacts and groups. Names are matched without regard to case.
///
/// Every method that changes something has committed the change when it returns.
public protocol Phonebook: Sendable {
    func contacts(withNumber number: PhoneNumber) async throws -> [Contact]
    func contact(named name: String) async throws -> Contact?
    func group(named name: String) async throws -> ContactGroup?
    /// Puts `number` into `group`, making a contact for it (named `contactName`, else the number)
    /// if none has that number, and the group if `createGroup`. Returns false if it was in already.
    /// Throws `SwiftletError(.notFound)` for a missing group that is not to be created.
    func addToGroup(
        _ group: String,
        number: PhoneNumber,
        contactName: String?,
        createGroup: Bool
    ) async throws
        -> Bool
    /// Takes every contact with `number` out of `group`; false if none was in it.
    func removeFromGroup(_ group: String, number: PhoneNumber) async throws -> Bool
}

/// Durable key-value state, private to each plugin.
public protocol PluginStateStore: Sendable {
    func pluginState(plugin: String, key: String) async throws -> [UInt8]?
    func setPluginState(plugin: String, key: String, value: [UInt8]) async throws
    func removePluginState(plugin: String, key: String) async throws
}
