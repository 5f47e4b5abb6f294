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

    /// The one rule for whether two numbers, as people and networks write them, reach the same
    /// subscriber: their digits are equal, or both have at least eight digits and the last eight
    /// agree. The network writes numbers internationally (`+46701234567`) where a person may have
    /// written them nationally (`0701234567`); eight digits, because Norway and Denmark write their
    /// whole national numbers in eight, without a trunk prefix. Anything but digits is ignored; a
    /// text without digits matches nothing.
    ///
    /// Used where a number that came back from outside is matched to one we hold: a delivery report
    /// to its message, an SMS reply to the people an escalation alerted, a sender to a group.
    public static func sameSubscriber(_ a: String, _ b: String) -> Bool {
        let x = a.utf8.filter { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        let y = b.utf8.filter { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        guard !x.isEmpty, !y.isEmpty else { return false }
        if x == y { return true }
        return x.count >= 8 && y.count >= 8 && x.suffix(8).elementsEqual(y.suffix(8))
    }
}
