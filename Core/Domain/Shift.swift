import Foundation

/// On-duty hours of one day, in minutes after midnight. A `to` at or before `from` runs past
/// midnight into the next day (22:00–06:00); equal times are a whole day.
public struct DayHours: Sendable, Equatable {
    public var from: Int
    public var to: Int

    public init(from: Int, to: Int) {
        self.from = from
        self.to = to
    }

    /// `HH:MM` (as the API writes it) to `HH:MM`; nil unless both are times of day.
    public init?(from: String, to: String) {
        guard let start = Self.minutes(from), let end = Self.minutes(to) else { return nil }
        self.init(from: start, to: end)
    }

    /// Minutes after midnight of `HH:MM` (or `HH:MM:SS`, seconds ignored).
    public static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
            let hour = Int(parts[0]), let minute = Int(parts[1]), (0...23).contains(hour), (0...59).contains(minute)
        else { return nil }
        return hour * 60 + minute
    }

    public static func text(_ minutes: Int) -> String {
        (minutes / 60 < 10 ? "0" : "") + "\(minutes / 60):" + (minutes % 60 < 10 ? "0" : "") + "\(minutes % 60)"
    }
}

/// A weekly shift: who is on duty when (SMSEagle's phonebook shifts).
public struct Shift: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var enabled: Bool
    /// Monday first; nil where the shift has no hours that day.
    public var days: [DayHours?]
    public var ownerID: Int64?

    public static let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    public init(id: Int64, name: String, enabled: Bool, days: [DayHours?], ownerID: Int64? = nil) {
        precondition(days.count == 7, "a shift has seven days")
        self.id = id
        self.name = name
        self.enabled = enabled
        self.days = days
        self.ownerID = ownerID
    }

    /// The first moment at or after `date` when one of `shifts` (enabled ones only) is on duty, in
    /// `calendar`'s time zone; nil when none of them has any hours.
    public static func nextOnDuty(after date: Date, in shifts: [Shift], calendar: Calendar) -> Date? {
        let active = shifts.filter { $0.enabled && $0.days.contains { $0 != nil } }
        guard !active.isEmpty else { return nil }
        let today = calendar.startOfDay(for: date)
        var earliest: Date?
        // Yesterday's shift may run past midnight into today; a week ahead covers every weekday.
        for offset in -1...7 {
            guard let day = calendar.date(byAdding: .day, value: offset, to: today) else { continue }
            // Calendar weekday: 1 Sunday … 7 Saturday; ours: 0 Monday … 6 Sunday.
            let index = (calendar.component(.weekday, from: day) + 5) % 7
            for shift in active {
                guard let hours = shift.days[index],
                    let start = calendar.date(byAdding: .minute, value: hours.from, to: day),
                    let end = calendar.date(
                        byAdding: .minute,
                        value: hours.to > hours.from ? hours.to : hours.to + 24 * 60,
                        to: day
                    )
                else { continue }
                if start <= date && date < end { return date }
                if start > date, earliest.map({ start < $0 }) ?? true { earliest = start }
            }
        }
        return earliest
    }
}
