import Foundation

/// How an outgoing message is to be sent.
public struct SendOptions: Sendable, Equatable {
    /// 0 (normal) to 9 (highest); higher goes first.
    public var priority: Int
    /// Force UCS-2 even when the text fits the GSM 7-bit alphabet.
    public var unicode: Bool
    /// Send as a class 0 ("flash") message.
    public var flash: Bool
    /// Send through this modem (1…N, as configured) and no other; nil lets the gateway choose.
    public var modemNumber: Int?
    /// How long the network keeps trying (`5m` … `4w`, `max`); nil for the network's default.
    public var validity: String?
    /// The caller's id for this message and recipient (up to 36 characters); a reply from the
    /// recipient's number carries it (`oid`).
    public var oid: String?
    /// Sent only within these hours of the day (`send_after`, `send_before`).
    public var window: DayWindow?

    public init(
        priority: Int = 0,
        unicode: Bool = false,
        flash: Bool = false,
        modemNumber: Int? = nil,
        validity: String? = nil,
        oid: String? = nil,
        window: DayWindow? = nil
    ) {
        self.priority = priority
        self.unicode = unicode
        self.flash = flash
        self.modemNumber = modemNumber
        self.validity = validity
        self.oid = oid
        self.window = window
    }
}

/// Hours of the day, in minutes after midnight in the gateway's time zone: from `after` (or
/// midnight) until `before` (or midnight); an `after` later than `before` runs over midnight.
public struct DayWindow: Sendable, Equatable {
    public var after: Int?
    public var before: Int?

    public init(after: Int?, before: Int?) {
        self.after = after
        self.before = before
    }

    /// `date` if it lies in the window, else the window's next start.
    public func next(from date: Date, calendar: Calendar) -> Date {
        let midnight = calendar.startOfDay(for: date)
        let minute = calendar.dateComponents([.minute], from: midnight, to: date).minute ?? 0
        let start = after ?? 0
        let end = before ?? 24 * 60
        let inside = start < end ? (start <= minute && minute < end) : (minute >= start || minute < end)
        if inside || start == end { return date }
        let day = minute < start ? midnight : calendar.date(byAdding: .day, value: 1, to: midnight) ?? midnight
        return calendar.date(byAdding: .minute, value: start, to: day) ?? date
    }
}
