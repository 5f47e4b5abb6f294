import SMSCodec

/// Parameters of a query string or an `application/x-www-form-urlencoded` body, decoded as PHP does
/// (SMSEagle is PHP, and its clients rely on it): `+` is a space, `%XX` an octet, the last of
/// repeated names wins, and a malformed escape is kept as written.
public struct FormParameters: Sendable, Equatable {
    public private(set) var values: [String: String] = [:]

    public init(_ values: [String: String] = [:]) { self.values = values }

    public init(encoded: String) {
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            guard !name.isEmpty else { continue }
            values[name] = parts.count > 1 ? Self.decode(parts[1]) : ""
        }
    }

    public subscript(name: String) -> String? { values[name] }

    /// Adds `other`'s values, replacing those of the same name.
    public mutating func merge(_ other: FormParameters) {
        values.merge(other.values) { _, new in new }
    }

    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
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
        return String(decoding: bytes, as: UTF8.self)
    }
}
