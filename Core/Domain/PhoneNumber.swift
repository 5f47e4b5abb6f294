/// A recipient's telephone number: digits, optionally after a `+` (international).
///
/// Spaces, dashes, dots and parentheses that people type are removed; anything else is refused.
public struct PhoneNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number as normalised, e.g. `+46701234567` or `0701234567`.
    public let value: String

    public init?(_ text: String) {
        // Byte by byte: a group send checks 100,000 of these while its caller waits.
        var normalized: [UInt8] = []
        normalized.reserveCapacity(21)
        var digits = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                normalized.append(byte)
                digits += 1
            case UInt8(ascii: "+") where normalized.isEmpty:
                normalized.append(byte)
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "("), UInt8(ascii: ")"):
                continue
            default:
                return nil
            }
            guard digits <= 20 else { return nil }
        }
        guard digits >= 2 else { return nil }
        value = String(decoding: normalized, as: UTF8.self)
    }

    /// A number that was normalised before (read back from the store).
    public init(normalized value: String) { self.value = value }

    public var description: String { value }
}
