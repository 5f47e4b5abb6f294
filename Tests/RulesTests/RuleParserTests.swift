import Foundation
import Testing
import Yams

@testable import SwiftletRules

@Suite("Rules as written: YAML read with key, line and reason; cron expressions")
struct RuleParserTests {
    let parser = RuleParser(timeZone: TimeZone(identifier: "Europe/Stockholm")!)

    func failure(_ yaml: String) throws -> RuleParseError? {
        let node = try #require(try Yams.compose(yaml: yaml))
        do {
            _ = try parser.parseList(node)
            return nil
        } catch {
            return error
        }
    }

    @Test("the issue's example reads: trigger, conditions, escalation with its steps and acknowledgement")
    func theExampleReads() throws {
        let rules = try parser.parseList(
            try #require(
                try Yams.compose(
                    yaml: """
                        - name: after-hours-alarm
                          on: sms.incoming
                          if:
                            - {field: text, contains: ALARM}
                            - not: {time: {days: [mon, tue, wed, thu, fri], from: "08:00", to: "17:00"}}
                          then:
                            - escalate:
                                text: "ALARM from {sender}: {text}"
                                steps:
                                  - {shift: oncall, wait: 10m}
                                  - {contacts: [Team lead], wait: 10m}
                        """
                )
            )
        )
        let rule = try #require(rules.first)
        #expect(rule.trigger == .event("sms.incoming"))
        #expect(rule.conditions.count == 2)
        guard case .escalate(let plan) = rule.actions.first?.kind else {
            Issue.record("not an escalation")
            return
        }
        #expect(plan.steps.map(\.recipients) == [Recipients(shift: "oncall"), Recipients(contacts: ["Team lead"])])
        #expect(plan.steps.map(\.waitSeconds) == [600, 600])
        #expect(plan.keyword == "ACK")
        #expect(plan.byCall)
    }

    @Test(
        "mistakes are refused with the key, the line and the reason",
        arguments: [
            (
                "- name: a\n  on: sms.incoming\n  then: [{reply: hi}]\n  colour: red", "rules[0].colour", 4,
                "unknown key"
            ),
            ("- name: a\n  on: sms.incomming\n  then: [{reply: hi}]", "rules[0].on", 2, "not a trigger"),
            (
                "- name: a\n  on: {schedule: \"61 * * * *\"}\n  then: [{send_sms: {to: [\"+1\"], text: x}}]",
                "rules[0].on.schedule", 2, "'61' is not a valid minute"
            ),
            (
                "- name: a\n  on: sms.incoming\n  if: {field: text, matches: \"(open\"}\n  then: [{reply: hi}]",
                "rules[0].if.matches", 3, "not a regular expression"
            ),
            (
                "- name: a\n  on: sms.incoming\n  then:\n    - reply: \"Hi {sendr}\"", "rules[0].then[0].reply", 4,
                "{sendr} is not a placeholder"
            ),
            (
                "- name: a\n  on: {schedule: \"@daily\"}\n  then:\n    - reply: hi", "rules[0].then[0].reply", 4,
                "no sender to reply to"
            ),
            (
                "- name: a\n  on: sms.incoming\n  if: {time: {from: \"25:00\", to: \"07:00\"}}\n  then: [{reply: hi}]",
                "rules[0].if.time.from", 3, "not a time of day"
            ),
            (
                "- name: a\n  on: sms.incoming\n  then:\n    - escalate: {text: x, steps: [{to: [\"+4670\"]}]}",
                "rules[0].then[0].escalate.steps[0].wait", 4, "how long to wait"
            ),
            (
                "- name: a\n  on: sms.incoming\n  then: [{reply: hi}]\n- name: a\n  on: sms.incoming\n  then: [{reply: hi}]",
                "rules[1].name", 4, "earlier rule"
            ),
            (
                "- name: a\n  on: sms.incoming\n  then:\n    - webhook: {url: \"ftp://x\"}",
                "rules[0].then[0].webhook.url", 4, "not an http"
            ),
        ]
    )
    func mistakes(yaml: String, key: String, line: Int, reason: String) throws {
        let error = try #require(try failure(yaml))
        #expect(error.key == key)
        #expect(error.line == line)
        #expect(error.reason.contains(reason), "\(error.reason)")
    }

    @Test("cron: ranges, steps, names, shorthands; both day fields restricted means either")
    func cron() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = try #require(ISO8601DateFormatter().date(from: "2026-11-20T12:34:00Z"))  // a Friday
        func next(_ expression: String, _ count: Int = 3) throws -> [String] {
            let schedule = try CronSchedule(expression)
            var date = start
            return (0..<count).map { _ in
                date = schedule.next(after: date, calendar: calendar)!
                return ISO8601DateFormatter().string(from: date)
            }
        }
        #expect(try next("*/15 12 * * *") == ["2026-11-20T12:45:00Z", "2026-11-21T12:00:00Z", "2026-11-21T12:15:00Z"])
        #expect(
            try next("0 8 * * mon-fri") == ["2026-11-23T08:00:00Z", "2026-11-24T08:00:00Z", "2026-11-25T08:00:00Z"]
        )
        #expect(try next("@monthly", 2) == ["2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"])
        #expect(try next("0 0 1 * sun", 2) == ["2026-11-22T00:00:00Z", "2026-11-29T00:00:00Z"])
        #expect(try next("0 0 29 feb *", 1) == ["2028-02-29T00:00:00Z"])
        #expect(throws: RuleError.self) { try CronSchedule("* * *") }
        #expect(throws: RuleError.self) { try CronSchedule("0 8 * * funday") }
    }

    @Test("cron across DST in Stockholm: 02:30 that does not exist fires at 03:30; 02:30 that happens twice fires once")
    func cronAcrossDST() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Stockholm")!
        let schedule = try CronSchedule("30 2 * * *")
        let utc = ISO8601DateFormatter()
        var date = try #require(utc.date(from: "2026-03-28T12:00:00Z"))
        var spring: [String] = []
        for _ in 0..<2 {
            date = try #require(schedule.next(after: date, calendar: calendar))
            spring.append(utc.string(from: date))
        }
        #expect(spring == ["2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z"])  // 03:30 CEST, then 02:30 CEST
        date = try #require(utc.date(from: "2026-10-24T12:00:00Z"))
        var autumn: [String] = []
        for _ in 0..<2 {
            date = try #require(schedule.next(after: date, calendar: calendar))
            autumn.append(utc.string(from: date))
        }
        #expect(autumn == ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"])  // once (CEST), then 02:30 CET
    }
}
