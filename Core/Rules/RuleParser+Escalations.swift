import Foundation
import Yams

/// Escalations as rules write them: the text, the steps (recipients and a wait each), and how
/// someone acknowledges (an SMS keyword, any reply, a call, a key pressed in a voice call).
extension RuleParser {
    func escalation(_ node: Node, _ key: String, fields known: Set<String>?) throws(RuleParseError) -> EscalationPlan {
        let fields = try mapping(node, key, known: ["text", "steps", "ack", "voice"])
        guard let textNode = fields["text"] else { throw error(node, key + ".text", "the alarm needs a text") }
        guard let stepList = fields["steps"]?.sequence, !stepList.isEmpty, stepList.count <= 20 else {
            throw error(fields["steps"] ?? node, key + ".steps", "give 1 to 20 steps, each recipients and a wait")
        }
        var steps: [EscalationPlan.Step] = []
        for (offset, item) in stepList.enumerated() {
            let path = "\(key).steps[\(offset)]"
            let step = try mapping(item, path, known: ["to", "contacts", "groups", "shift", "wait"])
            guard let wait = step["wait"] else {
                throw error(item, path + ".wait", "how long to wait for an acknowledgement, e.g. wait: 10m")
            }
            let duration = try duration(wait, path + ".wait")
            steps.append(
                EscalationPlan.Step(
                    recipients: try recipients(item, step, path),
                    waitSeconds: Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
                )
            )
        }
        var keyword: String? = "ACK"
        var byCall = true
        let voice =
            try fields["voice"].map { node throws(RuleParseError) in try boolean(node, key + ".voice") } ?? false
        var digit: String? = voice ? "1" : nil
        var byAnswer = false
        if let ackNode = fields["ack"] {
            let ack = try mapping(ackNode, key + ".ack", known: ["keyword", "any_reply", "call", "digit", "answered"])
            if let node = ack["keyword"] { keyword = try string(node, key + ".ack.keyword").uppercased() }
            if let node = ack["any_reply"], try boolean(node, key + ".ack.any_reply") { keyword = nil }
            if let node = ack["call"] { byCall = try boolean(node, key + ".ack.call") }
            if let node = ack["digit"] {
                guard voice else {
                    throw error(node, key + ".ack.digit", "a key is pressed during a call: set voice: true")
                }
                let text = try string(node, key + ".ack.digit")
                guard text.count == 1, "0123456789*#".contains(text) else {
                    throw error(node, key + ".ack.digit", "'\(text)' is not one key of a phone (0-9, * or #)")
                }
                digit = text
            }
            if let node = ack["answered"] {
                guard voice else { throw error(node, key + ".ack.answered", "answering needs a call: set voice: true") }
                byAnswer = try boolean(node, key + ".ack.answered")
            }
        }
        var plan = EscalationPlan(
            text: try template(textNode, key + ".text", fields: known),
            steps: steps,
            keyword: keyword,
            byCall: byCall
        )
        plan.voice = voice
        plan.digit = digit
        plan.byAnswer = byAnswer
        return plan
    }
}
