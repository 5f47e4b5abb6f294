import Foundation
import Logging
import SwiftletDomain

/// Groups, contacts and user ids. Every user sees the public entries and its own private ones;
/// what it creates is its own.
extension APIv1 {
    func groupCreate(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        let name = try required(parameters, "groupname")
        // Not documented; public, like contacts, so that send_togroup (public groups only) works.
        let isPublic = try flag(parameters, "public", default: true, else: "Wrong parameters")
        do {
            let id = try await phonebook.createGroup(
                name: name,
                visibility: Visibility(isPublic: isPublic, ownerID: user.id)
            )
            return .created(element: "group_id", id: id)
        } catch let error as SwiftletError where error.kind == .invalidParameter {
            throw Refusal(.error(Self.wrongOrMissing("groupname")), because: error.detail)
        }
    }

    func groupRead(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        let filter = try listing(parameters, user: user, ownerParameter: "uid")
        let rows = try await phonebook.groups(filter).map { group in
            [("Name", group.name), ("ID", "\(group.id)")] + Self.visibilityColumns(group)
        }
        return rows.isEmpty ? .noData : .rows(rows, container: "groups", item: "item")
    }

    func groupUpdate(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        let id = try identifier(parameters, "group_id")
        let name = try required(parameters, "groupname")
        let isPublic = try optionalFlag(parameters, "public", else: "Wrong parameters")
        do {
            try await phonebook.updateGroup(id: id, name: name, isPublic: isPublic, viewerID: user.phonebookViewer)
        } catch let error as SwiftletError where error.kind == .notFound {
            throw Refusal(.error("Group with the given id does not exists"), because: error.detail)
        } catch let error as SwiftletError where error.kind == .invalidParameter {
            throw Refusal(.error(Self.wrongOrMissing("groupname")), because: error.detail)
        }
        return .ok
    }

    func groupDelete(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        let id = try identifier(parameters, "group_id")
        let name = try required(parameters, "groupname")
        try await refusing(notFound: "Group with the given id and name does not exist") {
            try await phonebook.deleteGroup(id: id, name: name, viewerID: user.phonebookViewer)
        }
        return .ok
    }

    /// What a contact can be a member of.
    enum Container: String {
        case group = "Group"
        case shift = "Shift"
    }

    /// `group_addcontact`, `group_removecontact`, `shift_addcontact` and `shift_removecontact`:
    /// `group_id` (`shift_id`) may list several. A missing contact or container is refused with the
    /// documented text.
    func membership(
        _ parameters: FormParameters,
        user: APIUser,
        of container: Container,
        member: Bool
    ) async throws -> APIv1Reply {
        let containers = try identifiers(parameters, container == .group ? "group_id" : "shift_id")
        let contact = try identifier(parameters, "contact_id")
        do {
            switch container {
            case .group:
                try await phonebook.setMembership(
                    contactID: contact,
                    groupIDs: containers,
                    member: member,
                    viewerID: user.phonebookViewer
                )
            case .shift:
                try await phonebook.setShiftMembership(
                    contactID: contact,
                    shiftIDs: containers,
                    member: member,
                    viewerID: user.phonebookViewer
                )
            }
        } catch let error as SwiftletError where error.kind == .notFound {
            let missing = error.detail.hasPrefix("contact") ? "Contact" : container.rawValue
            throw Refusal(.error("\(missing) with the given id does not exists"), because: error.detail)
        }
        return .ok
    }

    func groupMembersRead(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        let id = try identifier(parameters, "group_id")
        var filter = PhonebookFilter(viewerID: user.phonebookViewer)
        if let text = parameters["user_id"], !text.isEmpty {
            guard let owner = Int64(text) else { throw Refusal(.error("Wrong >>user_id<< parameter")) }
            filter.ownerID = owner
        }
        filter.isPublic = try optionalFlag(parameters, "public", else: "Wrong >>public<< parameter")
        let members: [PhonebookEntry]
        do {
            members = try await phonebook.members(ofGroup: id, filter)
        } catch let error as SwiftletError where error.kind == .notFound {
            throw Refusal(.error(Self.wrongOrMissing("group_id")), because: error.detail)
        }
        let rows = members.map(Self.contactRow)
        return rows.isEmpty ? .noData : .rows(rows, container: "contacts", item: "contact")
    }

    func contactCreate(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        let name = try required(parameters, "contactname")
        let number = try phoneNumber(parameters, "number")
        let isPublic = try flag(parameters, "public", default: true, else: "Wrong parameters")
        let id = try await phonebook.createContact(
            name: name,
            number: number,
            visibility: Visibility(isPublic: isPublic, ownerID: user.id)
        )
        return .created(element: "contact_id", id: id)
    }

    func contactRead(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        let filter = try listing(parameters, user: user, ownerParameter: "uid")
        let rows = try await phonebook.contacts(filter).map(Self.contactRow)
        return rows.isEmpty ? .noData : .rows(rows, container: "contacts", item: "contact")
    }

    func contactUpdate(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        let id = try identifier(parameters, "contact_id")
        let name = try required(parameters, "contactname")
        let number = try phoneNumber(parameters, "number")
        let isPublic = try optionalFlag(parameters, "public", else: "Wrong parameters")
        try await refusing(notFound: "Contact with the given id does not exists") {
            try await phonebook.updateContact(
                id: id,
                name: name,
                number: number,
                isPublic: isPublic,
                viewerID: user.phonebookViewer
            )
        }
        return .ok
    }

    func contactDelete(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        let id = try identifier(parameters, "contact_id")
        let name = try required(parameters, "contactname")
        try await refusing(notFound: "Contact with the given id and name does not exists") {
            try await phonebook.deleteContact(id: id, name: name, viewerID: user.phonebookViewer)
        }
        return .ok
    }

    func useridRead(_ parameters: FormParameters) async throws -> APIv1Reply {
        guard let name = parameters["username"], !name.isEmpty else {
            throw Refusal(.error("Missing >>username<< parameter"))
        }
        guard let id = try await users.userID(named: name) else {
            throw Refusal(.error("Wrong >>username<< parameter"))
        }
        return .count(element: "user_id", value: Int(id))
    }

    /// `public` (0 private, the documented default; 1 public) and the owner filter of `group_read`
    /// and `contact_read`. Private entries are only ever the caller's own.
    func listing(_ parameters: FormParameters, user: APIUser, ownerParameter: String) throws -> PhonebookFilter {
        var filter = PhonebookFilter(
            isPublic: try flag(parameters, "public", default: false, else: Self.wrongOrMissing("public")),
            viewerID: user.phonebookViewer
        )
        if let text = parameters[ownerParameter], !text.isEmpty {
            guard let owner = Int64(text) else { throw Refusal(.error(Self.wrongOrMissing(ownerParameter))) }
            filter.ownerID = owner
        }
        return filter
    }

    static func contactRow(_ contact: PhonebookEntry) -> [(String, String)] {
        [("ID", "\(contact.id)"), ("Name", contact.name), ("Number", contact.number ?? "")]
            + visibilityColumns(contact)
    }

    static func visibilityColumns(_ entry: PhonebookEntry) -> [(String, String)] {
        [
            ("id_user", entry.visibility.ownerID.map(String.init) ?? "0"),
            ("is_public", entry.visibility.isPublic ? "true" : "false"),
        ]
    }

    static func wrongOrMissing(_ name: String) -> String { "Wrong or missing >>\(name)<< parameter" }

    /// Runs `body`; an entry it does not find is refused with `text`.
    func refusing<T>(notFound text: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as SwiftletError where error.kind == .notFound {
            throw Refusal(.error(text), because: error.detail)
        }
    }

}

/// A documented refusal: the method answers `reply`, and the log says why.
struct Refusal: Error {
    let reply: APIv1Reply
    let reason: String?

    init(_ reply: APIv1Reply, because reason: String? = nil) {
        self.reply = reply
        self.reason = reason
    }
}
