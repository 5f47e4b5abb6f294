import Foundation
import Logging
import SwiftletDomain

/// Escalations: steps until someone acknowledges.
extension RuleEngine {
    func startEscalation(
        _ plan: EscalationPlan,
        rule: String,
        firing: Int64,
        text: String,
        heldUntil: Date?
    ) async throws -> Escalation {
        var escalation = Escalation(
            id: 0,
            rule: rule,
            firing: firing,
            text: text,
            steps: plan.steps,
            keyword: plan.keyword,
            byCall: plan.byCall,
            voice: plan.voice ? true : nil,
            digit: plan.digit,
            byAnswer: plan.byAnswer ? true : nil,
            step: -1,
            nextAt: heldUntil ?? now(),
            state: .active,
            alerted: [],
            startedAt: now(),
            journal: heldUntil.map { ["held by quiet hours until \(Self.localText($0, calendar))"] } ?? []
        )
        escalation.id = try await store.saveEscalation(escalation)
        active[escalation.id] = escalation
        if heldUntil == nil { try await advance(escalation.id) }
        return active[escalation.id] ?? escalation
    }

    /// Alerts the next step's recipients, or ends the escalation after its last step.
    func advance(_ id: Int64) async throws {
        guard var escalation = active[id], escalation.state == .active else { return }
        let at = now()
        escalation.step += 1
        if escalation.step >= escalation.steps.count {
            escalation.state = .unacknowledged
            escalation.journal.append("\(Self.localText(at, calendar)) ended: nobody acknowledged")
            _ = try await store.saveEscalation(escalation)
            active[id] = nil
            logger.warning(
                "escalation ended: nobody acknowledged",
                metadata: ["escalation": "\(id)", "rule": "\(escalation.rule)", "steps": "\(escalation.steps.count)"]
            )
            return
        }
        let step = escalation.steps[escalation.step]
        let numbers: [String]
        do {
            numbers = try await effects.send(
                escalation.text,
                to: step.recipients,
                routing: SMSRouting(),
                notBefore: nil,
                rule: escalation.rule
            )
            escalation.journal.append(
                "\(Self.localText(at, calendar)) step \(escalation.step + 1): sent to \(numbers.joined(separator: ", "))"
            )
        } catch {
            numbers = []
            escalation.journal.append(
                "\(Self.localText(at, calendar)) step \(escalation.step + 1): not sent (\(error)); going on after its wait"
            )
            logger.error(
                "escalation step not sent; going on after its wait",
                metadata: ["escalation": "\(id)", "step": "\(escalation.step + 1)", "error": "\(error)"]
            )
        }
        var called: [String] = []
        if escalation.voice == true {
            do {
                called = try await effects.call(
                    escalation.text,
                    to: step.recipients,
                    seconds: Self.escalationCallSeconds,
                    rule: escalation.rule
                )
                escalation.journal.append(
                    "\(Self.localText(at, calendar)) step \(escalation.step + 1): called \(called.joined(separator: ", "))"
                )
            } catch {
                escalation.journal.append(
                    "\(Self.localText(at, calendar)) step \(escalation.step + 1): not called (\(error))"
                )
                logger.error(
                    "escalation step not called",
                    metadata: ["escalation": "\(id)", "step": "\(escalation.step + 1)", "error": "\(error)"]
                )
            }
        }
        for number in numbers + called where !escalation.alerted.contains(number) { escalation.alerted.append(number) }
        escalation.nextAt = at.addingTimeInterval(step.waitSeconds)
        _ = try await store.saveEscalation(escalation)
        active[id] = escalation
        logger.info(
            "escalation step alerted; the next follows unless acknowledged",
            metadata: [
                "escalation": "\(id)", "rule": "\(escalation.rule)", "step": "\(escalation.step + 1)",
                "steps": "\(escalation.steps.count)", "alerted": "\(numbers.joined(separator: ","))",
                "next": "\(Self.localText(escalation.nextAt, calendar))",
            ]
        )
    }

    /// How long an escalation's call may last once answered: the alarm, said a few times.
    static let escalationCallSeconds = 60

    /// An SMS reply (with the keyword, if one is set), a call from someone alerted, or the key pressed
    /// during a voice escalation's call acknowledges.
    func acknowledge(by event: RuleEvent) async {
        guard let from = event.fields[event.kind == "call.ended" ? "to" : "from"] else { return }
        let firstWord = event.fields["text"]?.split(whereSeparator: \.isWhitespace).first.map { $0.uppercased() }
        for escalation in active.values.sorted(by: { $0.id < $1.id }) {
            guard escalation.alerted.contains(where: { PhoneNumber.sameSubscriber($0, from) }) else { continue }
            let how: String
            if event.kind == "call.incoming" {
                guard escalation.byCall else { continue }
                how = "by a call"
            } else if event.kind == "call.ended" {
                guard event.fields["result"] == "answered" else { continue }
                if let digit = escalation.digit, event.fields["digits"]?.contains(digit) == true {
                    how = "by pressing \(digit) during a call"
                } else if escalation.byAnswer == true {
                    how = "by answering a call"
                } else {
                    continue
                }
            } else {
                if let keyword = escalation.keyword, firstWord != keyword { continue }
                how = "by SMS"
            }
            await close(escalation.id, by: from, how: how)
        }
    }

    func close(_ id: Int64, by who: String, how: String) async {
        guard var escalation = active[id] else { return }
        let at = now()
        escalation.state = .acknowledged
        escalation.acknowledgedBy = who
        escalation.acknowledgedAt = at
        escalation.journal.append("\(Self.localText(at, calendar)) acknowledged by \(who) \(how)")
        do {
            _ = try await store.saveEscalation(escalation)
        } catch {
            logger.error(
                "cannot store an escalation's acknowledgement",
                metadata: ["escalation": "\(id)", "error": "\(error)"]
            )
            return
        }
        active[id] = nil
        logger.notice(
            "escalation acknowledged",
            metadata: [
                "escalation": "\(id)", "rule": "\(escalation.rule)", "by": "\(who)", "how": "\(how)",
                "step": "\(escalation.step + 1)",
            ]
        )
    }
}
