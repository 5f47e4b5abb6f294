/// Who may see a phonebook entry: everyone (`public`), or only the user who made it.
public struct Visibility: Sendable, Equatable {
    public var isPublic: Bool
    /// The id of the user who made it; nil for entries made by the gateway (plugins, the CLI).
    public var ownerID: Int64?

    public init(isPublic: Bool, ownerID: Int64?) {
        self.isPublic = isPublic
        self.ownerID = ownerID
    }
}

/// A phonebook entry as the admin APIs list it.
public struct PhonebookEntry: Sendable, Equatable {
    public var id: Int64
    public var name: String
    /// A contact's number; nil for a group.
    public var number: String?
    public var visibility: Visibility
    /// A contact on vacation gets nothing sent through groups and contact names.
    public var vacation: Bool

    /// Whether `name` may name a contact, group or shift: no control characters (a NUL, line break
    /// or escape in a name would break the text and XML answers that list it, and no one types one).
    /// Each API adds its own documented length limit.
    public static func isAcceptableName(_ name: String) -> Bool {
        !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    public init(id: Int64, name: String, number: String? = nil, visibility: Visibility, vacation: Bool = false) {
        self.id = id
        self.name = name
        self.number = number
        self.visibility = visibility
        self.vacation = vacation
    }
}

/// Which entries a listing shows.
public struct PhonebookFilter: Sendable, Equatable {
    /// Only public (true) or only private (false) entries; nil for both.
    public var isPublic: Bool?
    /// Only those made by this user.
    public var ownerID: Int64?
    /// The user asking: of the private entries, only this user's own are shown. Nil for the gateway
    /// itself (plugins, the CLI), which sees everything.
    public var viewerID: Int64?

    public init(isPublic: Bool? = nil, ownerID: Int64? = nil, viewerID: Int64?) {
        self.isPublic = isPublic
        self.ownerID = ownerID
        self.viewerID = viewerID
    }
}

/// The phonebook as APIv1 manages it: groups and contacts by id. Names of groups are unique
/// (without regard to case); names of contacts are not.
///
/// Every method that changes something has committed the change when it returns. Methods that
/// name an entry by id throw `SwiftletError(.notFound)` when there is none that `viewerID` may see
/// (public entries, and the viewer's own private ones; nil sees all).
public protocol PhonebookAdmin: RecipientDirectory {
    /// Throws `.invalidParameter` when a group of that name exists.
    func createGroup(name: String, visibility: Visibility) async throws -> Int64
    func groups(_ filter: PhonebookFilter) async throws -> [PhonebookEntry]
    /// `isPublic` nil keeps it as it is.
    func updateGroup(id: Int64, name: String, isPublic: Bool?, viewerID: Int64?) async throws
    /// Deletes the group with this id only if it also has this name.
    func deleteGroup(id: Int64, name: String, viewerID: Int64?) async throws
    /// Adds the contact to (or removes it from) each group.
    func setMembership(contactID: Int64, groupIDs: [Int64], member: Bool, viewerID: Int64?) async throws
    /// The members of a group that `filter` shows.
    func members(ofGroup id: Int64, _ filter: PhonebookFilter) async throws -> [PhonebookEntry]
    func createContact(name: String, number: PhoneNumber, visibility: Visibility) async throws -> Int64
    func contacts(_ filter: PhonebookFilter) async throws -> [PhonebookEntry]
    func updateContact(id: Int64, name: String, number: PhoneNumber, isPublic: Bool?, viewerID: Int64?) async throws
    /// Deletes the contact with this id only if it also has this name.
    func deleteContact(id: Int64, name: String, viewerID: Int64?) async throws

    /// Shifts are shared by every user. `shift.id` is ignored.
    func createShift(_ shift: Shift) async throws -> Int64
    /// The shifts with this id, name or state (all for nil).
    func shifts(id: Int64?, name: String?, enabled: Bool?) async throws -> [Shift]
    /// Sets name and, when given, the state; of `days` (Monday = 0), each day given gets its hours
    /// (nil: none); the others keep theirs.
    func updateShift(id: Int64, name: String, enabled: Bool?, days: [Int: DayHours?]) async throws
    func deleteShift(id: Int64) async throws
    func setShiftMembership(contactID: Int64, shiftIDs: [Int64], member: Bool, viewerID: Int64?) async throws
    /// The shifts each of these contacts is on (contacts on none are left out).
    func shifts(ofContacts ids: [Int64]) async throws -> [Int64: [Shift]]
    /// Vacation mode of the contact with this id and name.
    func setVacation(contactID: Int64, name: String, enabled: Bool, viewerID: Int64?) async throws
    func vacation(contactID: Int64, name: String, viewerID: Int64?) async throws -> Bool
}
