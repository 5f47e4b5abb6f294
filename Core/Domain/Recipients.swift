import Foundation

/// Who a message is for, as its sender named them: numbers, and phonebook contacts, groups and
/// shifts. Every way into the gateway (APIv1, APIv2, brevis.one, rules, plugins' `send_sms`, and so
/// the e-mail plugin) names its recipients with this, and ``RecipientResolver`` turns it into
/// numbers with one policy.
public struct RecipientList: Sendable, Equatable {
    /// Numbers as given. They are kept as given (each gets its own message and answer); the API that
    /// took them refuses those that are not numbers.
    public var numbers: [String]
    public var contacts: [PhonebookReference]
    public var groups: [PhonebookReference]
    public var shifts: [PhonebookReference]

    public init(
        numbers: [String] = [],
        contacts: [PhonebookReference] = [],
        groups: [PhonebookReference] = [],
        shifts: [PhonebookReference] = []
    ) {
        self.numbers = numbers
        self.contacts = contacts
        self.groups = groups
        self.shifts = shifts
    }
}

/// A phonebook entry named by its id (APIv2) or by its name (APIv1, brevis.one, rules, plugins).
/// A name names every contact of that name.
public enum PhonebookReference: Sendable, Hashable, CustomStringConvertible {
    case id(Int64)
    case name(String)

    public var description: String {
        switch self {
        case .id(let id): "\(id)"
        case .name(let name): "'\(name)'"
        }
    }
}

/// Which phonebook entries a sender may name.
public enum PhonebookScope: Sendable, Equatable {
    /// Every entry: the gateway's own senders (rules an admin wrote, plugins, the CLI), and admins.
    case everything
    /// Public entries only: APIv1's `send_togroup`/`send_tocontact` and brevis.one, as SMSEagle
    /// documents them. A public group's members are all its members.
    case publicEntries
    /// The entries this user made (APIv2 without the admin or all-users grant).
    case ownedBy(Int64)

    /// An APIv2 user's scope: everything for admins and users with access to all users' resources.
    public static func of(_ user: APIUser) -> PhonebookScope {
        user.isAdmin || user.allUsers ? .everything : .ownedBy(user.id)
    }

    /// The same as a listing filter.
    public var filter: PhonebookFilter {
        switch self {
        case .everything: PhonebookFilter(viewerID: nil)
        case .publicEntries: PhonebookFilter(isPublic: true, viewerID: nil)
        case .ownedBy(let id): PhonebookFilter(ownerID: id, viewerID: id)
        }
    }
}

/// The phonebook as the resolver reads it; the store implements it.
public protocol RecipientDirectory: Sendable {
    /// The contacts `reference` names that `scope` may see (by name: all of that name).
    func contacts(_ reference: PhonebookReference, in scope: PhonebookScope) async throws -> [PhonebookEntry]
    /// All members of the group `reference` names, if `scope` may see that group; nil if not.
    func members(ofGroup reference: PhonebookReference, in scope: PhonebookScope) async throws -> [PhonebookEntry]?
    /// The shift `reference` names and its members, if `scope` may see it; nil if not.
    func members(
        ofShift reference: PhonebookReference,
        in scope: PhonebookScope
    ) async throws
        -> (shift: Shift, members: [PhonebookEntry])?
    /// The shifts each contact is on, by contact id (contacts on no shift are absent).
    func shifts(ofContacts ids: [Int64]) async throws -> [Int64: [Shift]]
}

/// Directories beside the phonebook (a directory provider such as an LDAP plugin), asked for a group
/// or person the phonebook does not have, and for logins the gateway has no local user of.
public protocol ExternalDirectory: Sendable {
    /// The numbers of the group or person called `name`, from the first directory that knows it; nil
    /// when none does. Throws `.unavailable` when a directory cannot be asked now.
    func numbers(named name: String) async throws -> [String]?
    /// What the first directory that knows `login` says of it with `password`; nil when none
    /// accepts it. Throws `.unavailable` when no directory could say.
    func verify(login: String, password: String) async throws -> DirectoryLogin?
    /// The groups the directories offer, read-only (a directory that cannot answer now is left out).
    func groups() async -> [DirectoryGroupListing]
}

extension ExternalDirectory {
    public func verify(login: String, password: String) async throws -> DirectoryLogin? { nil }
    public func groups() async -> [DirectoryGroupListing] { [] }
}

/// A group a directory offers, as the phonebook pages list it.
public struct DirectoryGroupListing: Sendable, Equatable {
    /// The directory provider's name (`ldap`).
    public var directory: String
    public var name: String
    /// Members with a number.
    public var members: Int

    public init(directory: String, name: String, members: Int) {
        self.directory = directory
        self.name = name
        self.members = members
    }
}

/// A contact, group or shift a sender named that its scope does not see. Each API words it its own
/// way; the rules and plugins show ``description``.
public struct UnknownRecipient: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable { case contact, group, shift }
    public var kind: Kind
    public var reference: PhonebookReference

    public var description: String { "there is no \(kind.rawValue) \(reference)" }
}

/// The one recipient policy of the gateway. For a message sent at `start`:
/// - numbers given are kept as given, in order;
/// - contacts, group members and shift members follow, each number once: a number already in the
///   list (compared as ``PhoneNumber`` normalises it) is not added again;
/// - a contact on vacation is skipped;
/// - a contact on shifts gets it when one of the shifts is on duty: now, or held until it starts; a
///   contact whose shifts have no hours is skipped. Members named through a shift count only that
///   shift's hours;
/// - an entry the sender's ``PhonebookScope`` does not see is an ``UnknownRecipient``.
public struct RecipientResolver: Sendable {
    public let directory: any RecipientDirectory
    /// Asked for a group name the phonebook does not have (ABI 1.4 directory providers).
    public var external: (any ExternalDirectory)?
    /// The calendar shifts' hours are read in (the gateway's time zone).
    public let calendar: Calendar

    public init(directory: any RecipientDirectory, timeZone: TimeZone, external: (any ExternalDirectory)? = nil) {
        self.directory = directory
        self.external = external
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    /// The delivery plan of `list`. Groups that exist but have no members are in `emptyGroups`.
    public func resolve(_ list: RecipientList, scope: PhonebookScope, start: Date) async throws -> ContactDelivery {
        var delivery = ContactDelivery(numbers: list.numbers)
        var entries: [PhonebookEntry] = []
        for reference in list.contacts {
            let found = try await directory.contacts(reference, in: scope)
            guard !found.isEmpty else {
                // Not in the phonebook: a person of a directory (LDAP) by name.
                guard case .name(let name) = reference, let numbers = try await external?.numbers(named: name),
                    !numbers.isEmpty
                else { throw UnknownRecipient(kind: .contact, reference: reference) }
                delivery.add(numbers: numbers)
                continue
            }
            entries += found
        }
        for reference in list.groups {
            guard let members = try await directory.members(ofGroup: reference, in: scope) else {
                // Not in the phonebook: a directory's group (LDAP) is everyone's to name.
                guard case .name(let name) = reference, let numbers = try await external?.numbers(named: name) else {
                    throw UnknownRecipient(kind: .group, reference: reference)
                }
                if numbers.isEmpty { delivery.emptyGroups.append(reference) }
                delivery.add(numbers: numbers)
                continue
            }
            if members.isEmpty { delivery.emptyGroups.append(reference) }
            entries += members
        }
        if !entries.isEmpty {
            delivery.add(
                entries,
                shifts: try await directory.shifts(ofContacts: entries.map(\.id)),
                start: start,
                calendar: calendar
            )
        }
        for reference in list.shifts {
            guard let (shift, members) = try await directory.members(ofShift: reference, in: scope) else {
                throw UnknownRecipient(kind: .shift, reference: reference)
            }
            delivery.add(
                members,
                shifts: Dictionary(uniqueKeysWithValues: members.map { ($0.id, [shift]) }),
                start: start,
                calendar: calendar
            )
        }
        return delivery
    }
}

/// Who of some phonebook contacts gets a message sent at a given time, and when: contacts on
/// vacation are skipped; contacts on shifts get it when one of their shifts is on duty (now, or held
/// until it starts); contacts whose shifts have no hours are skipped. Numbers already in the list
/// are not added twice. ``RecipientResolver`` makes it.
public struct ContactDelivery: Sendable {
    public private(set) var numbers: [String]
    /// By index in `numbers`: not before this time.
    public private(set) var heldUntil: [Int: Date] = [:]
    /// What happened to whom, for the log ("Anna is on vacation; not sent to").
    public private(set) var notes: [(contact: Int64, text: String)] = []
    /// Groups named that have no members (a sender may refuse those).
    public internal(set) var emptyGroups: [PhonebookReference] = []
    /// `numbers` normalised, as a set: a group of 100,000 is checked for repeats in linear time.
    private var added: Set<String>

    public init(numbers: [String] = []) {
        self.numbers = numbers
        added = Set(numbers.map(Self.key))
    }

    /// What makes two numbers the same entry in the list: the number as ``PhoneNumber`` normalises
    /// it (`+46 70-123 45 67` and `+46701234567` are one), or the text itself if it is not a number.
    static func key(_ number: String) -> String { PhoneNumber(number)?.value ?? number }

    /// Adds `contacts`, with `shifts` by contact id, for a message sent at `start`.
    public mutating func add(
        _ contacts: [PhonebookEntry],
        shifts: [Int64: [Shift]],
        start: Date,
        calendar: Calendar
    ) {
        for contact in contacts {
            guard let number = contact.number, !added.contains(Self.key(number)) else { continue }
            if contact.vacation {
                notes.append((contact.id, "\(contact.name) is on vacation; not sent to"))
                continue
            }
            if let onShifts = shifts[contact.id] {
                guard let next = Shift.nextOnDuty(after: start, in: onShifts, calendar: calendar) else {
                    notes.append((contact.id, "\(contact.name)'s shifts have no hours; not sent to"))
                    continue
                }
                if next > start {
                    notes.append((contact.id, "\(contact.name) is off duty; held until \(next)"))
                    heldUntil[numbers.count] = next
                }
            }
            numbers.append(number)
            added.insert(Self.key(number))
        }
    }

    /// Adds numbers a directory gave, each once.
    public mutating func add(numbers given: [String]) {
        for number in given where !added.contains(Self.key(number)) {
            numbers.append(number)
            added.insert(Self.key(number))
        }
    }

    /// Holds every number not held later already until `date`.
    public mutating func hold(until date: Date) {
        for index in numbers.indices where (heldUntil[index] ?? .distantPast) < date { heldUntil[index] = date }
    }
}
