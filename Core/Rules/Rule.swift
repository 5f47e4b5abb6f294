import Foundation
import SwiftletSupport

/// A rule: when `trigger` happens and every condition holds, take the actions.
public struct Rule: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var enabled: Bool
    public var trigger: Trigger
    /// All must hold.
    public var conditions: [Condition]
    public var actions: [Action]
    /// At most one firing per `limit.period` (per key, e.g. per sender).
    public var limit: Limit?
    /// Outside these hours' reach (inside them), non-urgent messages are held or skipped.
    public var quietHours: QuietHours?
    /// Urgent rules ignore quiet hours.
    public var urgent: Bool
    /// The rule as written (YAML or JSON), for listing it back.
    public var definition: String

    /// The kinds (core or plugin) the rule needs: its trigger's and its actions'.
    public var pluginKinds: [String] {
        var kinds: [String] = []
        if case .event(let kind) = trigger, !Trigger.coreKinds.contains(kind) { kinds.append(kind) }
        for action in actions { if case .plugin(let kind, _) = action.kind { kinds.append(kind) } }
        return kinds
    }
}

public enum Trigger: Sendable, Equatable {
    /// An event of the bus: `sms.incoming`, `sms.status`, `modem.status`, `call.incoming`, `call.ended`,
    /// or a plugin's kind.
    case event(String)
    /// A cron-like schedule in the gateway's time zone.
    case schedule(CronSchedule)
    /// Once, at this time.
    case once(Date)
    /// `POST /swiftlet/v1/rules/{name}/fire`.
    case api

    public static let coreKinds: Set<String> = [
        "sms.incoming", "sms.status", "modem.status", "call.incoming", "call.ended",
    ]

    /// The fields an event of this trigger carries (what conditions and templates may name); nil
    /// when they are not known in advance (API calls and plugin kinds carry what their caller sends).
    public var fields: Set<String>? {
        let common: Set<String> = ["rule", "now"]
        switch self {
        case .event("sms.incoming"):
            return common.union(["id", "from", "sender", "text", "sent_at", "received_at", "modem", "unicode"])
        case .event("sms.status"): return common.union(["id", "to", "status", "at", "modem", "error"])
        case .event("modem.status"): return common.union(["modem", "modem_no", "state", "detail"])
        case .event("call.incoming"): return common.union(["from", "sender", "modem", "at"])
        case .event("call.ended"): return common.union(["id", "to", "result", "duration", "digits", "provider", "at"])
        case .schedule, .once: return common.union(["scheduled_for"])
        case .event, .api: return nil
        }
    }

    public var kind: String {
        switch self {
        case .event(let kind): kind
        case .schedule: "schedule"
        case .once: "at"
        case .api: "api"
        }
    }
}

/// A test of the event (or of the time it happened).
public indirect enum Condition: Sendable, Equatable {
    case field(String, FieldTest)
    /// The sender's number belongs to a contact in this phonebook group.
    case senderInGroup(String)
    case time(TimeWindow)
    case not(Condition)
    case all([Condition])
    case any([Condition])

    public enum FieldTest: Sendable, Equatable {
        case equals(String, ignoreCase: Bool)
        case contains(String, ignoreCase: Bool)
        case startsWith(String, ignoreCase: Bool)
        case matches(BoundedRegex)
        /// Numeric: holds while the value is above (or below) `threshold`; with a re-arm level it
        /// holds once when crossing, then not again until the value has gone back past `rearm`.
        case above(Double, rearm: Double?, per: String?)
        case below(Double, rearm: Double?, per: String?)
    }

    /// How the history and the log name it.
    public var description: String {
        switch self {
        case .field(let name, let test):
            switch test {
            case .equals(let value, _): return "\(name) equals '\(value)'"
            case .contains(let value, _): return "\(name) contains '\(value)'"
            case .startsWith(let value, _): return "\(name) starts with '\(value)'"
            case .matches(let regex): return "\(name) matches /\(regex.pattern)/"
            case .above(let threshold, let rearm, _):
                return "\(name) above \(Self.number(threshold))"
                    + (rearm.map { " (re-armed below \(Self.number($0)))" } ?? "")
            case .below(let threshold, let rearm, _):
                return "\(name) below \(Self.number(threshold))"
                    + (rearm.map { " (re-armed above \(Self.number($0)))" } ?? "")
            }
        case .senderInGroup(let group): return "sender in group '\(group)'"
        case .time(let window): return "time \(window)"
        case .not(let condition): return "not (\(condition.description))"
        case .all(let conditions): return "all of (" + conditions.map(\.description).joined(separator: "; ") + ")"
        case .any(let conditions): return "any of (" + conditions.map(\.description).joined(separator: "; ") + ")"
        }
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

/// Who a message goes to. Numbers as given; contacts and groups by phonebook name; `shift` the
/// members of the phonebook shift of that name, when it is on duty (else held until it is).
public struct Recipients: Sendable, Equatable, Codable {
    public var numbers: [String] = []
    public var contacts: [String] = []
    public var groups: [String] = []
    public var shift: String?

    public init(numbers: [String] = [], contacts: [String] = [], groups: [String] = [], shift: String? = nil) {
        self.numbers = numbers
        self.contacts = contacts
        self.groups = groups
        self.shift = shift
    }

    public var isEmpty: Bool { numbers.isEmpty && contacts.isEmpty && groups.isEmpty && shift == nil }

    public var description: String {
        var parts = numbers
        parts += contacts.map { "contact \($0)" }
        parts += groups.map { "group \($0)" }
        if let shift { parts.append("shift \(shift)") }
        return parts.joined(separator: ", ")
    }
}

public struct Action: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case sendSMS(Recipients, MessageTemplate, SMSRouting)
        case reply(MessageTemplate)
        case addToGroup(String)
        case removeFromGroup(String)
        case webhook(URL, body: MessageTemplate?, attempts: Int)
        case escalate(EscalationPlan)
        /// A text-to-speech call to the recipients on duty now, lasting `seconds` once answered.
        case call(Recipients, MessageTemplate, seconds: Int)
        /// A plugin's action kind, with its parameters (a JSON object whose strings are templates).
        case plugin(String, parameters: Data)
    }

    public var kind: Kind
    /// Passes quiet hours.
    public var urgent: Bool

    public var name: String {
        switch kind {
        case .sendSMS: "send_sms"
        case .reply: "reply"
        case .addToGroup: "add_to_group"
        case .removeFromGroup: "remove_from_group"
        case .webhook: "webhook"
        case .escalate: "escalate"
        case .call: "call"
        case .plugin(let kind, _): kind
        }
    }
}

/// Steps of an escalation: each step's recipients get the alarm, then it waits; nobody having
/// acknowledged by then, the next step's get it. After the last step's wait it ends unacknowledged.
public struct EscalationPlan: Sendable, Equatable {
    public struct Step: Sendable, Equatable, Codable {
        public var recipients: Recipients
        public var waitSeconds: Double
    }

    public var text: MessageTemplate
    public var steps: [Step]
    /// The first word of a reply that acknowledges (compared without case); nil: any reply does.
    public var keyword: String?
    /// An incoming call from someone alerted acknowledges.
    public var byCall: Bool
    /// Each step's recipients are also called (text-to-speech of the alarm, by a voice provider).
    public var voice = false
    /// The key that, pressed during such a call, acknowledges; nil without `voice`.
    public var digit: String?
    /// Answering such a call acknowledges, without a key (`ack.answered`).
    public var byAnswer = false
}

public struct Limit: Sendable, Equatable {
    public var period: Duration
    /// Firings with different keys are limited separately (e.g. `{sender}`); nil: one for the rule.
    public var key: MessageTemplate?
}

public struct QuietHours: Sendable, Equatable {
    public enum Mode: String, Sendable { case hold, skip }
    public var window: TimeWindow
    public var mode: Mode
}

/// Hours of given weekdays, in the gateway's time zone; `to` at or before `from` runs past midnight.
public struct TimeWindow: Sendable, Equatable, CustomStringConvertible {
    /// 0 Monday … 6 Sunday: the days the window starts on.
    public var days: Set<Int>
    /// Minutes after midnight.
    public var from: Int
    public var to: Int

    public static let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    public init(days: Set<Int> = Set(0..<7), from: Int, to: Int) {
        self.days = days
        self.from = from
        self.to = to
    }

    public var description: String {
        let dayText =
            days.count == 7 ? "every day" : days.sorted().map { Self.dayNames[$0] }.joined(separator: ",")
        return "\(dayText) \(Self.clock(from))–\(Self.clock(to))"
    }

    static func clock(_ minutes: Int) -> String {
        String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }

    /// The end of the window `date` lies in, or nil if it lies in none.
    public func end(containing date: Date, calendar: Calendar) -> Date? {
        let today = calendar.startOfDay(for: date)
        let length = to > from ? to - from : to + 24 * 60 - from
        for offset in [-1, 0] {
            guard let day = calendar.date(byAdding: .day, value: offset, to: today) else { continue }
            let weekday = (calendar.component(.weekday, from: day) + 5) % 7
            guard days.contains(weekday),
                let start = Self.time(from, on: day, calendar),
                let end = Self.time(from + length, on: day, calendar)
            else { continue }
            if start <= date && date < end { return end }
        }
        return nil
    }

    public func contains(_ date: Date, calendar: Calendar) -> Bool { end(containing: date, calendar: calendar) != nil }

    /// Wall-clock minutes after `day`'s midnight (past 24 h: the next day), in `calendar`'s zone.
    static func time(_ minutes: Int, on day: Date, _ calendar: Calendar) -> Date? {
        var components = calendar.dateComponents([.year, .month, .day], from: day)
        components.day! += minutes / (24 * 60)
        components.hour = minutes % (24 * 60) / 60
        components.minute = minutes % 60
        return calendar.date(from: components)
    }
}
