import Foundation

/// A cron expression, as in crontab(5): `minute hour day-of-month month day-of-week`, each `*`, a
/// number, a range `a-b`, a step `*/n` or `a-b/n`, or a list of these; months and weekdays may be
/// named (`jan`, `mon`); weekday 0 and 7 are Sunday. When both day fields are restricted, a day
/// matching either counts (as in cron). `@hourly`, `@daily`, `@weekly`, `@monthly` and `@yearly`
/// are shorthands.
///
/// Times are wall-clock times in the calendar's time zone. Across daylight-saving changes: a time
/// that does not exist that night (02:30 when clocks jump from 02:00 to 03:00) fires once, an hour
/// later on the wall clock (the same moment the skipped time would have been in winter time); a
/// time that happens twice (clocks go back) fires once, the first time.
public struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    public let expression: String
    let minutes: [Int]
    let hours: [Int]
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    /// 0 Sunday … 6 Saturday.
    let weekdays: Set<Int>
    let dayOfMonthRestricted: Bool
    let weekdayRestricted: Bool

    public var description: String { expression }

    static let shorthands = [
        "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
        "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
    ]
    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let weekdayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// Throws ``RuleError`` saying which field is wrong and why.
    public init(_ expression: String) throws(RuleError) {
        let trimmed = expression.trimmingCharacters(in: .whitespaces)
        let expanded = Self.shorthands[trimmed.lowercased()] ?? trimmed
        let fields = expanded.split(whereSeparator: \.isWhitespace).map { $0.lowercased() }
        guard fields.count == 5 else {
            throw RuleError(
                "'\(expression)' is not a cron expression: it needs 5 fields (minute hour day-of-month month day-of-week), e.g. \"0 8 * * mon-fri\""
            )
        }
        self.expression = trimmed
        minutes = try Self.field(fields[0], "minute", 0...59, names: []).sorted()
        hours = try Self.field(fields[1], "hour", 0...23, names: []).sorted()
        daysOfMonth = try Self.field(fields[2], "day-of-month", 1...31, names: [])
        months = try Self.field(fields[3], "month", 1...12, names: Self.monthNames, firstName: 1)
        weekdays = Set(try Self.field(fields[4], "day-of-week", 0...7, names: Self.weekdayNames).map { $0 % 7 })
        dayOfMonthRestricted = fields[2] != "*"
        weekdayRestricted = fields[4] != "*"
    }

    static func field(
        _ text: String,
        _ name: String,
        _ range: ClosedRange<Int>,
        names: [String],
        firstName: Int = 0
    ) throws(RuleError) -> Set<Int> {
        func value(_ token: Substring) throws(RuleError) -> Int {
            if let number = Int(token), range.contains(number) { return number }
            if let index = names.firstIndex(of: String(token)) { return index + firstName }
            throw RuleError(
                "'\(token)' is not a valid \(name) (\(range.lowerBound)–\(range.upperBound)\(names.isEmpty ? "" : " or a name like \(names[1])"))"
            )
        }
        var result = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(pieces.count), !pieces[0].isEmpty else {
                throw RuleError("'\(part)' is not a \(name) field item")
            }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else {
                    throw RuleError("'\(pieces[1])' is not a step in the \(name) field")
                }
                step = parsed
            }
            let bounds: ClosedRange<Int>
            if pieces[0] == "*" {
                bounds = range
            } else if let dash = pieces[0].firstIndex(of: "-") {
                let low = try value(pieces[0][..<dash])
                let high = try value(pieces[0][pieces[0].index(after: dash)...])
                guard low <= high else { throw RuleError("'\(part)' is a backwards range in the \(name) field") }
                bounds = low...high
            } else {
                let single = try value(pieces[0])
                bounds = single...(pieces.count == 2 ? range.upperBound : single)
            }
            result.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return result
    }

    /// The first time strictly after `date` the schedule fires; nil if it never does (31 February).
    public func next(after date: Date, calendar: Calendar) -> Date? {
        let startDay = calendar.startOfDay(for: date)
        // Eight years cover every 29 February and every weekday/day-of-month combination.
        for offset in 0..<(366 * 8) {
            guard let day = calendar.date(byAdding: .day, value: offset, to: startDay) else { return nil }
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            guard let month = parts.month, months.contains(month), let dayOfMonth = parts.day,
                let weekday = parts.weekday.map({ $0 - 1 }), matches(dayOfMonth: dayOfMonth, weekday: weekday)
            else { continue }
            for hour in hours {
                for minute in minutes {
                    var components = DateComponents()
                    components.year = parts.year
                    components.month = month
                    components.day = dayOfMonth
                    components.hour = hour
                    components.minute = minute
                    guard let candidate = calendar.date(from: components) else { continue }
                    if candidate > date { return candidate }
                }
            }
        }
        return nil
    }

    func matches(dayOfMonth: Int, weekday: Int) -> Bool {
        switch (dayOfMonthRestricted, weekdayRestricted) {
        case (true, true): daysOfMonth.contains(dayOfMonth) || weekdays.contains(weekday)
        case (true, false): daysOfMonth.contains(dayOfMonth)
        case (false, true): weekdays.contains(weekday)
        case (false, false): true
        }
    }
}
