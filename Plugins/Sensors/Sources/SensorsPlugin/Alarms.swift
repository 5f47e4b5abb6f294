import Foundation

/// One alarm on one sensor: a value above `above` or below `below` for at least `duration` fires it;
/// while the deviation lasts a reminder follows every `remindEvery`; it recovers once the value is
/// back inside by `hysteresis` (so a value wavering at the threshold does not fire again and again).
/// A sensor without a good reading for `staleAfter` is an alarm of its own kind. Pure: the plugin
/// feeds it readings and the time.
struct AlarmTracker: Sendable {
    enum Direction: String, Sendable, Codable { case above, below }

    enum Notice: Sendable, Equatable {
        /// The deviation lasted `duration`: the alarm.
        case alarm(Direction, value: Double, threshold: Double)
        /// Still deviating, `remindEvery` after the last notice.
        case reminder(Direction, value: Double, threshold: Double, since: Date)
        /// Back inside by the hysteresis.
        case recovered(Direction, value: Double, threshold: Double, since: Date)
        /// No good reading for `staleAfter`.
        case noReading(reason: String, since: Date)
        /// Readings again after `noReading`.
        case readingAgain(value: Double)
    }

    enum State: Sendable, Equatable {
        case normal
        case pending(Direction, since: Date)
        case alarm(Direction, since: Date, lastNotice: Date)
    }

    var above: Double?
    var below: Double?
    var hysteresis: Double = 0
    var duration: TimeInterval = 0
    var remindEvery: TimeInterval?
    var staleAfter: TimeInterval?

    private(set) var state: State = .normal
    private(set) var lastGood: Date?
    private(set) var stale: (since: Date, reason: String)?
    private var started: Date?

    init(
        above: Double?,
        below: Double?,
        hysteresis: Double,
        duration: TimeInterval,
        remindEvery: TimeInterval?,
        staleAfter: TimeInterval?
    ) {
        self.above = above
        self.below = below
        self.hysteresis = hysteresis
        self.duration = duration
        self.remindEvery = remindEvery
        self.staleAfter = staleAfter
    }

    func threshold(_ direction: Direction) -> Double { (direction == .above ? above : below) ?? 0 }

    /// A good reading at `now`.
    mutating func reading(_ value: Double, at now: Date) -> [Notice] {
        var notices: [Notice] = []
        lastGood = now
        if stale != nil {
            stale = nil
            notices.append(.readingAgain(value: value))
        }
        switch state {
        case .normal:
            guard let direction = deviation(value) else { break }
            if duration <= 0 {
                state = .alarm(direction, since: now, lastNotice: now)
                notices.append(.alarm(direction, value: value, threshold: threshold(direction)))
            } else {
                state = .pending(direction, since: now)
            }
        case .pending(let direction, let since):
            guard deviation(value) == direction else {
                state = deviation(value).map { .pending($0, since: now) } ?? .normal
                break
            }
            if now.timeIntervalSince(since) >= duration {
                state = .alarm(direction, since: since, lastNotice: now)
                notices.append(.alarm(direction, value: value, threshold: threshold(direction)))
            }
        case .alarm(let direction, let since, let lastNotice):
            if recovered(value, from: direction) {
                state = .normal
                notices.append(.recovered(direction, value: value, threshold: threshold(direction), since: since))
            } else if let remindEvery, now.timeIntervalSince(lastNotice) >= remindEvery {
                state = .alarm(direction, since: since, lastNotice: now)
                notices.append(.reminder(direction, value: value, threshold: threshold(direction), since: since))
            }
        }
        return notices
    }

    /// No good reading at `now` (`reason` from the sensor): an alarm once it lasts `staleAfter`.
    mutating func noReading(_ reason: String, at now: Date) -> [Notice] {
        if started == nil { started = now }
        guard let staleAfter, stale == nil else { return [] }
        let since = lastGood ?? started ?? now
        guard now.timeIntervalSince(since) >= staleAfter else { return [] }
        stale = (since, reason)
        return [.noReading(reason: reason, since: since)]
    }

    /// The side the value is on, if it is outside.
    private func deviation(_ value: Double) -> Direction? {
        if let above, value > above { return .above }
        if let below, value < below { return .below }
        return nil
    }

    private func recovered(_ value: Double, from direction: Direction) -> Bool {
        switch direction {
        case .above: value <= threshold(.above) - hysteresis
        case .below: value >= threshold(.below) + hysteresis
        }
    }
}

/// A digital input's level, accepted only once it has been steady for `interval` (contacts bounce).
struct Debouncer: Sendable {
    var interval: TimeInterval
    private(set) var accepted: Bool?
    private var candidate: (level: Bool, since: Date)?

    init(interval: TimeInterval) { self.interval = interval }

    /// The level read at `now`; the new accepted level when it changed.
    mutating func feed(_ level: Bool, at now: Date) -> Bool? {
        if accepted == nil, interval <= 0 {
            accepted = level
            return level
        }
        guard level != accepted else {
            candidate = nil
            return nil
        }
        if let candidate, candidate.level == level {
            guard now.timeIntervalSince(candidate.since) >= interval else { return nil }
            accepted = level
            self.candidate = nil
            return level
        }
        candidate = (level, now)
        if interval <= 0 {
            accepted = level
            candidate = nil
            return level
        }
        return nil
    }
}
