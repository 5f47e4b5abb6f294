import Foundation
import Logging
import SwiftletDomain

/// Management: what the rules API and the CLI read and change.
extension RuleEngine {
    public func list() -> [Summary] {
        order.compactMap { name in
            guard let entry = entries[name] else { return nil }
            return Summary(
                name: name,
                enabled: entry.rule.enabled,
                source: entry.source,
                status: !entry.rule.enabled ? .disabled : entry.problem ?? .active,
                trigger: entry.rule.trigger.kind,
                definition: entry.rule.definition
            )
        }
    }

    /// Adds or replaces a rule from its YAML or JSON text; true if it is new. The change is stored.
    public func put(name: String, definition: String) async throws -> Bool {
        try await serially {
            let rule: Rule
            do {
                rule = try parser.parse(text: definition, name: name)
            } catch {
                throw RuleError("\(error)")
            }
            try await store.storeRule(StoredRule(name: name, definition: definition, enabled: rule.enabled))
            let isNew = entries[name] == nil
            let source: Source = configured.contains { $0.name == name } ? .changedThroughAPI : .api
            entries[name] = Entry(rule: rule, source: source)
            if isNew { order.append(name) }
            prepare(name)
            logger.notice("rule saved through the API", metadata: ["rule": "\(name)", "new": "\(isNew)"])
            if let problem = entries[name]?.problem {
                logger.error("rule does not run", metadata: ["rule": "\(name)", "reason": "\(problem)"])
            }
            return isNew
        }
    }

    public func setEnabled(_ name: String, _ enabled: Bool) async throws {
        try await serially {
            guard let entry = entries[name] else { throw RuleError("there is no rule '\(name)'") }
            let stored = entry.source == .configuration ? nil : entry.rule.definition
            try await store.storeRule(StoredRule(name: name, definition: stored, enabled: enabled))
            entries[name]?.rule.enabled = enabled
            if entry.source == .configuration { entries[name]?.source = .changedThroughAPI }
            prepare(name)
            logger.notice("rule switched through the API", metadata: ["rule": "\(name)", "enabled": "\(enabled)"])
        }
    }

    /// Removes a rule added through the API; a rule of the configuration file goes back to what the
    /// file says (it cannot be removed here: disable it, or change the file).
    public func remove(_ name: String) async throws -> String {
        try await serially {
            guard let entry = entries[name] else { throw RuleError("there is no rule '\(name)'") }
            guard entry.source != .configuration else {
                throw RuleError("rule '\(name)' is defined in the configuration file: disable it, or remove it there")
            }
            try await store.removeStoredRule(named: name)
            if let original = configured.first(where: { $0.name == name }) {
                entries[name] = Entry(rule: original, source: .configuration)
                prepare(name)
                logger.notice(
                    "rule's change through the API removed; the configuration file's version runs again",
                    metadata: ["rule": "\(name)"]
                )
                return "the configuration file's version runs again"
            }
            entries[name] = nil
            order.removeAll { $0 == name }
            logger.notice("rule removed through the API", metadata: ["rule": "\(name)"])
            return "removed"
        }
    }

    /// Fires a rule whose trigger is `api`, with these fields; the firing's id, or nil if its
    /// conditions did not hold (or its limit was reached).
    public func fire(_ name: String, fields: [String: String]) async throws -> Int64? {
        try await serially {
            guard let entry = entries[name] else { throw RuleError("there is no rule '\(name)'") }
            guard entry.rule.trigger == .api else {
                throw RuleError("rule '\(name)' fires on \(entry.rule.trigger.kind), not through the API")
            }
            guard entry.rule.enabled else { throw RuleError("rule '\(name)' is disabled") }
            var captures: [String] = []
            var matched: [String] = []
            for condition in entry.rule.conditions {
                guard try await holds(condition, rule: name, fields, at: now(), captures: &captures) else { return nil }
                matched.append(condition.description)
            }
            return await fire(name, event: RuleEvent(kind: "api", fields: fields), captures: captures, matched: matched)
        }
    }

    public func acknowledge(escalation id: Int64, by who: String) async throws -> Escalation {
        try await serially {
            guard active[id] != nil else {
                if let ended = try await store.escalation(id: id) {
                    throw RuleError("escalation \(id) has ended already (\(ended.state.rawValue))")
                }
                throw RuleError("there is no escalation \(id)")
            }
            await close(id, by: who, how: "through the API")
            guard let closed = try await store.escalation(id: id) else {
                throw RuleError("there is no escalation \(id)")
            }
            return closed
        }
    }

    public func escalations(activeOnly: Bool, limit: Int) async throws -> [Escalation] {
        try await store.escalations(activeOnly: activeOnly, limit: limit)
    }

    public func history(rule: String?, limit: Int) async throws -> [RuleFiring] {
        try await store.firings(rule: rule, limit: limit)
    }
}
