import Foundation
import SwiftletRules

/// The rules API's answers, as the types they are (encoded with sorted keys by ``JSONAPI``).
extension RulesAPI {
    /// A refusal: `{"error": "…"}`.
    struct Refusal: Encodable {
        var error: String
    }

    struct Rule: Encodable {
        var name: String
        var enabled: Bool
        var source: String
        var status: String
        var trigger: String
        var definition: String
    }

    struct Firing: Encodable {
        var id: Int64
        var rule: String
        var trigger: String
        var at: String
        var event: [String: String]
        var matched: [String]
        var outcomes: [String]
    }

    /// What a change did to rule `name`: the one field that says it.
    struct Changed: Encodable {
        var name: String
        var created: Bool?
        var enabled: Bool?
        var result: String?
    }

    /// `fire`'s answer; `firing` is null when the rule's conditions held it back.
    struct Fired: Encodable {
        var name: String
        var fired: Bool
        @Nullable var firing: Int64?
    }

    struct EscalationAnswer: Encodable {
        var id: Int64
        var rule: String
        var firing: Int64
        var state: String
        /// 1-based, as people count.
        var step: Int
        var steps: Int
        var text: String
        var alerted: [String]
        var startedAt: String
        @Nullable var nextAt: String?
        @Nullable var acknowledgedBy: String?
        @Nullable var acknowledgedAt: String?
        var journal: [String]

        init(_ escalation: Escalation) {
            id = escalation.id
            rule = escalation.rule
            firing = escalation.firing
            state = escalation.state.rawValue
            step = escalation.step + 1
            steps = escalation.steps.count
            text = escalation.text
            alerted = escalation.alerted
            startedAt = RulesAPI.timestamp(escalation.startedAt)
            nextAt = escalation.state == .active ? RulesAPI.timestamp(escalation.nextAt) : nil
            acknowledgedBy = escalation.acknowledgedBy
            acknowledgedAt = escalation.acknowledgedAt.map(RulesAPI.timestamp)
            journal = escalation.journal
        }

        enum CodingKeys: String, CodingKey {
            case id, rule, firing, state, step, steps, text, alerted, journal
            case startedAt = "started_at"
            case nextAt = "next_at"
            case acknowledgedBy = "acknowledged_by"
            case acknowledgedAt = "acknowledged_at"
        }
    }
}
