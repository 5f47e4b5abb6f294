import Foundation
import Logging
import SwiftletDomain
import SwiftletSupport

/// Actions: what a firing does (messages, webhooks, plugin actions), and its record.
extension RuleEngine {
    /// Takes the rule's actions (unless its limit was reached) and records the firing.
    @discardableResult
    func fire(_ name: String, event: RuleEvent, captures: [String], matched: [String]) async -> Int64? {
        guard let rule = entries[name]?.rule else { return nil }
        let at = now()
        var fields = event.fields
        fields["rule"] = name
        fields["now"] = Self.localText(at, calendar)
        var key: String?
        if let limit = rule.limit {
            key = limit.key?.render(fields, captures: captures) ?? ""
            if let last = try? await store.lastFiring(rule: name, key: key),
                at.timeIntervalSince(last) < Self.seconds(limit.period)
            {
                logger.info(
                    "rule matched but fired already within its limit",
                    metadata: [
                        "rule": "\(name)", "last": "\(Self.localText(last, calendar))", "limit": "\(limit.period)",
                    ]
                )
                return nil
            }
        }
        var firing = RuleFiring(
            id: 0,
            rule: name,
            trigger: event.kind,
            at: at,
            event: event.fields,
            matched: matched,
            outcomes: [],
            key: key
        )
        do {
            firing.id = try await store.recordFiring(firing)
        } catch {
            logger.error(
                "cannot record a rule's firing; its actions are not taken",
                metadata: ["rule": "\(name)", "error": "\(error)"]
            )
            failures.append("rule \(name): cannot record its firing (\(error))")
            return nil
        }
        let quietEnd = rule.urgent ? nil : rule.quietHours?.window.end(containing: at, calendar: calendar)
        var outcomes: [String] = []
        for action in rule.actions {
            outcomes.append(
                await perform(
                    action,
                    rule: rule,
                    firing: firing.id,
                    fields: fields,
                    captures: captures,
                    quietEnd: quietEnd
                )
            )
        }
        try? await store.addOutcomes(outcomes, toFiring: firing.id)
        logger.info(
            "rule fired",
            metadata: [
                "rule": "\(name)", "firing": "\(firing.id)", "trigger": "\(event.kind)",
                "outcomes": "\(outcomes.joined(separator: "; "))",
            ]
        )
        return firing.id
    }

    func perform(
        _ action: Action,
        rule: Rule,
        firing: Int64,
        fields: [String: String],
        captures: [String],
        quietEnd: Date?
    ) async -> String {
        let held = action.urgent ? nil : quietEnd
        if held != nil, rule.quietHours?.mode == .skip, action.kind.sendsMessages {
            return "\(action.name) skipped: quiet hours until \(Self.localText(held!, calendar))"
        }
        let until = held.map { " (held by quiet hours until \(Self.localText($0, calendar)))" } ?? ""
        do {
            switch action.kind {
            case .sendSMS(let recipients, let template, var routing):
                if rule.urgent || action.urgent { routing.priority = SMSRouting.urgentPriority }
                let numbers = try await effects.send(
                    template.render(fields, captures: captures),
                    to: recipients,
                    routing: routing,
                    notBefore: held,
                    rule: rule.name
                )
                return "send_sms to \(numbers.joined(separator: ", "))\(until)"
            case .reply(let template):
                guard let sender = fields["from"] else { return "reply: the event has no sender" }
                _ = try await effects.send(
                    template.render(fields, captures: captures),
                    to: Recipients(numbers: [sender]),
                    routing: SMSRouting(priority: rule.urgent || action.urgent ? SMSRouting.urgentPriority : nil),
                    notBefore: held,
                    rule: rule.name
                )
                return "reply to \(sender)\(until)"
            case .addToGroup(let group), .removeFromGroup(let group):
                guard let sender = fields["from"] else { return "\(action.name): the event has no sender" }
                let add: Bool
                if case .addToGroup = action.kind { add = true } else { add = false }
                let changed = try await effects.changeGroup(group, number: sender, add: add)
                return
                    "\(action.name) \(group): \(sender) \(changed ? (add ? "added" : "removed") : (add ? "was in it already" : "was not in it"))"
            case .webhook(let url, let template, let attempts):
                let body = template.map { Data($0.render(fields, captures: captures).utf8) } ?? Self.json(fields)
                tasks.append(
                    Task { await self.post(body, to: url, attempts: attempts, firing: firing, rule: rule.name) }
                )
                tasks.removeAll { $0.isCancelled }
                return "webhook \(url.redacted): posting"
            case .escalate(let plan):
                let escalation = try await startEscalation(
                    plan,
                    rule: rule.name,
                    firing: firing,
                    text: plan.text.render(fields, captures: captures),
                    heldUntil: held
                )
                return "escalation \(escalation.id) started\(until)"
            case .call(let recipients, let template, let seconds):
                // A call cannot wait for quiet hours to end as a message does: it is skipped then.
                if let held { return "call skipped: quiet hours until \(Self.localText(held, calendar))" }
                let called = try await effects.call(
                    template.render(fields, captures: captures),
                    to: recipients,
                    seconds: seconds,
                    rule: rule.name
                )
                return "call to \(called.joined(separator: ", "))"
            case .plugin(let kind, let parameters):
                try effects.perform(
                    pluginAction: kind,
                    Self.pluginBody(rule: rule.name, parameters: parameters, fields: fields, captures: captures)
                )
                return "\(kind) handed to its plugin"
            }
        } catch {
            logger.error(
                "rule action failed",
                metadata: ["rule": "\(rule.name)", "action": "\(action.name)", "error": "\(error)"]
            )
            if effects.isTransient(error) { failures.append("rule \(rule.name): \(action.name) failed: \(error)") }
            return "\(action.name) failed: \(error)"
        }
    }

    /// POSTs with retries (1 s, 2 s, 4 s … apart); a 2xx answer is success.
    func post(_ body: Data, to url: URL, attempts: Int, firing: Int64, rule: String) async {
        var outcome = ""
        var delivered = false
        for attempt in 1...attempts {
            do {
                let status = try await effects.post(body, to: url)
                outcome = "webhook \(url.redacted) answered \(status) (attempt \(attempt) of \(attempts))"
                delivered = (200..<300).contains(status)
                if delivered { break }
            } catch {
                outcome = "webhook \(url.redacted) failed: \(error) (attempt \(attempt) of \(attempts))"
            }
            if attempt < attempts { try? await Task.sleep(for: .seconds(1 << (attempt - 1))) }
        }
        if delivered {
            logger.info("rule webhook delivered", metadata: ["rule": "\(rule)", "outcome": "\(outcome)"])
        } else {
            logger.error(
                "rule webhook not delivered; giving up",
                metadata: ["rule": "\(rule)", "outcome": "\(outcome)"]
            )
        }
        try? await store.addOutcomes([outcome], toFiring: firing)
    }

    /// Waits for the webhooks in flight (tests, and a gateway stopping).
    public func settle() async {
        let pending = tasks
        tasks = []
        for task in pending { await task.value }
    }
}
