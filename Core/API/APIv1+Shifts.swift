import Foundation
import SwiftletDomain

/// Shifts (weekly on-duty hours of contacts) and vacation mode: `send_togroup` and `send_tocontact`
/// hold a message for a contact until its shift is on duty, and skip contacts on vacation.
extension APIv1 {
    func shiftCreate(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        let name = try required(parameters, "name")
        let enabled = try flag(parameters, "enabled", default: true, else: Self.wrongOrMissing("enabled"))
        let days = try dayHours(parameters)
        let shift = Shift(
            id: 0,
            name: name,
            enabled: enabled,
            days: (0..<7).map { days[$0] ?? nil },
            ownerID: user.id
        )
        return .created(element: "shift_id", id: try await phonebook.createShift(shift))
    }

    func shiftRead(_ parameters: FormParameters) async throws -> APIv1Reply {
        var id: Int64?
        if let text = parameters["shift_id"], !text.isEmpty {
            guard let value = Int64(text) else { throw Refusal(.error("Wrong >>shift_id<< parameter")) }
            id = value
        }
        let name = parameters["name"].flatMap { $0.isEmpty ? nil : $0 }
        let enabled = try optionalFlag(parameters, "enabled", else: "Wrong >>enabled<< parameter")
        let rows = try await phonebook.shifts(id: id, name: name, enabled: enabled).map { shift in
            var row = [("id_shift", "\(shift.id)"), ("name", shift.name)]
            for (index, day) in Shift.dayNames.enumerated() {
                let hours = shift.days[index]
                row += [
                    ("\(day)_from", hours.map { DayHours.text($0.from) } ?? ""),
                    ("\(day)_to", hours.map { DayHours.text($0.to) } ?? ""),
                ]
            }
            return row + [("enabled", shift.enabled ? "true" : "false")]
        }
        return rows.isEmpty ? .noData : .rows(rows, container: "shifts", item: "shift")
    }

    func shiftUpdate(_ parameters: FormParameters) async throws -> APIv1Reply {
        let id = try identifier(parameters, "shift_id")
        let name = try required(parameters, "name")
        let enabled = try optionalFlag(parameters, "enabled", else: Self.wrongOrMissing("enabled"))
        let days = try dayHours(parameters)
        try await refusing(notFound: "Shift with the given id does not exists") {
            try await phonebook.updateShift(id: id, name: name, enabled: enabled, days: days)
        }
        return .ok
    }

    func shiftDelete(_ parameters: FormParameters) async throws -> APIv1Reply {
        let id = try identifier(parameters, "shift_id")
        try await refusing(notFound: "Shift with the given id does not exist") {
            try await phonebook.deleteShift(id: id)
        }
        return .ok
    }

    func setVacationMode(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        let id = try identifier(parameters, "contact_id")
        let name = try required(parameters, "contactname")
        guard let status = parameters["status"], status == "enabled" || status == "disabled" else {
            return .wrongParameters
        }
        try await refusing(notFound: "Contact with the given id and name does not exists") {
            try await phonebook.setVacation(
                contactID: id,
                name: name,
                enabled: status == "enabled",
                viewerID: user.phonebookViewer
            )
        }
        return .ok
    }

    func vacationMode(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        let id = try identifier(parameters, "contact_id")
        let name = try required(parameters, "contactname")
        let enabled = try await refusing(notFound: "Contact with the given id and name does not exists") {
            try await phonebook.vacation(contactID: id, name: name, viewerID: user.phonebookViewer)
        }
        return .value(element: "vacation_mode", enabled ? "enabled" : "disabled")
    }

    /// The `mon_from`…`sun_to` given, by day (Monday = 0): hours, or nil where both are empty.
    /// A day with only one of the two, or a time that is not `HH:MM`, is refused.
    func dayHours(_ parameters: FormParameters) throws -> [Int: DayHours?] {
        var days: [Int: DayHours?] = [:]
        for (index, day) in Shift.dayNames.enumerated() {
            let from = parameters["\(day)_from"]
            let to = parameters["\(day)_to"]
            guard from != nil || to != nil else { continue }
            if (from ?? "").isEmpty && (to ?? "").isEmpty {
                days[index] = .some(nil)
                continue
            }
            guard let from, DayHours.minutes(from) != nil else {
                throw Refusal(.error(Self.wrongOrMissing("\(day)_from")))
            }
            guard let to, let hours = DayHours(from: from, to: to) else {
                throw Refusal(.error(Self.wrongOrMissing("\(day)_to")))
            }
            days[index] = hours
        }
        return days
    }

}
