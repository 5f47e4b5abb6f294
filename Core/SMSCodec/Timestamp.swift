/// A service-centre time stamp (TP-SCTS, TS 23.040 9.2.3.11): local time plus the offset from UTC.
public struct SMSTimestamp: Hashable, Sendable {
    public var year, month, day, hour, minute, second: Int
    /// Offset of the local time from UTC, in minutes (a multiple of 15).
    public var utcOffsetMinutes: Int

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, utcOffsetMinutes: Int) {
        (self.year, self.month, self.day) = (year, month, day)
        (self.hour, self.minute, self.second) = (hour, minute, second)
        self.utcOffsetMinutes = utcOffsetMinutes
    }

    /// The UTC time `secondsSince1970`, written with offset zero.
    public init(secondsSince1970: Int64) {
        let days = Int(secondsSince1970.quotientRoundingDown(86_400))
        let secondsOfDay = Int(secondsSince1970 - Int64(days) * 86_400)
        let (y, m, d) = Self.civil(fromDays: days)
        self.init(
            year: y,
            month: m,
            day: d,
            hour: secondsOfDay / 3600,
            minute: secondsOfDay / 60 % 60,
            second: secondsOfDay % 60,
            utcOffsetMinutes: 0
        )
    }

    /// Seconds since 1970-01-01 UTC.
    public var secondsSince1970: Int64 {
        let days = Int64(Self.days(fromCivil: year, month, day))
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(utcOffsetMinutes * 60)
    }

    /// ISO 8601 with the offset, e.g. `2026-11-22T15:16:59+01:00`.
    public var iso8601: String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let offset = abs(utcOffsetMinutes)
        let sign = utcOffsetMinutes < 0 ? "-" : "+"
        return
            "\(year)-\(two(month))-\(two(day))T\(two(hour)):\(two(minute)):\(two(second))\(sign)\(two(offset / 60)):\(two(offset % 60))"
    }

    static func decode(_ octets: ArraySlice<UInt8>) throws(PDUError) -> SMSTimestamp {
        guard octets.count == 7 else { throw .truncated("time stamp") }
        let values = octets.map { Int($0 & 0x0F) * 10 + Int($0 >> 4) }
        let zone = octets.last!
        let quarters = Int(zone & 0x07) * 10 + Int(zone >> 4)
        // Two-digit years: 90–99 are 1990s (old phones' clocks), the rest 2000s, as Gammu reads them.
        let timestamp = SMSTimestamp(
            year: (values[0] >= 90 ? 1900 : 2000) + values[0],
            month: values[1],
            day: values[2],
            hour: values[3],
            minute: values[4],
            second: values[5],
            utcOffsetMinutes: (zone & 0x08 != 0 ? -15 : 15) * quarters
        )
        guard (1...12).contains(timestamp.month), (1...31).contains(timestamp.day), timestamp.hour < 24,
            timestamp.minute < 60, timestamp.second < 61
        else { throw .invalidField("time stamp", "\(Hex.encode(octets)) is not a date") }
        return timestamp
    }

    func encoded() -> [UInt8] {
        func swapped(_ value: Int) -> UInt8 { UInt8(value % 10) << 4 | UInt8(value / 10 % 10) }
        let quarters = abs(utcOffsetMinutes) / 15
        var zone = swapped(quarters)
        if utcOffsetMinutes < 0 { zone |= 0x08 }
        return [
            swapped(year % 100), swapped(month), swapped(day), swapped(hour), swapped(minute), swapped(second), zone,
        ]
    }

    // Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    fileprivate func quotientRoundingDown(_ divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && self < 0) ? quotient - 1 : quotient
    }
}
