import Foundation
import Hummingbird
import Logging
import SwiftletDomain
import SwiftletEvents

/// Shifts through APIv2: weekly on-duty hours, shared by every user as in APIv1, with APIv1's
/// permissions (`shift_read`, `shift_create`, …). A user puts its own contacts on a shift.
extension APIv2 {
    func addShiftRoutes<Context: APIRequestContext>(to router: RouterGroup<Context>) {
        router.get(RouterPath("/phonebook/shifts")) { request, context in
            await handle(request, context, permission: "shift_read") { _ in
                try Self.list(try await phonebook.shifts(id: nil, name: nil, enabled: nil).map(ShiftHours.init))
            }
        }
        router.post(RouterPath("/phonebook/shifts")) { request, context in
            await handle(request, context, permission: "shift_create") { user in
                let body = try await JSONAPI.object(request)
                let days = try Self.days(body)
                let id = try await phonebook.createShift(
                    Shift(
                        id: 0,
                        name: try Self.name(body),
                        enabled: try body.flag("enabled") ?? true,
                        days: (0..<7).map { days[$0] ?? nil },
                        ownerID: user.id
                    )
                )
                return (.created, ShiftHours(try await shift(id)))
            }
        }
        router.put(RouterPath("/phonebook/shifts/:id")) { request, context in
            await handle(request, context, permission: "shift_update") { _ in
                let current = try await shift(try id(context))
                let body = try await JSONAPI.object(request)
                try await phonebook.updateShift(
                    id: current.id,
                    name: try body.text("name").map { _ in try Self.name(body) } ?? current.name,
                    enabled: try body.flag("enabled"),
                    days: try Self.days(body)
                )
                return (.ok, ShiftHours(try await shift(current.id)))
            }
        }
        router.delete(RouterPath("/phonebook/shifts/:id")) { request, context in
            await handle(request, context, permission: "shift_delete") { _ in
                let current = try await shift(try id(context))
                try await phonebook.deleteShift(id: current.id)
                return (.ok, Outcome(id: current.id, status: "deleted"))
            }
        }
        router.post(RouterPath("/phonebook/shifts/:id/contacts")) { request, context in
            await handle(request, context, permission: "shift_addcontact") { user in
                let current = try await shift(try id(context))
                guard let contacts = try await JSONAPI.object(request).ids("contacts"), !contacts.isEmpty else {
                    throw JSONAPI.Failure.badRequest("contacts: required, a list of contact ids")
                }
                for contact in contacts where (try? await ownContact(contact, user: user)) == nil {
                    throw JSONAPI.Failure.badRequest("contacts: there is no contact \(contact)")
                }
                for contact in contacts {
                    try await phonebook.setShiftMembership(
                        contactID: contact,
                        shiftIDs: [current.id],
                        member: true,
                        viewerID: user.phonebookViewer
                    )
                }
                return (.ok, Outcome(id: current.id, contacts: contacts, status: "added"))
            }
        }
        router.delete(RouterPath("/phonebook/shifts/:id/contacts/:contact_id")) { request, context in
            await handle(request, context, permission: "shift_removecontact") { user in
                let current = try await shift(try id(context))
                guard let text = context.parameters.get("contact_id"), let contact = Int64(text),
                    (try? await ownContact(contact, user: user)) != nil,
                    try await phonebook.shifts(ofContacts: [contact])[contact]?.contains(where: { $0.id == current.id })
                        == true
                else { throw JSONAPI.Failure.notFound }
                try await phonebook.setShiftMembership(
                    contactID: contact,
                    shiftIDs: [current.id],
                    member: false,
                    viewerID: user.phonebookViewer
                )
                return (.ok, Outcome(id: contact, shiftID: current.id, status: "removed"))
            }
        }
    }

    func shift(_ id: Int64) async throws -> Shift {
        guard let shift = try await phonebook.shifts(id: id, name: nil, enabled: nil).first else {
            throw JSONAPI.Failure.notFound
        }
        return shift
    }

    /// `days`: `{"mon": {"from": "08:00", "to": "16:00"}, "sat": null, …}`; a day given as null has
    /// no hours, a day left out is left as it is. By day number, Monday 0.
    static func days(_ body: JSONObject) throws -> [Int: DayHours?] {
        guard let value = body.value("days") else { return [:] }
        guard case .object(let fields) = value else {
            throw JSONAPI.Failure.badRequest("days: an object of mon … sun, each {from, to} or null")
        }
        var days: [Int: DayHours?] = [:]
        for (name, hours) in fields {
            guard let index = Shift.dayNames.firstIndex(of: name) else {
                throw JSONAPI.Failure.badRequest("days: '\(name)' is not mon, tue, wed, thu, fri, sat or sun")
            }
            switch hours {
            case .null:
                days[index] = .some(nil)
            case .object(let times):
                guard case .string(let from)? = times["from"], case .string(let to)? = times["to"],
                    let parsed = DayHours(from: from, to: to)
                else { throw JSONAPI.Failure.badRequest("days.\(name): {\"from\": \"HH:MM\", \"to\": \"HH:MM\"}") }
                days[index] = parsed
            default:
                throw JSONAPI.Failure.badRequest("days.\(name): {\"from\": \"HH:MM\", \"to\": \"HH:MM\"} or null")
            }
        }
        return days
    }

}
