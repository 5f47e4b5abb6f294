import Foundation
import SwiftletSupport
import Yams

/// What is wrong with a rule as written: where (`key`, e.g. `rules[2].if[0].matches`, and the line
/// when known) and why.
public struct RuleParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var line: Int?
    public var reason: String

    public var description: String { "\(key)\(line.map { " (line \($0))" } ?? ""): \(reason)" }
}

/// Reads rules from YAML (or JSON, which is YAML too): the `rules:` list of the configuration, or
/// one rule given to the API. Every mistake is refused with its key and line, before the rule runs.
///
///     - name: after-hours-alarm
///       on: sms.incoming
///       if:
///         - {field: text, contains: ALARM}
///         - not: {time: {days: [mon, tue, wed, thu, fri], from: "08:00", to: "17:00"}}
///       then:
///         - escalate:
///             text: "ALARM from {sender}: {text}"
///             voice: true                      # also call each step (text-to-speech)
///             ack: {keyword: ACK, call: true, digit: "1"}
///             steps:
///               - {shift: oncall, wait: 10m}
///               - {contacts: [Team lead], wait: 10m}
public struct RuleParser: Sendable {
    public var timeZone: TimeZone

    public init(timeZone: TimeZone) { self.timeZone = timeZone }

    static let ruleKeys = [
        "name", "description", "enabled", "on", "if", "then", "limit", "quiet_hours", "urgent",
    ]

    /// The configuration's `rules:` list; names must be unique.
    public func parseList(_ node: Node, key: String = "rules") throws(RuleParseError) -> [Rule] {
        if node.scalar?.string.isEmpty == true, node.scalar?.style == .plain { return [] }
        guard let list = node.sequence else { throw error(node, key, "must be a list of rules") }
        var rules: [Rule] = []
        for (offset, item) in list.enumerated() {
            let definition = (try? Yams.serialize(node: item)) ?? ""
            let rule = try parse(item, key: "\(key)[\(offset)]", definition: definition)
            if rules.contains(where: { $0.name == rule.name }) {
                throw error(item, "\(key)[\(offset)].name", "'\(rule.name)' is the name of an earlier rule too")
            }
            rules.append(rule)
        }
        return rules
    }

    /// One rule sent to the API as YAML or JSON; `name`, if the text has none, is its name.
    public func parse(text: String, name: String?) throws(RuleParseError) -> Rule {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw RuleParseError(key: "", line: nil, reason: "not valid YAML or JSON: \(error)")
        }
        guard var node, node.mapping != nil else {
            throw RuleParseError(key: "", line: nil, reason: "a rule is a mapping with name, on, if and then")
        }
        if let name {
            if let given = node.mapping?["name"]?.string, given != name {
                throw RuleParseError(
                    key: "name",
                    line: node.mapping?["name"]?.mark?.line,
                    reason: "'\(given)' differs from the name in the address, '\(name)'"
                )
            }
            node.mapping?["name"] = Node(name)
        }
        return try parse(node, key: "", definition: text)
    }

    public func parse(_ node: Node, key: String, definition: String) throws(RuleParseError) -> Rule {
        let fields = try mapping(node, key, known: Self.ruleKeys)
        func path(_ name: String) -> String { key.isEmpty ? name : key + "." + name }
        guard let nameNode = fields["name"] else { throw error(node, path("name"), "every rule needs a name") }
        let name = try string(nameNode, path("name"))
        guard name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw error(
                nameNode,
                path("name"),
                "'\(name)' is not a rule name (letters, digits, '-', '_', '.'; at most 64)"
            )
        }
        guard let onNode = fields["on"] else {
            throw error(
                node,
                path("on"),
                "say what fires the rule: sms.incoming, sms.status, modem.status, call.incoming, call.ended, api, a plugin's kind, {schedule: \"0 8 * * *\"} or {at: \"2026-12-24T18:00\"}"
            )
        }
        let trigger = try trigger(onNode, path("on"))
        let known = trigger.fields
        var conditions: [Condition] = []
        if let ifNode = fields["if"] {
            if let list = ifNode.sequence {
                for (offset, item) in list.enumerated() {
                    conditions.append(try condition(item, path("if") + "[\(offset)]", fields: known))
                }
            } else {
                conditions.append(try condition(ifNode, path("if"), fields: known))
            }
        }
        guard let thenNode = fields["then"], let actionList = thenNode.sequence, !actionList.isEmpty else {
            throw error(fields["then"] ?? node, path("then"), "a rule needs a list of actions under 'then'")
        }
        var actions: [Action] = []
        for (offset, item) in actionList.enumerated() {
            actions.append(try action(item, path("then") + "[\(offset)]", trigger: trigger))
        }
        var rule = Rule(
            name: name,
            description: try fields["description"].map { node throws(RuleParseError) in
                try string(node, path("description"))
            },
            enabled: try fields["enabled"].map { node throws(RuleParseError) in try boolean(node, path("enabled")) }
                ?? true,
            trigger: trigger,
            conditions: conditions,
            actions: actions,
            urgent: try fields["urgent"].map { node throws(RuleParseError) in try boolean(node, path("urgent")) }
                ?? false,
            definition: definition
        )
        if let limitNode = fields["limit"] {
            let limit = try mapping(limitNode, path("limit"), known: ["once_per", "key"])
            guard let period = limit["once_per"] else {
                throw error(limitNode, path("limit.once_per"), "say how often at most, e.g. once_per: 10m")
            }
            rule.limit = Limit(
                period: try duration(period, path("limit.once_per")),
                key: try limit["key"].map { node throws(RuleParseError) in
                    try template(node, path("limit.key"), fields: known)
                }
            )
        }
        if let quietNode = fields["quiet_hours"] {
            let quiet = try mapping(quietNode, path("quiet_hours"), known: ["from", "to", "days", "then"])
            let window = try window(quietNode, quiet, path("quiet_hours"))
            var mode = QuietHours.Mode.hold
            if let modeNode = quiet["then"] {
                let text = try string(modeNode, path("quiet_hours.then"))
                guard let parsed = QuietHours.Mode(rawValue: text) else {
                    throw error(modeNode, path("quiet_hours.then"), "'\(text)' is not hold or skip")
                }
                mode = parsed
            }
            rule.quietHours = QuietHours(window: window, mode: mode)
        }
        return rule
    }

    // MARK: Triggers

    func trigger(_ node: Node, _ key: String) throws(RuleParseError) -> Trigger {
        if let text = node.scalar?.string {
            switch text {
            case "api": return .api
            case _ where Trigger.coreKinds.contains(text): return .event(text)
            case _ where Self.isPluginKind(text): return .event(text)
            default:
                throw error(
                    node,
                    key,
                    "'\(text)' is not a trigger (sms.incoming, sms.status, modem.status, call.incoming, call.ended, api, a plugin's '<plugin>.<kind>', or {schedule: …} / {at: …})"
                )
            }
        }
        let fields = try mapping(node, key, known: ["schedule", "at"])
        if let schedule = fields["schedule"] {
            let text = try string(schedule, key + ".schedule")
            do throws(RuleError) {
                return .schedule(try CronSchedule(text))
            } catch {
                throw self.error(schedule, key + ".schedule", error.description)
            }
        }
        if let at = fields["at"] {
            let text = try string(at, key + ".at")
            guard let date = Self.localDate(text, timeZone: timeZone) else {
                throw error(
                    at,
                    key + ".at",
                    "'\(text)' is not a time like 2026-12-24T18:00 (or with a zone, …T18:00+01:00)"
                )
            }
            return .once(date)
        }
        throw error(node, key, "give schedule or at")
    }

    /// Namespaces of the core's events: no plugin has these ids.
    static let coreNamespaces: Set<String> = ["sms", "modem", "call", "api", "schedule", "rule", "swiftlet"]

    static func isPluginKind(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && !coreNamespaces.contains(String(parts[0]))
            && parts.allSatisfy { part in
                !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || "_-".contains($0)) }
            }
    }

    /// `2026-12-24T18:00` (or with seconds) in `timeZone`, or with an explicit offset or Z.
    static func localDate(_ text: String, timeZone: TimeZone) -> Date? {
        for format in ["yyyy-MM-dd'T'HH:mmXXXXX", "yyyy-MM-dd'T'HH:mm:ssXXXXX"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = timeZone
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }

    // MARK: Conditions

    static let fieldTests = ["equals", "contains", "starts_with", "matches", "above", "below"]

    func condition(_ node: Node, _ key: String, fields known: Set<String>?) throws(RuleParseError) -> Condition {
        guard let pairs = node.mapping, let first = pairs.first?.key.string else {
            throw error(node, key, "a condition is a mapping, e.g. {field: text, contains: ALARM}")
        }
        switch first {
        case "not":
            let fields = try mapping(node, key, known: ["not"])
            return .not(try condition(fields["not"]!, key + ".not", fields: known))
        case "all", "any":
            let fields = try mapping(node, key, known: [first])
            guard let list = fields[first]?.sequence, !list.isEmpty else {
                throw error(node, key + "." + first, "must be a list of conditions")
            }
            var conditions: [Condition] = []
            for (offset, item) in list.enumerated() {
                conditions.append(try condition(item, "\(key).\(first)[\(offset)]", fields: known))
            }
            return first == "all" ? .all(conditions) : .any(conditions)
        case "sender_in_group":
            let fields = try mapping(node, key, known: ["sender_in_group"])
            if let known, !known.contains("from") {
                throw error(node, key, "this trigger's events have no sender")
            }
            return .senderInGroup(try string(fields["sender_in_group"]!, key + ".sender_in_group"))
        case "time":
            let fields = try mapping(node, key, known: ["time"])
            let inner = fields["time"]!
            return .time(
                try window(inner, try mapping(inner, key + ".time", known: ["from", "to", "days"]), key + ".time")
            )
        case "field":
            return try fieldCondition(node, key, fields: known)
        default:
            throw error(
                pairs.first!.key,
                key + "." + first,
                "not a condition (field, sender_in_group, time, not, all, any)"
            )
        }
    }

    func fieldCondition(_ node: Node, _ key: String, fields known: Set<String>?) throws(RuleParseError) -> Condition {
        let fields = try mapping(
            node,
            key,
            known: ["field", "ignore_case", "rearm_below", "rearm_above", "per"] + Self.fieldTests
        )
        let name = try string(fields["field"]!, key + ".field")
        if let known, !known.contains(name) {
            throw error(
                fields["field"]!,
                key + ".field",
                "this trigger's events have no field '\(name)'; they have \(known.sorted().joined(separator: ", "))"
            )
        }
        let tests = Self.fieldTests.filter { fields[$0] != nil }
        guard tests.count == 1, let test = tests.first, let valueNode = fields[test] else {
            throw error(node, key, "give exactly one of \(Self.fieldTests.joined(separator: ", "))")
        }
        let ignoreCase =
            try fields["ignore_case"].map { node throws(RuleParseError) in
                try boolean(node, key + ".ignore_case")
            } ?? true
        let path = key + "." + test
        func number(_ node: Node, _ key: String) throws(RuleParseError) -> Double {
            guard let text = node.scalar?.string, let value = Double(text), value.isFinite else {
                throw error(node, key, "'\(node.scalar?.string ?? "…")' is not a number")
            }
            return value
        }
        let per = try fields["per"].map { node throws(RuleParseError) in try string(node, key + ".per") }
        switch test {
        case "equals":
            return .field(name, .equals(try string(valueNode, path, allowEmpty: true), ignoreCase: ignoreCase))
        case "contains": return .field(name, .contains(try string(valueNode, path), ignoreCase: ignoreCase))
        case "starts_with": return .field(name, .startsWith(try string(valueNode, path), ignoreCase: ignoreCase))
        case "matches":
            let pattern = try string(valueNode, path)
            do throws(RegexError) {
                return .field(name, .matches(try BoundedRegex(pattern, caseInsensitive: ignoreCase)))
            } catch {
                throw self.error(valueNode, path, error.description)
            }
        case "above":
            let threshold = try number(valueNode, path)
            let rearm = try fields["rearm_below"].map { node throws(RuleParseError) in
                try number(node, key + ".rearm_below")
            }
            if let rearm, rearm > threshold {
                throw error(
                    fields["rearm_below"]!,
                    key + ".rearm_below",
                    "must not be above the threshold \(Condition.number(threshold))"
                )
            }
            return .field(name, .above(threshold, rearm: rearm, per: per))
        default:
            let threshold = try number(valueNode, path)
            let rearm = try fields["rearm_above"].map { node throws(RuleParseError) in
                try number(node, key + ".rearm_above")
            }
            if let rearm, rearm < threshold {
                throw error(
                    fields["rearm_above"]!,
                    key + ".rearm_above",
                    "must not be below the threshold \(Condition.number(threshold))"
                )
            }
            return .field(name, .below(threshold, rearm: rearm, per: per))
        }
    }

    func window(_ node: Node, _ fields: [String: Node], _ key: String) throws(RuleParseError) -> TimeWindow {
        guard let fromNode = fields["from"], let toNode = fields["to"] else {
            throw error(node, key, "give from and to, e.g. from: \"22:00\", to: \"07:00\"")
        }
        func minutes(_ node: Node, _ key: String) throws(RuleParseError) -> Int {
            let text = node.scalar?.string ?? ""
            let parts = text.split(separator: ":")
            guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0...24).contains(hour),
                (0...59).contains(minute), hour * 60 + minute <= 24 * 60
            else { throw error(node, key, "'\(text)' is not a time of day HH:MM (quote it in YAML)") }
            return (hour * 60 + minute) % (24 * 60)
        }
        var days = Set(0..<7)
        if let daysNode = fields["days"] {
            guard let list = daysNode.sequence, !list.isEmpty else {
                throw error(daysNode, key + ".days", "must be a list of weekdays, e.g. [mon, tue, wed, thu, fri]")
            }
            days = []
            for item in list {
                let name = (item.scalar?.string ?? "").lowercased()
                guard let index = TimeWindow.dayNames.firstIndex(of: String(name.prefix(3))), name.count >= 3 else {
                    throw error(item, key + ".days", "'\(name)' is not a weekday (mon … sun)")
                }
                days.insert(index)
            }
        }
        return TimeWindow(days: days, from: try minutes(fromNode, key + ".from"), to: try minutes(toNode, key + ".to"))
    }

    // MARK: Actions

    func action(_ node: Node, _ key: String, trigger: Trigger) throws(RuleParseError) -> Action {
        guard let pairs = node.mapping else {
            throw error(node, key, "an action is a mapping, e.g. send_sms: {to: [\"+4670…\"], text: \"…\"}")
        }
        let names = pairs.keys.compactMap(\.string).filter { $0 != "urgent" }
        guard names.count == 1, let name = names.first, let value = pairs[name] else {
            throw error(
                node,
                key,
                "give one action per list item (send_sms, reply, add_to_group, remove_from_group, webhook, escalate, or a plugin's '<plugin>.<kind>')"
            )
        }
        let urgent =
            try pairs["urgent"].map { node throws(RuleParseError) in try boolean(node, key + ".urgent") } ?? false
        let path = key + "." + name
        let known = trigger.fields
        let kind: Action.Kind
        switch name {
        case "send_sms":
            let fields = try mapping(
                value,
                path,
                known: ["to", "contacts", "groups", "shift", "text", "modem_no", "priority"]
            )
            let recipients = try recipients(value, fields, path)
            guard let text = fields["text"] else { throw error(value, path + ".text", "the message needs a text") }
            func number(_ name: String, _ range: ClosedRange<Int>) throws(RuleParseError) -> Int? {
                guard let node = fields[name] else { return nil }
                guard let number = Int(node.scalar?.string ?? ""), range.contains(number) else {
                    throw error(
                        node,
                        path + "." + name,
                        "a whole number from \(range.lowerBound) to \(range.upperBound)"
                    )
                }
                return number
            }
            let routing = SMSRouting(
                modemNumber: try number("modem_no", 1...99),
                priority: try number("priority", 0...9)
            )
            kind = .sendSMS(recipients, try template(text, path + ".text", fields: known), routing)
        case "reply":
            if let known, !known.contains("from") {
                throw error(value, path, "this trigger's events have no sender to reply to")
            }
            kind = .reply(try template(value, path, fields: known))
        case "add_to_group", "remove_from_group":
            if let known, !known.contains("from") { throw error(value, path, "this trigger's events have no sender") }
            let group = try string(value, path)
            kind = name == "add_to_group" ? .addToGroup(group) : .removeFromGroup(group)
        case "webhook":
            let fields = try mapping(value, path, known: ["url", "body", "attempts"])
            guard let urlNode = fields["url"] else { throw error(value, path + ".url", "a webhook needs a url") }
            let text = try string(urlNode, path + ".url")
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                url.host != nil
            else { throw error(urlNode, path + ".url", "'\(text)' is not an http:// or https:// URL") }
            let attempts =
                try fields["attempts"].map { node throws(RuleParseError) in
                    guard let count = Int(node.scalar?.string ?? ""), (1...10).contains(count) else {
                        throw error(node, path + ".attempts", "must be a whole number from 1 to 10")
                    }
                    return count
                } ?? 3
            kind = .webhook(
                url,
                body: try fields["body"].map { node throws(RuleParseError) in
                    try template(node, path + ".body", fields: known)
                },
                attempts: attempts
            )
        case "escalate":
            kind = .escalate(try escalation(value, path, fields: known))
        case "call":
            let fields = try mapping(value, path, known: ["to", "contacts", "groups", "shift", "text", "duration"])
            guard let text = fields["text"] else { throw error(value, path + ".text", "the call needs a text to say") }
            let seconds =
                try fields["duration"].map { node throws(RuleParseError) in
                    guard let seconds = Int(node.scalar?.string ?? ""), (1...600).contains(seconds) else {
                        throw error(node, path + ".duration", "must be a whole number of seconds from 1 to 600")
                    }
                    return seconds
                } ?? 60
            kind = .call(
                try recipients(value, fields, path),
                try template(text, path + ".text", fields: known),
                seconds: seconds
            )
        case _ where Self.isPluginKind(name):
            guard value.mapping != nil || (value.scalar?.string.isEmpty == true) else {
                throw error(value, path, "a plugin action's parameters are a mapping")
            }
            kind = .plugin(name, parameters: try Self.json(value, path))
        default:
            throw error(
                pairs.first { $0.key.string == name }?.key ?? node,
                path,
                "not an action (send_sms, reply, add_to_group, remove_from_group, webhook, escalate, call, or a plugin's '<plugin>.<kind>')"
            )
        }
        return Action(kind: kind, urgent: urgent)
    }

    func recipients(_ node: Node, _ fields: [String: Node], _ key: String) throws(RuleParseError) -> Recipients {
        func list(_ name: String) throws(RuleParseError) -> [String] {
            guard let value = fields[name] else { return [] }
            if value.scalar != nil { return [try string(value, key + "." + name)] }
            guard let items = value.sequence else { throw error(value, key + "." + name, "must be a list") }
            var result: [String] = []
            for item in items { result.append(try string(item, key + "." + name)) }
            return result
        }
        let recipients = Recipients(
            numbers: try list("to"),
            contacts: try list("contacts"),
            groups: try list("groups"),
            shift: try fields["shift"].map { node throws(RuleParseError) in try string(node, key + ".shift") }
        )
        for number in recipients.numbers {
            guard number.count <= 20, number.allSatisfy({ $0.isNumber || $0 == "+" }),
                number.contains(where: \.isNumber)
            else { throw error(fields["to"]!, key + ".to", "'\(number)' is not a telephone number") }
        }
        guard !recipients.isEmpty else { throw error(node, key, "say who gets it: to, contacts, groups or shift") }
        return recipients
    }

    // MARK: Node helpers

    func error(_ node: Node, _ key: String, _ reason: String) -> RuleParseError {
        RuleParseError(key: key, line: node.mark?.line, reason: reason)
    }

    func mapping(_ node: Node, _ key: String, known: [String]) throws(RuleParseError) -> [String: Node] {
        guard let mapping = node.mapping else { throw error(node, key, "must be a mapping of keys to values") }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            let name = keyNode.string ?? ""
            guard known.contains(name) else {
                throw error(
                    keyNode,
                    key.isEmpty ? name : key + "." + name,
                    "unknown key (known keys here: \(known.joined(separator: ", ")))"
                )
            }
            result[name] = value
        }
        return result
    }

    func string(_ node: Node, _ key: String, allowEmpty: Bool = false) throws(RuleParseError) -> String {
        guard let value = node.scalar?.string, allowEmpty || !value.isEmpty else {
            throw error(node, key, "must be a non-empty text")
        }
        return value
    }

    func boolean(_ node: Node, _ key: String) throws(RuleParseError) -> Bool {
        switch node.scalar?.string {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(node, key, "'\(node.scalar?.string ?? "…")' is not true or false")
        }
    }

    func duration(_ node: Node, _ key: String) throws(RuleParseError) -> Duration {
        let text = node.scalar?.string ?? ""
        guard let value = Self.duration(text), value > .zero else {
            throw error(node, key, "'\(text)' is not a duration (write e.g. 30s, 10m, 2h or 1d)")
        }
        return value
    }

    /// `500ms`, `30s`, `10m`, `2h`, `1d`; nil if malformed.
    public static func duration(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (suffix, milliseconds) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard !number.isEmpty, number.count <= 9, number.allSatisfy(\.isNumber), let value = Int64(number) else {
                continue
            }
            return .milliseconds(value * milliseconds)
        }
        return nil
    }

    func template(_ node: Node, _ key: String, fields: Set<String>?) throws(RuleParseError) -> MessageTemplate {
        let text = try string(node, key)
        do throws(RuleError) {
            return try MessageTemplate(text, fields: fields)
        } catch {
            throw self.error(node, key, error.description)
        }
    }

    /// A plugin action's parameters as JSON (scalars as YAML reads them: numbers, booleans, text).
    static func json(_ node: Node, _ key: String) throws(RuleParseError) -> Data {
        func value(_ node: Node) -> Any {
            switch node {
            case .scalar(let scalar):
                if scalar.style != .plain { return scalar.string }
                if let integer = Int.construct(from: scalar) { return integer }
                if let double = Double.construct(from: scalar) { return double }
                if let bool = Bool.construct(from: scalar) { return bool }
                return scalar.string
            case .sequence(let sequence): return sequence.map(value)
            case .mapping(let mapping):
                return Dictionary(
                    mapping.map { ($0.key.string ?? "", value($0.value)) },
                    uniquingKeysWith: { a, _ in a }
                )
            case .alias: return NSNull()
            }
        }
        let object = node.mapping == nil ? [String: Any]() : value(node)
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            throw RuleParseError(key: key, line: node.mark?.line, reason: "cannot be written as JSON")
        }
        return data
    }
}
