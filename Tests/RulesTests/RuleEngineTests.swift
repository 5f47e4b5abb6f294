import Foundation
import Logging
import Synchronization
import Testing
import Yams

@testable import SwiftletRules
@testable import SwiftletStore

@Suite("The rule engine: conditions, actions, escalations, schedules")
struct RuleEngineTests {
    @Test("an SMS containing ALARM outside office hours is sent on, with a template; inside office hours it is not")
    func afterHoursAlarm() async throws {
        let harness = try EngineHarness()
        let engine = try await harness.engine(
            """
            - name: after-hours
              on: sms.incoming
              if:
                - {field: text, contains: alarm}
                - not: {time: {days: [mon, tue, wed, thu, fri], from: "08:00", to: "17:00"}}
              then:
                - send_sms: {to: ["+46700000001"], text: "From {sender}: {words:2} ({chars:5})"}
            """
        )
        harness.clock.set(harness.local("2026-11-23T10:00"))  // Monday, office hours
        await engine.handle(harness.sms(from: "+46705550001", "ALARM boiler pressure low"))
        #expect(harness.effects.sent.isEmpty)
        harness.clock.set(harness.local("2026-11-23T22:00"))  // Monday night
        await engine.handle(harness.sms(from: "+46705550001", "ALARM boiler pressure low"))
        await engine.handle(harness.sms(from: "+46705550001", "all fine"))
        #expect(harness.effects.sent.map(\.text) == ["From +46705550001: ALARM boiler (ALARM)"])
        #expect(harness.effects.sent.first?.to == Recipients(numbers: ["+46700000001"]))

        let history = try await engine.history(rule: "after-hours", limit: 10)
        #expect(history.count == 1)
        #expect(history.first?.matched == ["text contains 'alarm'", "not (time mon,tue,wed,thu,fri 08:00–17:00)"])
        #expect(history.first?.outcomes == ["send_sms to +46700000001"])
        #expect(history.first?.event["text"] == "ALARM boiler pressure low")
    }

    @Test("regular-expression captures fill the template; a catastrophic pattern is cut off and the rule does not fire")
    func regexCapturesAndBudget() async throws {
        let harness = try EngineHarness()
        let engine = try await harness.engine(
            """
            - name: pump
              on: sms.incoming
              if: {field: text, matches: "^pump (\\\\w+) (\\\\d+)"}
              then:
                - reply: "pump {1} at level {2} noted"
            - name: evil
              on: sms.incoming
              if: {field: text, matches: "^(a+)+$"}
              then:
                - reply: "never"
            """
        )
        await engine.handle(harness.sms(from: "+46705550002", "PUMP north 7"))
        let evil = String(repeating: "a", count: 30) + "b"
        let started = ContinuousClock.now
        await engine.handle(harness.sms(from: "+46705550002", evil))
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(harness.effects.sent.map(\.text) == ["pump north at level 7 noted"])
        #expect(harness.effects.sent.first?.to == Recipients(numbers: ["+46705550002"]))
        #expect(harness.log.text.contains("took longer than its budget"))
    }

    @Test("sender in group, any/all, and group membership actions")
    func groupsAndCombinations() async throws {
        let harness = try EngineHarness(effects: RecordingEffects(groups: ["staff": ["+46705550003"]]))
        let engine = try await harness.engine(
            """
            - name: staff-only
              on: sms.incoming
              if:
                - sender_in_group: staff
                - any: [{field: text, starts_with: status}, {field: text, equals: "?"}]
              then:
                - reply: "all systems go"
            - name: join
              on: sms.incoming
              if: {field: text, equals: join}
              then:
                - add_to_group: news
            - name: leave
              on: sms.incoming
              if: {field: text, equals: stop}
              then:
                - remove_from_group: news
            """
        )
        await engine.handle(harness.sms(from: "+46705550003", "Status please"))
        await engine.handle(harness.sms(from: "+46705550004", "status please"))
        await engine.handle(harness.sms(from: "+46705550003", "?"))
        #expect(harness.effects.sent.count == 2)
        await engine.handle(harness.sms(from: "+46705550004", "JOIN"))
        #expect(harness.effects.group("news") == ["+46705550004"])
        await engine.handle(harness.sms(from: "+46705550004", "stop"))
        #expect(harness.effects.group("news").isEmpty)
        let outcomes = try await engine.history(rule: "join", limit: 1).first?.outcomes
        #expect(outcomes == ["add_to_group news: +46705550004 added"])
    }

    @Test(
        "a threshold with hysteresis fires once when crossed, and again only after the value went back below the re-arm level; per sensor"
    )
    func hysteresis() async throws {
        let harness = try EngineHarness()
        let effects = harness.effects
        effects.kinds.withLock {
            $0["sensor.reading"] = PluginRuleKind(plugin: "sensor", role: .trigger, check: { _ in nil })
        }
        let engine = try await harness.engine(
            """
            - name: too-hot
              on: sensor.reading
              if: {field: value, above: 30, rearm_below: 28, per: sensor}
              then:
                - send_sms: {to: ["+46700000009"], text: "{sensor} is at {value} °C"}
            """
        )
        for (sensor, value) in [
            ("a", "29"), ("a", "31"), ("a", "32"), ("b", "35"), ("a", "29"), ("a", "27.5"), ("a", "30.5"),
        ] {
            await engine.handle(RuleEvent(kind: "sensor.reading", fields: ["sensor": sensor, "value": value]))
        }
        #expect(effects.sent.map(\.text) == ["a is at 31 °C", "b is at 35 °C", "a is at 30.5 °C"])
    }

    @Test("a limit lets the same alarm through at most once per period, per key")
    func rateLimit() async throws {
        let harness = try EngineHarness()
        let engine = try await harness.engine(
            """
            - name: dedup
              on: sms.incoming
              limit: {once_per: 10m, key: "{sender}"}
              then:
                - send_sms: {to: ["+46700000001"], text: "{text}"}
            """
        )
        await engine.handle(harness.sms(from: "+46705550005", "one"))
        harness.clock.advance(60)
        await engine.handle(harness.sms(from: "+46705550005", "two"))
        await engine.handle(harness.sms(from: "+46705550006", "three"))
        harness.clock.advance(10 * 60)
        await engine.handle(harness.sms(from: "+46705550005", "four"))
        #expect(harness.effects.sent.map(\.text) == ["one", "three", "four"])
    }

    @Test("quiet hours hold a message until they end, skip it in skip mode, and let urgent ones pass")
    func quietHours() async throws {
        let harness = try EngineHarness()
        let engine = try await harness.engine(
            """
            - name: held
              on: sms.incoming
              if: {field: text, equals: held}
              quiet_hours: {from: "22:00", to: "07:00"}
              then:
                - send_sms: {to: ["+46700000001"], text: "held"}
                - send_sms: {to: ["+46700000002"], text: "urgent"}
                  urgent: true
            - name: skipped
              on: sms.incoming
              if: {field: text, equals: skipped}
              quiet_hours: {from: "22:00", to: "07:00", then: skip}
              then:
                - send_sms: {to: ["+46700000001"], text: "skipped"}
            """
        )
        harness.clock.set(harness.local("2026-11-23T23:30"))
        await engine.handle(harness.sms(from: "+46705550007", "held"))
        await engine.handle(harness.sms(from: "+46705550007", "skipped"))
        let sent = harness.effects.sent
        #expect(sent.map(\.text) == ["held", "urgent"])
        #expect(sent.first?.notBefore == harness.local("2026-11-24T07:00"))
        #expect(sent.last?.notBefore == nil)
        let skipped = try await engine.history(rule: "skipped", limit: 1).first?.outcomes
        #expect(skipped == ["send_sms skipped: quiet hours until 2026-11-24 07:00:00"])
        harness.clock.set(harness.local("2026-11-24T12:00"))
        await engine.handle(harness.sms(from: "+46705550007", "skipped"))
        #expect(harness.effects.sent.last?.text == "skipped")
        #expect(harness.effects.sent.last?.notBefore == nil)
    }

    @Test(
        "send_sms routes by modem_no (a modem, or the transport's number) at a priority; an urgent rule's messages are sent at the highest; a bad modem_no is refused"
    )
    func routing() async throws {
        let harness = try EngineHarness()
        let engine = try await harness.engine(
            """
            - name: routed
              on: sms.incoming
              if: {field: text, equals: route}
              then:
                - send_sms: {to: ["+46700000001"], text: "via the relay", modem_no: 2, priority: 3}
                - send_sms: {to: ["+46700000002"], text: "plain"}
            - name: alarm
              on: sms.incoming
              if: {field: text, equals: alarm}
              urgent: true
              then:
                - send_sms: {to: ["+46700000003"], text: "urgent"}
            """
        )
        await engine.handle(harness.sms(from: "+46705550007", "route"))
        await engine.handle(harness.sms(from: "+46705550007", "alarm"))
        #expect(
            harness.effects.sent.map(\.routing) == [
                SMSRouting(modemNumber: 2, priority: 3), SMSRouting(), SMSRouting(priority: 9),
            ]
        )
        let refusal = #expect(throws: RuleParseError.self) {
            try RuleParser(timeZone: .gmt).parse(
                text: """
                    on: sms.incoming
                    then:
                      - send_sms: {to: ["+46700000001"], text: "x", modem_no: 0}
                    """,
                name: "bad"
            )
        }
        #expect("\(refusal.map { "\($0)" } ?? "")".contains("modem_no"), "\(String(describing: refusal))")
    }

    static let escalation = """
        - name: escalate
          on: sms.incoming
          if: {field: text, contains: ALARM}
          then:
            - escalate:
                text: "ALARM: {text}"
                ack: {keyword: ok, call: true}
                steps:
                  - {to: ["+46700000001"], wait: 10m}
                  - {to: ["+46700000002"], wait: 10m}
                  - {to: ["+46700000003"], wait: 10m}
        """

    @Test("an escalation goes step by step until someone alerted replies the keyword; other replies do not count")
    func escalationAcknowledgedBySMS() async throws {
        let harness = try EngineHarness()
        let engine = try await harness.engine(Self.escalation)
        await engine.handle(harness.sms(from: "+46705550008", "ALARM fire"))
        #expect(harness.effects.sent.map(\.to.numbers) == [["+46700000001"]])
        harness.clock.advance(9 * 60)
        await engine.tick()
        #expect(harness.effects.sent.count == 1)
        harness.clock.advance(60)
        await engine.tick()
        #expect(harness.effects.sent.map(\.to.numbers) == [["+46700000001"], ["+46700000002"]])
        // Someone not alerted, and a reply without the keyword: no acknowledgement.
        await engine.handle(harness.sms(from: "+46700000009", "ok"))
        await engine.handle(harness.sms(from: "+46700000002", "what?"))
        #expect(try await engine.escalations(activeOnly: true, limit: 10).count == 1)
        await engine.handle(harness.sms(from: "0700000002", "OK on my way"))
        harness.clock.advance(30 * 60)
        await engine.tick()
        #expect(harness.effects.sent.count == 2)
        let escalation = try #require(try await engine.escalations(activeOnly: false, limit: 10).first)
        #expect(escalation.state == .acknowledged)
        #expect(escalation.acknowledgedBy == "0700000002")
        #expect(escalation.step == 1)
        #expect(escalation.journal.last?.hasSuffix("acknowledged by 0700000002 by SMS") == true)
    }

    @Test(
        "a voice escalation also calls each step; only the ack key pressed in an answered call of someone alerted acknowledges"
    )
    func escalationAcknowledgedByKeyPressed() async throws {
        let harness = try EngineHarness()
        let engine = try await harness.engine(
            """
            - name: wake
              on: sms.incoming
              then:
                - escalate:
                    text: "ALARM: {text}"
                    voice: true
                    ack: {digit: "5"}
                    steps:
                      - {to: ["+46700000001"], wait: 10m}
                      - {to: ["+46700000002"], wait: 10m}
            """
        )
        await engine.handle(harness.sms(from: "+46705550008", "pump"))
        #expect(harness.effects.calls.withLock { $0.map(\.to.numbers) } == [["+46700000001"]])
        #expect(harness.effects.calls.withLock { $0.map(\.text) } == ["ALARM: pump"])
        func ended(_ to: String, _ result: String, _ digits: String) -> RuleEvent {
            RuleEvent(kind: "call.ended", fields: ["to": to, "result": result, "digits": digits, "id": "7"])
        }
        // Another key, a call not answered, someone not alerted: nothing.
        await engine.handle(ended("+46700000001", "answered", "12"))
        await engine.handle(ended("+46700000001", "busy", "5"))
        await engine.handle(ended("+46700000009", "answered", "5"))
        #expect(try await engine.escalations(activeOnly: true, limit: 1).count == 1)
        await engine.handle(ended("+46700000001", "answered", "25#"))
        let escalation = try #require(try await engine.escalations(activeOnly: false, limit: 1).first)
        #expect(escalation.state == .acknowledged)
        #expect(escalation.journal.last?.hasSuffix("acknowledged by +46700000001 by pressing 5 during a call") == true)
        #expect(escalation.journal.contains { $0.hasSuffix("step 1: called +46700000001") })
        harness.clock.advance(10 * 60)
        await engine.tick()
        #expect(harness.effects.calls.withLock { $0.count } == 1, "the acknowledged escalation called on")

        await #expect(throws: RuleParseError.self) {
            _ = try await harness.engine(
                """
                - name: bad
                  on: sms.incoming
                  then:
                    - escalate: {text: x, ack: {digit: "5"}, steps: [{to: ["+46700000001"], wait: 1m}]}
                """
            )
        }
    }

    @Test("an incoming call from someone alerted acknowledges; unanswered, the chain ends and says so")
    func escalationAcknowledgedByCallOrEnded() async throws {
        let harness = try EngineHarness()
        let engine = try await harness.engine(Self.escalation)
        await engine.handle(harness.sms(from: "+46705550008", "ALARM one"))
        harness.clock.advance(10 * 60)
        await engine.tick()
        await engine.handle(RuleEvent(kind: "call.incoming", fields: ["from": "+46700000001"]))
        #expect(try await engine.escalations(activeOnly: false, limit: 1).first?.state == .acknowledged)

        await engine.handle(harness.sms(from: "+46705550008", "ALARM two"))
        for _ in 0..<3 {
            harness.clock.advance(10 * 60)
            await engine.tick()
        }
        let second = try #require(try await engine.escalations(activeOnly: false, limit: 1).first)
        #expect(second.state == .unacknowledged)
        #expect(second.alerted == ["+46700000001", "+46700000002", "+46700000003"])
        #expect(harness.log.text.contains("escalation ended: nobody acknowledged escalation=2 rule=escalate steps=3"))
    }

    @Test("a restarted engine continues an escalation at its step, neither starting over nor forgetting it")
    func escalationSurvivesRestart() async throws {
        let harness = try EngineHarness()
        let first = try await harness.engine(Self.escalation)
        await first.handle(harness.sms(from: "+46705550008", "ALARM restart"))
        harness.clock.advance(10 * 60)
        await first.tick()
        #expect(harness.effects.sent.count == 2)

        // A new engine over the same store, as after a restart, 4 minutes later.
        harness.clock.advance(4 * 60)
        let second = try await harness.engine(Self.escalation)
        await second.tick()
        #expect(harness.effects.sent.count == 2)
        harness.clock.advance(6 * 60)
        await second.tick()
        #expect(harness.effects.sent.map(\.to.numbers).last == ["+46700000003"])
        await second.handle(harness.sms(from: "+46700000001", "ok"))
        #expect(try await second.escalations(activeOnly: false, limit: 1).first?.acknowledgedBy == "+46700000001")
    }

    /// A one-shot rule, due on Christmas Eve at 18:00 (Stockholm).
    static let christmasEve = """
        - name: eve
          on: {at: "2026-12-24T18:00"}
          then:
            - send_sms: {to: ["+46700000001"], text: "due {scheduled_for}"}
        """

    @Test("a one-shot {at:} rule fires once at its time, and not again after a restart")
    func oneShotFiresOnce() async throws {
        let harness = try EngineHarness()
        harness.clock.set(harness.local("2026-12-24T17:58"))
        let engine = try await harness.engine(Self.christmasEve)
        await engine.tick()
        harness.clock.advance(60)
        await engine.tick()
        #expect(harness.effects.sent.isEmpty)
        harness.clock.advance(60)
        await engine.tick()
        harness.clock.advance(60)
        await engine.tick()
        #expect(harness.effects.sent.map(\.text) == ["due 2026-12-24 18:00:00"])

        harness.clock.advance(3600)
        let restarted = try await harness.engine(Self.christmasEve)
        await restarted.tick()
        #expect(harness.effects.sent.count == 1)
    }

    @Test("a one-shot time that passed while the gateway was down fires at start, once")
    func oneShotMissedWhileDownFiresAtStart() async throws {
        let harness = try EngineHarness()
        harness.clock.set(harness.local("2026-12-24T21:30"))
        let engine = try await harness.engine(Self.christmasEve)
        #expect(harness.effects.sent.map(\.text) == ["due 2026-12-24 18:00:00"])
        await engine.tick()
        #expect(harness.effects.sent.count == 1)
        #expect(harness.log.text.contains("rule was due while the gateway was not running; firing it now due="))
        #expect(harness.log.text.contains(" rule=eve"))

        harness.clock.advance(60)
        let restarted = try await harness.engine(Self.christmasEve)
        await restarted.tick()
        #expect(harness.effects.sent.count == 1)
    }

    @Test("once_per holds across a restart: it is checked against the stored history")
    func limitHoldsAcrossRestart() async throws {
        let harness = try EngineHarness()
        let rules = """
            - name: dedup
              on: sms.incoming
              limit: {once_per: 10m, key: "{sender}"}
              then:
                - send_sms: {to: ["+46700000001"], text: "{text}"}
            """
        let first = try await harness.engine(rules)
        await first.handle(harness.sms(from: "+46705550005", "one"))
        harness.clock.advance(60)
        let second = try await harness.engine(rules)
        await second.handle(harness.sms(from: "+46705550005", "two"))
        harness.clock.advance(10 * 60)
        await second.handle(harness.sms(from: "+46705550005", "three"))
        #expect(harness.effects.sent.map(\.text) == ["one", "three"])
    }

    @Test("a wait that ended while the gateway was down moves on one step at start; the next step waits its full time")
    func escalationWaitEndedWhileDown() async throws {
        let harness = try EngineHarness()
        let first = try await harness.engine(Self.escalation)
        await first.handle(harness.sms(from: "+46705550008", "ALARM down"))
        #expect(harness.effects.sent.count == 1)

        // Down for 35 minutes: the waits of steps 1, 2 and 3 would all have ended.
        harness.clock.advance(35 * 60)
        let second = try await harness.engine(Self.escalation)
        await second.tick()
        await second.tick()
        #expect(harness.effects.sent.map(\.to.numbers) == [["+46700000001"], ["+46700000002"]])
        harness.clock.advance(9 * 60 + 50)
        await second.tick()
        #expect(harness.effects.sent.count == 2)
        harness.clock.advance(20)
        await second.tick()
        #expect(harness.effects.sent.map(\.to.numbers).last == ["+46700000003"])
    }

    @Test("a step queued but not yet stored as done when the gateway died is sent again after the restart")
    func escalationStepResentAfterCrash() async throws {
        let harness = try EngineHarness()
        let first = try await harness.engine(Self.escalation)
        await first.handle(harness.sms(from: "+46705550008", "ALARM crash"))
        let beforeStep2 = try #require(try await harness.store.escalation(id: 1))
        harness.clock.advance(10 * 60)
        await first.tick()
        #expect(harness.effects.sent.map(\.to.numbers).last == ["+46700000002"])
        // The crash: step 2's message was queued, the escalation's new step never stored.
        _ = try await harness.store.saveEscalation(beforeStep2)

        harness.clock.advance(30)
        let second = try await harness.engine(Self.escalation)
        await second.tick()
        #expect(
            harness.effects.sent.map(\.to.numbers) == [["+46700000001"], ["+46700000002"], ["+46700000002"]]
        )
        let escalation = try #require(try await second.escalations(activeOnly: true, limit: 1).first)
        #expect(escalation.step == 1)
    }

    @Test("a daily schedule fires at 08:00 local time on both sides of the October DST change")
    func scheduleAcrossDST() async throws {
        let harness = try EngineHarness(start: Date(timeIntervalSince1970: 0))
        harness.clock.set(harness.local("2026-10-24T07:00"))
        let engine = try await harness.engine(
            """
            - name: morning
              on: {schedule: "0 8 * * *"}
              then:
                - send_sms: {to: ["+46700000001"], text: "good morning, it is {now}"}
            """
        )
        var fired: [Date] = []
        // Step through two days a minute at a time, as the gateway's one-second ticks would.
        for _ in 0..<(2 * 24 * 60) {
            harness.clock.advance(60)
            let before = harness.effects.sent.count
            await engine.tick()
            if harness.effects.sent.count > before { fired.append(harness.clock.now) }
        }
        let utc = ISO8601DateFormatter()
        #expect(fired.map(utc.string) == ["2026-10-24T06:00:00Z", "2026-10-25T07:00:00Z"])
        #expect(
            harness.effects.sent.map(\.text) == [
                "good morning, it is 2026-10-24 08:00:00", "good morning, it is 2026-10-25 08:00:00",
            ]
        )
    }

    @Test("webhooks are retried until they are answered 2xx, and the outcome is in the history")
    func webhookRetries() async throws {
        let harness = try EngineHarness(effects: RecordingEffects(postAnswers: [500, 503, 204]))
        let engine = try await harness.engine(
            """
            - name: hook
              on: sms.incoming
              then:
                - webhook: {url: "https://user:secret@example.com/hook?key=abc", attempts: 3}
            """
        )
        await engine.handle(harness.sms(from: "+46705550010", "hi"))
        await engine.settle()
        #expect(harness.effects.posts == 3)
        let outcomes = try #require(try await engine.history(rule: "hook", limit: 1).first?.outcomes)
        #expect(
            outcomes == [
                "webhook https://example.com/hook?…: posting",
                "webhook https://example.com/hook?… answered 204 (attempt 3 of 3)",
            ]
        )
        #expect(!harness.log.text.contains("secret"))
    }

    @Test("rules changed through the API are stored: added, disabled, and removed across a restart")
    func managementIsDurable() async throws {
        let harness = try EngineHarness()
        let configured = """
            - name: from-file
              on: sms.incoming
              then:
                - reply: "file"
            """
        let engine = try await harness.engine(configured)
        #expect(
            try await engine.put(
                name: "added",
                definition: #"{"on": "api", "then": [{"send_sms": {"to": ["+46700000001"], "text": "{what}"}}]}"#
            )
        )
        await #expect(throws: RuleError.self) { try await engine.remove("from-file") }
        try await engine.setEnabled("from-file", false)
        await #expect(throws: RuleError.self) { try await engine.put(name: "bad", definition: "on: nothing\nthen: []") }

        let restarted = try await harness.engine(configured)
        let list = await restarted.list()
        #expect(list.map(\.name) == ["from-file", "added"])
        #expect(list.map(\.status) == [.disabled, .active])
        await restarted.handle(harness.sms(from: "+46705550011", "x"))
        #expect(harness.effects.sent.isEmpty)
        #expect(try await restarted.fire("added", fields: ["what": "fired through the API"]) != nil)
        #expect(harness.effects.sent.map(\.text) == ["fired through the API"])
        #expect(try await restarted.remove("added") == "removed")
        #expect(await restarted.list().map(\.name) == ["from-file"])
    }

    @Test("a rule using a plugin's kind waits for the kind, then has its parameters checked and its action handed over")
    func pluginKinds() async throws {
        let harness = try EngineHarness()
        let engine = try await harness.engine(
            """
            - name: publish
              on: sms.incoming
              then:
                - mqtt.publish: {topic: "alarms/{sender}", payload: "{text}", retain: true}
            """
        )
        #expect(await engine.list().first?.status == .waiting("a plugin to register the action kind 'mqtt.publish'"))
        harness.effects.kinds.withLock {
            $0["mqtt.publish"] = PluginRuleKind(plugin: "mqtt", role: .action) { parameters in
                let object = try? JSONSerialization.jsonObject(with: parameters) as? [String: Any]
                return object?["topic"] == nil ? "topic: required" : nil
            }
        }
        await engine.kindsChanged()
        #expect(await engine.list().first?.status == .active)
        await engine.handle(harness.sms(from: "+46705550012", "door open"))
        let (kind, body) = try #require(harness.effects.actions.first)
        #expect(kind == "mqtt.publish")
        let json = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        let parameters = try #require(json["parameters"] as? [String: Any])
        #expect(parameters["topic"] as? String == "alarms/+46705550012")
        #expect(parameters["payload"] as? String == "door open")
        #expect(parameters["retain"] as? Bool == true)
        #expect(json["rule"] as? String == "publish")
    }
}
