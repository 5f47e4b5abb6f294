import Foundation

/// The date formats of SMSEagle's APIv1, in the gateway's time zone.
public struct SMSEagleDate: Sendable {
    let timeZone: TimeZone

    public init(timeZone: TimeZone) { self.timeZone = timeZone }

    /// Parses `YYYYmmDDHHMM` (`date`) or `YYYYmmDDHHMMSS` (`datefrom`, `dateto`); nil if malformed.
    func parse(_ text: String, withSeconds: Bool) -> Date? {
        let expected = withSeconds ? 14 : 12
        guard text.count == expected, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let digits = Array(text)
        func field(_ start: Int, _ length: Int) -> Int { Int(String(digits[start..<(start + length)]))! }
        var components = DateComponents()
        components.year = field(0, 4)
        components.month = field(4, 2)
        components.day = field(6, 2)
        components.hour = field(8, 2)
        components.minute = field(10, 2)
        components.second = withSeconds ? field(12, 2) : 0
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        guard let date = calendar.date(from: components) else { return nil }
        // Reject dates the calendar had to adjust (e.g. 31 February).
        let back = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        guard back.year == components.year, back.month == components.month, back.day == components.day,
            back.hour == components.hour, back.minute == components.minute, back.second == components.second
        else { return nil }
        return date
    }

    /// APIv2's times: ISO 8601 with an offset (`2026-11-23T08:00:00Z`, `…+01:00`), or
    /// `YYYY-MM-DD HH:MM[:SS]` in the gateway's time zone; nil if malformed.
    public func parseAPIv2(_ text: String) -> Date? {
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        let digits = text.filter(\.isNumber)
        guard text.count == 16 || text.count == 19,
            text.allSatisfy({ $0.isASCII && ($0.isNumber || "- :".contains($0)) })
        else { return nil }
        return parse(digits, withSeconds: digits.count == 14)
    }

    /// `YYYY-MM-DD HH:MM:SS`, as SMSEagle lists message times.
    public func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute)):\(two(c.second))"
    }
}
