import Foundation
import SwiftletDomain

extension APIv1 {
    /// `send_sms`: one message per comma-separated recipient in `to`.
    func sendSMS(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        guard let to = parameters["to"], let message = parameters["message"] else {
            throw SwiftletError.invalidParameter("to/message", "missing")
        }
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
            recipients: to.split(separator: ",").map { Self.number(String($0)) },
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
