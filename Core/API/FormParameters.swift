import Hummingbird
import SMSCodec

/// Parameters of a query string or an `application/x-www-form-urlencoded` body, decoded as PHP does
/// (SMSEagle is PHP, and its clients rely on it): `+` is a space, `%XX` an octet, the last of
/// repeated names wins, and a malformed escape is kept as written. Values are UTF-8: one that is not
/// (raw or escaped octets of another charset) is listed in ``notUTF8``, and each API refuses the
/// request naming it, rather than sending a text with replacement characters.
public struct FormParameters: Sendable, Equatable {
    public private(set) var values: [String: String] = [:]
    /// The names whose values are not valid UTF-8, in the order given.
    public private(set) var notUTF8: [String] = []

    public init(_ values: [String: String] = [:]) { self.values = values }

    public init(encoded: String) { self.init(encodedOctets: Array(encoded.utf8)) }

    /// From the octets as received (a form body): raw octets that are not UTF-8 are noticed too.
    public init(encodedOctets encoded: [UInt8]) {
        for pair in encoded.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(decoding: Self.octets(parts[0]), as: UTF8.self)
            guard !name.isEmpty else { continue }
            let octets = parts.count > 1 ? Self.octets(parts[1]) : []
            if let value = String(validating: octets, as: UTF8.self) {
                values[name] = value
                notUTF8.removeAll { $0 == name }
            } else {
                values[name] = String(decoding: octets, as: UTF8.self)
                if !notUTF8.contains(name) { notUTF8.append(name) }
            }
        }
    }

    /// The answer's wording when ``notUTF8`` is not empty: which parameter, and what to send instead.
    public var notUTF8Problem: String? {
        notUTF8.first.map { "\($0) is not UTF-8 text (send UTF-8, percent-encoded)" }
    }

    public subscript(name: String) -> String? { values[name] }

    /// The query's parameters and, for a POST, the form body's over them (at most `maximumBodySize`
    /// octets). The body stays readable: it is collected into the request.
    public static func read(_ request: inout Request, maximumBodySize: Int) async throws -> FormParameters {
        var parameters = FormParameters(encoded: request.uri.query ?? "")
        if request.method == .post {
            let body = try await request.collectBody(upTo: maximumBodySize)
            parameters.merge(FormParameters(encodedOctets: Array(body.readableBytesView)))
        }
        return parameters
    }

    /// Adds `other`'s values, replacing those of the same name.
    public mutating func merge(_ other: FormParameters) {
        values.merge(other.values) { _, new in new }
        notUTF8 = notUTF8.filter { other.values[$0] == nil } + other.notUTF8
    }

    /// `text` with `+` and `%XX` decoded, as octets.
    static func octets(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var iterator = text
        while let byte = iterator.popFirst() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                if iterator.count >= 2, let high = Hex.digitValue(iterator[iterator.startIndex]),
                    let low = Hex.digitValue(iterator[iterator.startIndex + 1])
                {
                    bytes.append(high << 4 | low)
                    iterator = iterator.dropFirst(2)
                } else {
                    bytes.append(byte)
                }
            default:
                bytes.append(byte)
            }
        }
        return bytes
    }
}
