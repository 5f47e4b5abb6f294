import Foundation
import SwiftletSupport
import Testing

@testable import SwiftletRules

@Suite("Rule patterns with a time budget")
struct BoundedRegexTests {
    @Test func matchesGiveTheWholeMatchAndItsCaptures() throws {
        let regex = try BoundedRegex("^ALARM (\\w+) (\\d+)")
        #expect(try regex.firstMatch(in: "alarm pump 3 stopped") == ["alarm pump 3", "pump", "3"])
        #expect(try regex.firstMatch(in: "all fine") == nil)
    }

    /// `^(a+)+$` against 30 a's and a b backtracks for minutes; the budget cuts it off.
    @Test func aCatastrophicPatternIsCutOffByItsBudget() throws {
        let regex = try BoundedRegex("^(a+)+$", budget: .milliseconds(100))
        let started = ContinuousClock.now
        let error = #expect(throws: RegexError.self) {
            _ = try regex.firstMatch(in: String(repeating: "a", count: 30) + "b")
        }
        #expect(error?.description.contains("longer than its budget") == true)
        #expect(ContinuousClock.now - started < .seconds(2))
        // The same pattern on harmless input still works.
        #expect(try regex.firstMatch(in: "aaaa") == ["aaaa", "aaaa"])
    }

    @Test func aPatternThatDoesNotCompileOrIsTooLongIsRefused() {
        #expect(throws: RegexError.self) { _ = try BoundedRegex("(unclosed") }
        #expect(throws: RegexError.self) { _ = try BoundedRegex(String(repeating: "a", count: 1001)) }
    }
}

@Suite("Message templates")
struct MessageTemplateTests {
    let fields: Set<String> = ["sender", "text", "modem"]

    @Test func placeholdersAreFilledFromTheEvent() throws {
        let template = try MessageTemplate("From {sender}: {words:3}… [{chars:5}] pump {2} {{ok}}", fields: fields)
        let text = template.render(
            ["sender": "+46701234567", "text": "ALARM pump 3 stopped at 03:12"],
            captures: ["ALARM pump 3", "pump", "3"]
        )
        #expect(text == "From +46701234567: ALARM pump 3… [ALARM] pump 3 {ok}")
    }

    @Test func aPlaceholderThatIsNotKnownIsAnErrorAtLoadTime() {
        let error = #expect(throws: RuleError.self) { _ = try MessageTemplate("Hi {sendr}", fields: fields) }
        #expect(
            error?.description.contains("{sendr} is not a placeholder here; known: {modem}, {sender}, {text}") == true
        )
        #expect(throws: RuleError.self) { _ = try MessageTemplate("open { brace", fields: fields) }
        #expect(throws: RuleError.self) { _ = try MessageTemplate("close } brace", fields: fields) }
        #expect(throws: RuleError.self) { _ = try MessageTemplate("{words:0}", fields: fields) }
    }

    @Test func missingCapturesAndFieldsAreEmpty() throws {
        let template = try MessageTemplate("[{7}][{modem}]", fields: fields)
        #expect(template.render(["text": "x"]) == "[][]")
    }
}
