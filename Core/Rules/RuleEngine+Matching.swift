import Foundation
import Logging
import SwiftletDomain
import SwiftletSupport

/// Matching: which rules an event fires (triggers, conditions, captures).
extension RuleEngine {
    /// What handling an event did: the rules that fired, and the actions of theirs that failed
    /// (their messages are not committed; whoever acknowledges the event must not).
    public struct Handled: Sendable, Equatable {
        public var fired: [String]
        public var failures: [String]
    }

    /// An event happened: acknowledges escalations it answers, then fires every rule it matches.
    @discardableResult
    public func handle(_ event: RuleEvent) async -> Handled {
        await serially {
            failures = []
            if ["sms.incoming", "call.incoming", "call.ended"].contains(event.kind) { await acknowledge(by: event) }
            var fired: [String] = []
            for name in order {
                guard let entry = entries[name], entry.rule.enabled, entry.problem == nil,
                    case .event(let kind) = entry.rule.trigger, kind == event.kind
                else { continue }
                if await evaluate(name, entry.rule, event) != nil { fired.append(name) }
            }
            return Handled(fired: fired, failures: failures)
        }
    }

    @discardableResult
    func evaluate(_ name: String, _ rule: Rule, _ event: RuleEvent) async -> Int64? {
        var captures: [String] = []
        var matched: [String] = []
        let at = now()
        for condition in rule.conditions {
            do {
                guard try await holds(condition, rule: name, event.fields, at: at, captures: &captures) else {
                    return nil
                }
                matched.append(condition.description)
            } catch {
                logger.warning(
                    "a rule's condition failed; the rule does not fire",
                    metadata: ["rule": "\(name)", "condition": "\(condition.description)", "error": "\(error)"]
                )
                return nil
            }
        }
        return await fire(name, event: event, captures: captures, matched: matched)
    }

    func holds(
        _ condition: Condition,
        rule: String,
        _ fields: [String: String],
        at: Date,
        captures: inout [String]
    ) async throws -> Bool {
        switch condition {
        case .field(let name, let test):
            guard let value = fields[name] else { return false }
            return try check(test, value, key: "\(rule)|\(condition.description)", fields: fields, captures: &captures)
        case .senderInGroup(let group):
            guard let sender = fields["from"] else { return false }
            return try await effects.isInGroup(sender, group: group)
        case .time(let window): return window.contains(at, calendar: calendar)
        case .not(let inner): return !(try await holds(inner, rule: rule, fields, at: at, captures: &captures))
        case .all(let conditions):
            for inner in conditions where !(try await holds(inner, rule: rule, fields, at: at, captures: &captures)) {
                return false
            }
            return true
        case .any(let conditions):
            for inner in conditions where try await holds(inner, rule: rule, fields, at: at, captures: &captures) {
                return true
            }
            return false
        }
    }

    func check(
        _ test: Condition.FieldTest,
        _ value: String,
        key: String,
        fields: [String: String],
        captures: inout [String]
    ) throws -> Bool {
        func folded(_ text: String, _ ignoreCase: Bool) -> String { ignoreCase ? text.lowercased() : text }
        switch test {
        case .equals(let expected, let ignoreCase): return folded(value, ignoreCase) == folded(expected, ignoreCase)
        case .contains(let part, let ignoreCase): return folded(value, ignoreCase).contains(folded(part, ignoreCase))
        case .startsWith(let prefix, let ignoreCase):
            return folded(value, ignoreCase).hasPrefix(folded(prefix, ignoreCase))
        case .matches(let regex):
            guard let match = try regex.firstMatch(in: value) else { return false }
            captures = match
            return true
        case .above(let threshold, let rearm, let per), .below(let threshold, let rearm, let per):
            guard let number = Double(value.trimmingCharacters(in: .whitespaces)) else { return false }
            let isAbove: Bool
            if case .above = test { isAbove = true } else { isAbove = false }
            let beyond = isAbove ? number > threshold : number < threshold
            guard let rearm else { return beyond }
            let stateKey = key + "|" + (per.flatMap { fields[$0] } ?? "")
            if beyond {
                return disarmed.insert(stateKey).inserted  // fires when crossing; not again until re-armed
            }
            if isAbove ? number < rearm : number > rearm { disarmed.remove(stateKey) }
            return false
        }
    }
}
