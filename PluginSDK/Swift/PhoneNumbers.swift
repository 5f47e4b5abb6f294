import Foundation

/// Telephone numbers as people write them in mail addresses, subjects and directories, made into
/// the form the gateway sends to.
public enum PhoneNumbers {
    /// `+46701234567`, `0046701234567`, `46701234567`, `070-123 45 67` (national: the country code
    /// is put first), `+44 (0)20 7946 0000` (the trunk prefix in parentheses dropped), or a short
    /// code (up to 6 digits) as it is. Nil if it is not a number.
    public static func normalise(_ text: String, countryCode: String?) -> String? {
        var text = text.trimmingCharacters(in: .whitespaces)
        let plus = text.hasPrefix("+")
        if plus { text.removeFirst() }
        if plus || text.hasPrefix("00") { text = text.replacingOccurrences(of: "(0)", with: "") }
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || " -./()".contains($0)) }) else {
            return nil
        }
        let digits = text.filter(\.isNumber)
        guard (3...17).contains(digits.count) else { return nil }
        if plus { return "+" + digits }
        if digits.hasPrefix("00") { return "+" + digits.dropFirst(2) }
        if digits.count <= 6 { return digits }
        if digits.hasPrefix("0") {
            guard let countryCode else { return digits }
            return "+" + countryCode + digits.dropFirst()
        }
        return "+" + digits
    }
}
