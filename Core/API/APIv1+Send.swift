import Foundation
import SwiftletDomain

extension APIv1 {
    /// `send_sms`: one message per comma-separated recipient in `to`.
    func sendSMS(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        guard let to = parameters["to"] else { throw SwiftletError.invalidParameter("to", "missing") }
        return try await send(to: to.split(separator: ",").map { Self.number(String($0)) }, parameters, user: user)
    }

    /// `send_togroup`: one message to each member of a public group.
    func sendToGroup(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        guard let name = parameters["groupname"], !name.isEmpty else {
            throw SwiftletError.invalidParameter("groupname", "missing")
        }
        guard let members = try await phonebook.membersOfPublicGroup(named: name) else {
            throw SwiftletError.invalidParameter("groupname", "there is no public group '\(name)'")
        }
        guard !members.isEmpty else {
            throw SwiftletError.invalidParameter("groupname", "group '\(name)' has no members")
        }
        return try await send(to: members.compactMap(\.number), parameters, user: user)
    }

    /// `send_tocontact`: one message to each public contact named in `contactname` (comma-separated).
    func sendToContact(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        guard let names = parameters["contactname"], !names.isEmpty else {
            throw SwiftletError.invalidParameter("contactname", "missing")
        }
        var numbers: [String] = []
        for name in names.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let contacts = try await phonebook.publicContacts(named: name)
            guard !contacts.isEmpty else {
                throw SwiftletError.invalidParameter("contactname", "there is no public contact '\(name)'")
            }
            numbers += contacts.compactMap(\.number)
        }
        return try await send(to: numbers, parameters, user: user)
    }

    /// Queues `message` to `recipients` with the send options of `parameters`.
    func send(to recipients: [String], _ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        guard let message = parameters["message"] else { throw SwiftletError.invalidParameter("message", "missing") }
        var options = SendOptions()
        options.priority = try integer(parameters, "highpriority", in: 0...9) ?? 0
        options.unicode = try flag(parameters, "unicode")
        options.flash = try flag(parameters, "flash")
        options.modemNumber = try integer(parameters, "modem_no", in: 1...Int.max)
        var scheduledAt: Date?
        if let date = parameters["date"], !date.isEmpty {
            guard let parsed = dates.parse(date, withSeconds: false) else {
                throw SwiftletError.invalidParameter("date", "'\(date)' is not YYYYmmDDHHMM")
            }
            scheduledAt = parsed
        }
        let request = SendRequest(
            recipients: recipients,
            text: message,
            options: options,
            scheduledAt: scheduledAt,
            dryRun: try flag(parameters, "test"),
            createdBy: user.name
        )
        return .queued(try await outbox.send(request))
    }

    /// A number as PHP hands it over: an unencoded `+` arrives as a space, which is put back.
    static func number(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix(" "), trimmed.first?.isNumber == true { return "+" + trimmed }
        return trimmed
    }

    func flag(_ parameters: FormParameters, _ name: String) throws -> Bool {
        switch parameters[name] {
        case nil, "", "0": false
        case "1": true
        case let value?: throw SwiftletError.invalidParameter(name, "'\(value)' is not 0 or 1")
        }
    }

    func integer(_ parameters: FormParameters, _ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = parameters[name], !text.isEmpty else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw SwiftletError.invalidParameter(name, "'\(text)' is not a number in \(range)")
        }
        return value
    }
}
