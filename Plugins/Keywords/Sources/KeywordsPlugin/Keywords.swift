import Foundation
import SwiftletPluginSDK
import Synchronization

/// Incoming SMS by their first word (Pixie's "prefix" rules): a keyword can reply, subscribe the
/// sender to a phonebook group or unsubscribe them, and forward the message to numbers.
public final class Keywords: Plugin {
    public static let id = "keywords"
    public static let version = "1.0.0"

    public struct Configuration: Decodable, Sendable {
        public var keywords: [Rule]
        /// At most this many automatic replies to one sender per hour (0: no limit), so that two
        /// auto-responders cannot ping-pong forever.
        public var maxRepliesPerHour: Int

        public init(keywords: [Rule], maxRepliesPerHour: Int = 10) {
            self.keywords = keywords
            self.maxRepliesPerHour = maxRepliesPerHour
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            keywords = try container.decodeIfPresent([Rule].self, forKey: .keywords) ?? []
            maxRepliesPerHour = try container.decodeIfPresent(Int.self, forKey: .maxRepliesPerHour) ?? 10
        }

        enum CodingKeys: String, CodingKey { case keywords, maxRepliesPerHour }
    }

    /// What one keyword does, in this order: unsubscribe, subscribe, forward, reply.
    public struct Rule: Decodable, Sendable, Equatable {
        /// The first word of the message, matched without regard to case.
        public var keyword: String
        /// Sent back to the sender. `{from}`, `{text}` (the whole message) and `{rest}` (after the
        /// keyword) are replaced.
        public var reply: String?
        /// Adds the sender to this phonebook group (created if missing).
        public var subscribe: String?
        /// Removes the sender from this phonebook group.
        public var unsubscribe: String?
        /// Sends "SMS from {from}: {text}" (or `forwardText`) to these numbers.
        public var forward: [String]?
        public var forwardText: String?

        public init(
            keyword: String,
            reply: String? = nil,
            subscribe: String? = nil,
            unsubscribe: String? = nil,
            forward: [String]? = nil,
            forwardText: String? = nil
        ) {
            self.keyword = keyword
            self.reply = reply
            self.subscribe = subscribe
            self.unsubscribe = unsubscribe
            self.forward = forward
            self.forwardText = forwardText
        }
    }

    let rules: [String: Rule]
    let host: any PluginHost
    let maxRepliesPerHour: Int
    private let replies = Mutex<[String: [Date]]>([:])

    public init(configuration: Configuration, host: any PluginHost) throws {
        var rules: [String: Rule] = [:]
        for rule in configuration.keywords {
            let word = rule.keyword.trimmingCharacters(in: .whitespaces)
            guard !word.isEmpty, !word.contains(where: \.isWhitespace) else {
                throw PluginError(.invalid, "keywords: '\(rule.keyword)' is not one word")
            }
            guard rules.updateValue(rule, forKey: word.uppercased()) == nil else {
                throw PluginError(.invalid, "keywords: '\(word)' is configured twice")
            }
        }
        self.rules = rules
        self.host = host
        self.maxRepliesPerHour = configuration.maxRepliesPerHour
    }

    public func start() async throws {
        try host.subscribe(IncomingSMSEvent.kind)
        if rules.isEmpty {
            host.log(.warning, "no keyword is configured: incoming messages are left alone")
        } else {
            host.log(.info, "answering keywords \(rules.keys.sorted().joined(separator: ", "))")
        }
    }

    public func handle(_ event: Event) async {
        guard event.kind == IncomingSMSEvent.kind else { return }
        let sms: IncomingSMSEvent
        do {
            sms = try event.decode(IncomingSMSEvent.self)
        } catch {
            host.log(.error, "cannot read an \(event.kind) event: \(error)")
            return
        }
        let (word, rest) = Self.firstWord(of: sms.text)
        guard let rule = rules[word.uppercased()] else { return }
        host.log(.info, "message \(sms.id) from \(sms.from) matches keyword \(rule.keyword)")
        await run(rule, for: sms, rest: rest)
    }

    func run(_ rule: Rule, for sms: IncomingSMSEvent, rest: String) async {
        if let group = rule.unsubscribe {
            await attempt("remove \(sms.from) from group \(group)") {
                let removed = try await host.removeFromGroup(group, number: sms.from)
                host.log(
                    .info,
                    removed ? "removed \(sms.from) from group \(group)" : "\(sms.from) was not in group \(group)"
                )
            }
        }
        if let group = rule.subscribe {
            await attempt("add \(sms.from) to group \(group)") {
                let added = try await host.addToGroup(group, number: sms.from, contactName: nil, createGroup: true)
                host.log(
                    .info,
                    added ? "added \(sms.from) to group \(group)" : "\(sms.from) is in group \(group) already"
                )
            }
        }
        if let numbers = rule.forward, !numbers.isEmpty {
            let text = Self.fill(rule.forwardText ?? "SMS from {from}: {text}", sms: sms, rest: rest)
            await attempt("forward message \(sms.id)") {
                let ids = try await host.send(OutgoingSMS(to: numbers, text: Self.clip(text)))
                host.log(.info, "forwarded message \(sms.id) as \(ids.map(String.init).joined(separator: ", "))")
            }
        }
        if let reply = rule.reply {
            guard Self.isPhoneNumber(sms.from) else {
                host.log(.notice, "not replying to \(sms.from): not a phone number (a service or an operator)")
                return
            }
            guard allowReply(to: sms.from) else {
                host.log(.warning, "not replying to \(sms.from): \(maxRepliesPerHour) replies in the last hour already")
                return
            }
            await attempt("reply to \(sms.from)") {
                let ids = try await host.send(
                    OutgoingSMS(to: [sms.from], text: Self.clip(Self.fill(reply, sms: sms, rest: rest)))
                )
                host.log(.info, "replied to \(sms.from) as message \(ids.first ?? 0)")
            }
        }
    }

    private func attempt(_ what: String, _ body: () async throws -> Void) async {
        do {
            try await body()
        } catch {
            host.log(.error, "cannot \(what): \(error)")
        }
    }

    private func allowReply(to number: String, now: Date = Date()) -> Bool {
        guard maxRepliesPerHour > 0 else { return true }
        return replies.withLock { replies in
            var recent = (replies[number] ?? []).filter { now.timeIntervalSince($0) < 3600 }
            guard recent.count < maxRepliesPerHour else {
                replies[number] = recent
                return false
            }
            recent.append(now)
            replies[number] = recent
            return true
        }
    }

    /// The first word and what follows it (trimmed).
    static func firstWord(of text: String) -> (String, String) {
        let trimmed = text.drop(while: \.isWhitespace)
        guard let end = trimmed.firstIndex(where: \.isWhitespace) else { return (String(trimmed), "") }
        return (String(trimmed[..<end]), trimmed[end...].trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func fill(_ template: String, sms: IncomingSMSEvent, rest: String) -> String {
        template.replacingOccurrences(of: "{from}", with: sms.from)
            .replacingOccurrences(of: "{rest}", with: rest)
            .replacingOccurrences(of: "{text}", with: sms.text)
    }

    /// Texts longer than the gateway accepts are cut rather than refused.
    static func clip(_ text: String) -> String { OutgoingSMS.clip(text, ellipsis: "…") }

    static func isPhoneNumber(_ sender: String) -> Bool {
        let digits = sender.hasPrefix("+") ? sender.dropFirst() : Substring(sender)
        return digits.count >= 3 && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
    }
}
