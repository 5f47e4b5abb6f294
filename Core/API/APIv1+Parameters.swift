import Foundation
import SwiftletDomain

/// Reading APIv1's parameters, each refused with the text the reference documents for it (mostly
/// `Wrong or missing >>name<< parameter`; the send methods' `Wrong parameters`).
extension APIv1 {
    /// A non-empty value, else the documented `Wrong or missing >>name<< parameter`.
    func required(_ parameters: FormParameters, _ name: String) throws -> String {
        guard let value = parameters[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty,
            value.count <= 255, PhonebookEntry.isAcceptableName(value)
        else { throw Refusal(.error(Self.wrongOrMissing(name))) }
        return value
    }

    func identifier(_ parameters: FormParameters, _ name: String) throws -> Int64 {
        guard let id = parameters[name].flatMap({ Int64($0) }), id > 0 else {
            throw Refusal(.error(Self.wrongOrMissing(name)))
        }
        return id
    }

    func phoneNumber(_ parameters: FormParameters, _ name: String) throws -> PhoneNumber {
        guard let number = parameters[name].flatMap({ PhoneNumber(Self.number($0)) }) else {
            throw Refusal(.error(Self.wrongOrMissing(name)))
        }
        return number
    }

    func flag(_ parameters: FormParameters, _ name: String, default value: Bool, else text: String) throws -> Bool {
        try optionalFlag(parameters, name, else: text) ?? value
    }

    func optionalFlag(_ parameters: FormParameters, _ name: String, else text: String) throws -> Bool? {
        switch parameters[name] {
        case nil, "": nil
        case "0": false
        case "1": true
        default: throw Refusal(.error(text))
        }
    }

    /// A comma-separated list of ids, else `Wrong or missing >>name<< parameter`.
    func identifiers(_ parameters: FormParameters, _ name: String) throws -> [Int64] {
        let ids = try (parameters[name] ?? "").split(separator: ",").map { text in
            guard let id = Int64(text.trimmingCharacters(in: .whitespaces)), id > 0 else {
                throw Refusal(.error(Self.wrongOrMissing(name)))
            }
            return id
        }
        guard !ids.isEmpty else { throw Refusal(.error(Self.wrongOrMissing(name))) }
        return ids
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
