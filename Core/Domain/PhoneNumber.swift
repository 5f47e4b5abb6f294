/// A recipient's telephone number: digits, optionally after a `+` (international).
///
/// Spaces, dashes, dots and parentheses that people type are removed; anything else is refused.
public struct PhoneNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number as normalised, e.g. `+46701234567` or `0701234567`.
    public let value: String

    public init?(_ text: String) {
        var digits = text.filter { !" -.()".contains($0) }
        let international = digits.hasPrefix("+")
        if international { digits.removeFirst() }
        guard (2...20).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        value = (international ? "+" : "") + digits
    }

    /// A number that was normalised before (read back from the store).
    public init(normalized value: String) { self.value = value }

    public var description: String { value }
}
