import Foundation
import Hummingbird
import Logging
import SwiftletDomain

/// Changing the phonebook through APIv2: a user creates, changes and deletes its own contacts and
/// groups (an admin: anyone's), with APIv1's permissions (`contact_create`, `group_update`, …).
extension APIv2 {
    func addPhonebookRoutes<Context: APIRequestContext>(to router: RouterGroup<Context>) {
        router.post(RouterPath("/phonebook/contacts")) { request, context in
            await handle(request, context, permission: "contact_create") { user in
                let body = try await JSONAPI.object(request)
                let id = try await phonebook.createContact(
                    name: try Self.name(body),
                    number: try Self.number(body),
                    visibility: Visibility(isPublic: try body.flag("public") ?? false, ownerID: user.id)
                )
                return (.created, Contact(try await ownContact(id, user: user)))
            }
        }
        router.put(RouterPath("/phonebook/contacts/:id")) { request, context in
            await handle(request, context, permission: "contact_update") { user in
                let contact = try await ownContact(try id(context), user: user)
                let body = try await JSONAPI.object(request)
                try await phonebook.updateContact(
                    id: contact.id,
                    name: try body.text("name").map { _ in try Self.name(body) } ?? contact.name,
                    number: try body.text("number").map { _ in try Self.number(body) }
                        ?? PhoneNumber(normalized: contact.number ?? ""),
                    isPublic: try body.flag("public"),
                    viewerID: user.phonebookViewer
                )
                return (.ok, Contact(try await ownContact(contact.id, user: user)))
            }
        }
        router.delete(RouterPath("/phonebook/contacts/:id")) { request, context in
            await handle(request, context, permission: "contact_delete") { user in
                let contact = try await ownContact(try id(context), user: user)
                try await phonebook.deleteContact(id: contact.id, name: contact.name, viewerID: user.phonebookViewer)
                return (.ok, Outcome(id: contact.id, status: "deleted"))
            }
        }
        router.post(RouterPath("/phonebook/groups")) { request, context in
            await handle(request, context, permission: "group_create") { user in
                let body = try await JSONAPI.object(request)
                let id = try await phonebook.createGroup(
                    name: try Self.name(body),
                    visibility: Visibility(isPublic: try body.flag("public") ?? false, ownerID: user.id)
                )
                return (.created, Group(try await ownGroup(id, user: user)))
            }
        }
        router.put(RouterPath("/phonebook/groups/:id")) { request, context in
            await handle(request, context, permission: "group_update") { user in
                let group = try await ownGroup(try id(context), user: user)
                let body = try await JSONAPI.object(request)
                try await phonebook.updateGroup(
                    id: group.id,
                    name: try body.text("name").map { _ in try Self.name(body) } ?? group.name,
                    isPublic: try body.flag("public"),
                    viewerID: user.phonebookViewer
                )
                return (.ok, Group(try await ownGroup(group.id, user: user)))
            }
        }
        router.delete(RouterPath("/phonebook/groups/:id")) { request, context in
            await handle(request, context, permission: "group_delete") { user in
                let group = try await ownGroup(try id(context), user: user)
                try await phonebook.deleteGroup(id: group.id, name: group.name, viewerID: user.phonebookViewer)
                return (.ok, Outcome(id: group.id, status: "deleted"))
            }
        }
        router.post(RouterPath("/phonebook/groups/:id/contacts")) { request, context in
            await handle(request, context, permission: "group_addcontact") { user in
                let group = try await ownGroup(try id(context), user: user)
                guard let contacts = try await JSONAPI.object(request).ids("contacts"), !contacts.isEmpty else {
                    throw JSONAPI.Failure.badRequest("contacts: required, a list of contact ids")
                }
                for contact in contacts {
                    guard (try? await ownContact(contact, user: user)) != nil else {
                        throw JSONAPI.Failure.badRequest("contacts: there is no contact \(contact)")
                    }
                }
                for contact in contacts {
                    try await phonebook.setMembership(
                        contactID: contact,
                        groupIDs: [group.id],
                        member: true,
                        viewerID: user.phonebookViewer
                    )
                }
                return try Self.list(
                    try await phonebook.members(ofGroup: group.id, Self.owned(by: user)).map(Contact.init)
                )
            }
        }
        router.delete(RouterPath("/phonebook/groups/:id/contacts/:contact_id")) { request, context in
            await handle(request, context, permission: "group_removecontact") { user in
                let group = try await ownGroup(try id(context), user: user)
                guard let text = context.parameters.get("contact_id"), let contactID = Int64(text),
                    try await phonebook.members(ofGroup: group.id, Self.owned(by: user)).contains(where: {
                        $0.id == contactID
                    })
                else { throw JSONAPI.Failure.notFound }
                try await phonebook.setMembership(
                    contactID: contactID,
                    groupIDs: [group.id],
                    member: false,
                    viewerID: user.phonebookViewer
                )
                return (.ok, Outcome(id: contactID, groupID: group.id, status: "removed"))
            }
        }
    }

    /// The user's contact `id` (an admin's: anyone's); 404 otherwise.
    func ownContact(_ id: Int64, user: APIUser) async throws -> PhonebookEntry {
        guard let entry = try await phonebook.contacts(Self.owned(by: user)).first(where: { $0.id == id }) else {
            throw JSONAPI.Failure.notFound
        }
        return entry
    }

    func ownGroup(_ id: Int64, user: APIUser) async throws -> PhonebookEntry {
        guard let entry = try await phonebook.groups(Self.owned(by: user)).first(where: { $0.id == id }) else {
            throw JSONAPI.Failure.notFound
        }
        return entry
    }

    static func name(_ body: JSONObject) throws -> String {
        guard let name = try body.text("name")?.trimmingCharacters(in: .whitespaces), !name.isEmpty,
            name.count <= 100, PhonebookEntry.isAcceptableName(name)
        else { throw JSONAPI.Failure.badRequest("name: required, 1 to 100 characters, no control characters") }
        return name
    }

    static func number(_ body: JSONObject) throws -> PhoneNumber {
        guard let text = try body.text("number"), let number = PhoneNumber(text) else {
            throw JSONAPI.Failure.badRequest("number: required, a telephone number")
        }
        return number
    }
}
