import Foundation
import Synchronization
import Testing

@testable import SwiftletRules

/// Rules that place calls: the `call` action, and escalations that an answered call acknowledges.
@Suite struct VoiceRuleTests {
    @Test(
        "the call action calls its recipients with the rendered text for its duration; quiet hours skip it (a call cannot wait), urgent passes"
    )
    func callAction() async throws {
        let harness = try EngineHarness()
        let engine = try await harness.engine(
            """
            - name: wake
              on: sms.incoming
              quiet_hours: {from: "22:00", to: "07:00"}
              then:
                - call: {to: ["+46700000001"], groups: [oncall], text: "Alarm from {from}: {text}", duration: 45}
                - call: {to: ["+46700000002"], text: "urgent {text}"}
                  urgent: true
            """
        )
        harness.clock.set(harness.local("2026-11-23T12:00"))
        await engine.handle(harness.sms(from: "+46705550007", "pump 2"))
        let calls = harness.effects.calls.withLock { $0 }
        #expect(calls.map(\.text) == ["Alarm from +46705550007: pump 2", "urgent pump 2"])
        #expect(calls.first?.to == Recipients(numbers: ["+46700000001"], groups: ["oncall"]))
        #expect(calls.map(\.seconds) == [45, 60])
        #expect(try await engine.history(rule: "wake", limit: 1).first?.outcomes.first == "call to +46700000001")

        harness.clock.set(harness.local("2026-11-23T23:30"))
        await engine.handle(harness.sms(from: "+46705550007", "night"))
        #expect(harness.effects.calls.withLock { $0.map(\.text) }.suffix(1) == ["urgent night"])
        let outcomes = try await engine.history(rule: "wake", limit: 1).first?.outcomes
        #expect(outcomes?.first == "call skipped: quiet hours until 2026-11-24 07:00:00")

        for bad in [
            #"- call: {to: ["+46700000001"]}"#,
            #"- call: {to: ["+46700000001"], text: x, duration: 0}"#,
            #"- call: {to: ["+46700000001"], text: x, speed: 2}"#,
        ] {
            await #expect(throws: RuleParseError.self, "\(bad)") {
                _ = try await harness.engine("- name: bad\n  on: sms.incoming\n  then:\n    \(bad)\n")
            }
        }
    }

    @Test(
        "with ack.answered, answering the escalation's call acknowledges without a key; without it, answering alone does not"
    )
    func answeringAcknowledgesWhenConfigured() async throws {
        func rule(_ ack: String) -> String {
            """
            - name: wake
              on: sms.incoming
              then:
                - escalate:
                    text: "ALARM: {text}"
                    voice: true
                    \(ack)
                    steps:
                      - {to: ["+46700000001"], wait: 10m}
            """
        }
        let answered = RuleEvent(
            kind: "call.ended",
            fields: ["to": "+46700000001", "result": "answered", "digits": ""]
        )
        let busy = RuleEvent(kind: "call.ended", fields: ["to": "+46700000001", "result": "busy", "digits": ""])

        let strict = try EngineHarness()
        let keyOnly = try await strict.engine(rule(""))
        await keyOnly.handle(strict.sms(from: "+46705550008", "pump"))
        await keyOnly.handle(answered)
        #expect(try await keyOnly.escalations(activeOnly: true, limit: 1).count == 1)

        let lenient = try EngineHarness()
        let byAnswer = try await lenient.engine(rule("ack: {answered: true}"))
        await byAnswer.handle(lenient.sms(from: "+46705550008", "pump"))
        await byAnswer.handle(busy)
        #expect(try await byAnswer.escalations(activeOnly: true, limit: 1).count == 1)
        await byAnswer.handle(answered)
        let escalation = try #require(try await byAnswer.escalations(activeOnly: false, limit: 1).first)
        #expect(escalation.state == .acknowledged)
        #expect(escalation.journal.last?.hasSuffix("acknowledged by +46700000001 by answering a call") == true)

        await #expect(throws: RuleParseError.self) {
            _ = try await lenient.engine(
                """
                - name: bad
                  on: sms.incoming
                  then:
                    - escalate: {text: x, ack: {answered: true}, steps: [{to: ["+46700000001"], wait: 1m}]}
                """
            )
        }
    }
}
