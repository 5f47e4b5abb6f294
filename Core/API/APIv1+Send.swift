import Foundation
import Logging
import SwiftletDomain
import SwiftletEvents

extension APIv1 {
    /// `send_sms`: one message per comma-separated recipient in `to`.
    func sendSMS(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        guard let to = parameters["to"] else { throw SwiftletError.invalidParameter("to", "missing") }
        return try await send(to: to.split(separator: ",").map { Self.number(String($0)) }, parameters, user: user)
    }

    /// `send_binary_sms`: an 8-bit message (`data`, hex) with an optional header (`udh`, hex with its
    /// length octet first) and class, to each recipient in `to`.
    func sendBinarySMS(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        guard let to = parameters["to"], !to.isEmpty else { throw SwiftletError.invalidParameter("to", "missing") }
        guard let data = parameters["data"], !data.isEmpty else { throw Refusal(.error(Self.wrongOrMissing("data"))) }
        do {
            return .queued(
                try await outbox.sendBinary(
                    to: to.split(separator: ",").map { Self.number(String($0)) },
                    data: data,
                    udh: parameters["udh"],
                    messageClass: try integer(parameters, "class", in: 0...3),
                    modemNumber: try integer(parameters, "modem_no", in: 1...Int.max),
                    dryRun: try flag(parameters, "test"),
                    createdBy: user.name
                )
            )
        } catch let error as SwiftletError where error.kind == .invalidParameter && error.detail.hasPrefix("udh") {
            throw Refusal(.error(Self.wrongOrMissing("udh")), because: error.detail)
        } catch let error as SwiftletError where error.kind == .invalidParameter && error.detail.hasPrefix("data") {
            throw Refusal(.error(Self.wrongOrMissing("data")), because: error.detail)
        }
    }

    /// `send_togroup`: one message to each member of a public group.
    func sendToGroup(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        guard let name = parameters["groupname"], !name.isEmpty else {
            throw SwiftletError.invalidParameter("groupname", "missing")
        }
        return try await send(to: RecipientList(groups: [.name(name)]), parameters, user: user)
    }

    /// `send_tocontact`: one message to each public contact named in `contactname` (comma-separated).
    func sendToContact(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        guard let names = parameters["contactname"], !names.isEmpty else {
            throw SwiftletError.invalidParameter("contactname", "missing")
        }
        let contacts = names.split(separator: ",").map {
            PhonebookReference.name($0.trimmingCharacters(in: .whitespaces))
        }
        return try await send(to: RecipientList(contacts: contacts), parameters, user: user)
    }

    /// Sends to public phonebook entries, as the recipient policy decides (vacations, shifts).
    func send(to list: RecipientList, _ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        let delivery: ContactDelivery
        do {
            delivery = try await recipients.resolve(
                list,
                scope: .publicEntries,
                start: try scheduledAt(parameters) ?? Date()
            )
        } catch let unknown as UnknownRecipient {
            switch (unknown.kind, unknown.reference) {
            case (.group, .name(let name)):
                throw SwiftletError.invalidParameter("groupname", "there is no public group '\(name)'")
            case (_, .name(let name)):
                throw SwiftletError.invalidParameter("contactname", "there is no public contact '\(name)'")
            default: throw SwiftletError.invalidParameter("recipients", unknown.description)
            }
        }
        if case .name(let name)? = delivery.emptyGroups.first {
            throw SwiftletError.invalidParameter("groupname", "group '\(name)' has no members")
        }
        for note in delivery.notes {
            logger.info("APIv1: recipient policy", metadata: ["contact": "\(note.contact)", "policy": "\(note.text)"])
        }
        guard !delivery.numbers.isEmpty else {
            throw SwiftletError.invalidParameter("recipients", "every contact is on vacation or has no shift hours")
        }
        return try await send(to: delivery.numbers, parameters, user: user, heldUntil: delivery.heldUntil)
    }

    /// MMS attachments as JSON-RPC clients send them: `[{"content_type": "image/png", "content":
    /// "<base64>"}, …]` (the reference's sample writes `"content "` with a space; names are trimmed).
    static func attachments(_ json: String?) throws -> [Attachment] {
        guard let json, case .array(let list)? = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) else {
            throw SwiftletError.invalidParameter("attachments", "not a list of {content_type, content}")
        }
        return try list.map { item in
            guard case .object(let object) = item else {
                throw SwiftletError.invalidParameter("attachments", "each needs content_type and base64 content")
            }
            let fields = Dictionary(
                object.map { ($0.key.trimmingCharacters(in: .whitespaces), $0.value) },
                uniquingKeysWith: { first, _ in first }
            )
            guard case .string(let type)? = fields["content_type"], case .string(let content)? = fields["content"],
                let data = Data(base64Encoded: content, options: .ignoreUnknownCharacters)
            else { throw SwiftletError.invalidParameter("attachments", "each needs content_type and base64 content") }
            return Attachment(contentType: type, content: [UInt8](data))
        }
    }

    /// `HH:MM:SS` (or `HH:MM`) as minutes after midnight.
    func timeOfDay(_ parameters: FormParameters, _ name: String) throws -> Int? {
        guard let text = parameters[name], !text.isEmpty else { return nil }
        guard let minutes = DayHours.minutes(text) else {
            throw SwiftletError.invalidParameter(name, "'\(text)' is not HH:MM:SS")
        }
        return minutes
    }

    func scheduledAt(_ parameters: FormParameters) throws -> Date? {
        guard let date = parameters["date"], !date.isEmpty else { return nil }
        guard let parsed = dates.parse(date, withSeconds: false) else {
            throw SwiftletError.invalidParameter("date", "'\(date)' is not YYYYmmDDHHMM")
        }
        return parsed
    }

    /// Queues `message` to `recipients` with the send options of `parameters`.
    func send(
        to recipients: [String],
        _ parameters: FormParameters,
        user: APIUser,
        heldUntil: [Int: Date] = [:]
    ) async throws -> APIv1Reply {
        guard let message = parameters["message"] else { throw SwiftletError.invalidParameter("message", "missing") }
        var options = SendOptions()
        options.priority = try integer(parameters, "highpriority", in: 0...9) ?? 0
        options.unicode = try flag(parameters, "unicode")
        options.flash = try flag(parameters, "flash")
        options.modemNumber = try integer(parameters, "modem_no", in: 1...Int.max)
        options.validity = parameters["validity"].flatMap { $0.isEmpty ? nil : $0 }
        options.oid = parameters["oid"].flatMap { $0.isEmpty ? nil : $0 }
        let after = try timeOfDay(parameters, "send_after")
        let before = try timeOfDay(parameters, "send_before")
        if after != nil || before != nil { options.window = DayWindow(after: after, before: before) }
        var request = SendRequest(
            recipients: recipients,
            text: message,
            options: options,
            scheduledAt: try scheduledAt(parameters),
            dryRun: try flag(parameters, "test"),
            createdBy: user.name
        )
        request.heldUntil = heldUntil
        switch parameters["message_type"] {
        case nil, "", "sms": break
        case "mms":
            request.payload = .mms(text: message)
            request.attachments = try Self.attachments(parameters["attachments"])
        case let other?: throw SwiftletError.invalidParameter("message_type", "'\(other)' is not sms or mms")
        }
        return .queued(try await outbox.send(request))
    }

}
