import Foundation

/// Something that happened: an event of the bus, a schedule's time, an API call.
public struct RuleEvent: Sendable {
    public var kind: String
    /// Its fields as text (numbers as they were written), e.g. `from`, `text`.
    public var fields: [String: String]

    public init(kind: String, fields: [String: String]) {
        self.kind = kind
        self.fields = fields
    }

    /// An event of the bus: its JSON object's members, non-text ones as JSON text.
    public init?(kind: String, json: Data) {
        guard let object = try? JSONDecoder().decode([String: Member].self, from: json) else { return nil }
        var fields = object.compactMapValues(\.text)
        if fields["sender"] == nil, let from = fields["from"] { fields["sender"] = from }
        self.init(kind: kind, fields: fields)
    }
}

/// A member of an event's JSON object, as text.
private struct Member: Decodable {
    var text: String?

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            text = nil
        } else if let value = try? container.decode(Bool.self) {
            text = value ? "true" : "false"
        } else if let value = try? container.decode(Int64.self) {
            text = String(value)
        } else if let value = try? container.decode(Double.self) {
            text = String(value)
        } else if let value = try? container.decode(String.self) {
            text = value
        } else {
            text = "…"  // an array or object: not a field a rule can test
        }
    }
}

/// A rule changed at run time (through the API), stored so that it survives a restart. A nil
/// `definition` only switches a rule of the configuration file on or off.
public struct StoredRule: Sendable, Equatable {
    public var name: String
    public var definition: String?
    public var enabled: Bool

    public init(name: String, definition: String?, enabled: Bool) {
        self.name = name
        self.definition = definition
        self.enabled = enabled
    }
}

/// One firing of a rule, for the history: what fired it, which conditions held, what was done.
public struct RuleFiring: Sendable, Codable, Equatable {
    public var id: Int64
    public var rule: String
    public var trigger: String
    public var at: Date
    public var event: [String: String]
    public var matched: [String]
    public var outcomes: [String]
    /// The rule's limit key, if it has a limit.
    public var key: String?
}

/// An escalation in progress or ended, as stored: a restarted gateway continues it from here.
public struct Escalation: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable {
        case active, acknowledged, unacknowledged
    }

    public var id: Int64
    public var rule: String
    public var firing: Int64
    public var text: String
    public var steps: [EscalationPlan.Step]
    public var keyword: String?
    public var byCall: Bool
    /// Each step's recipients are also called (absent in records made before voice escalations).
    public var voice: Bool?
    /// The key that, pressed during such a call, acknowledges.
    public var digit: String?
    /// Answering such a call acknowledges (absent: only the key does).
    public var byAnswer: Bool?
    /// The step whose recipients were alerted last (0-based); -1 before the first (held by quiet hours).
    public var step: Int
    /// When the current step's wait ends (or, at step -1, when the first step is due).
    public var nextAt: Date
    public var state: State
    /// Every number alerted so far; any of them may acknowledge.
    public var alerted: [String]
    public var startedAt: Date
    public var acknowledgedBy: String?
    public var acknowledgedAt: Date?
    /// What happened, line by line ("step 1 sent to +4670…").
    public var journal: [String]
}

/// Where rules, firings and escalations are kept. Every change is committed when the call returns.
public protocol RuleStore: Sendable {
    func storedRules() async throws -> [StoredRule]
    func storeRule(_ rule: StoredRule) async throws
    func removeStoredRule(named name: String) async throws
    /// Stores a firing; returns its id.
    func recordFiring(_ firing: RuleFiring) async throws -> Int64
    func addOutcomes(_ outcomes: [String], toFiring id: Int64) async throws
    /// Newest first.
    func firings(rule: String?, limit: Int) async throws -> [RuleFiring]
    /// When `rule` last fired with `key`.
    func lastFiring(rule: String, key: String?) async throws -> Date?
    /// Inserts (id 0) or replaces an escalation; returns its id.
    func saveEscalation(_ escalation: Escalation) async throws -> Int64
    /// Newest first.
    func escalations(activeOnly: Bool, limit: Int) async throws -> [Escalation]
    func escalation(id: Int64) async throws -> Escalation?
}

/// A rule-engine kind a plugin registered: a trigger (events it publishes) or an action (events
/// delivered to it), with a check of a rule's parameters against the kind's schema.
public struct PluginRuleKind: Sendable {
    public enum Role: String, Sendable { case trigger, action }
    public var plugin: String
    public var role: Role
    /// nil if the parameters (a JSON object) fit the schema, else why not.
    public var check: @Sendable (Data) -> String?

    public init(plugin: String, role: Role, check: @escaping @Sendable (Data) -> String?) {
        self.plugin = plugin
        self.role = role
        self.check = check
    }
}

/// What the engine does to the world.
public protocol RuleEffects: Sendable {
    /// Queues `text` for `recipients` (not before `notBefore`); returns the numbers it was queued for.
    /// Queues `text` to `recipients` (those on duty), sent as `routing` says, not before `notBefore`;
    /// returns the numbers.
    func send(
        _ text: String,
        to recipients: Recipients,
        routing: SMSRouting,
        notBefore: Date?,
        rule: String
    ) async throws -> [String]
    func isInGroup(_ number: String, group: String) async throws -> Bool
    /// Adds or removes `number`; false if nothing changed.
    func changeGroup(_ group: String, number: String, add: Bool) async throws -> Bool
    /// POSTs `body` (JSON); returns the HTTP status.
    func post(_ body: Data, to url: URL) async throws -> Int
    /// Queues a text-to-speech call of `text` to those of `recipients` on duty now (a voice
    /// provider places it); returns the numbers called.
    func call(_ text: String, to recipients: Recipients, seconds: Int, rule: String) async throws -> [String]
    /// Hands a plugin action to its plugin.
    func perform(pluginAction kind: String, _ body: Data) throws
    /// The plugin kind of that name, if a running plugin registered it.
    func pluginKind(_ kind: String) -> PluginRuleKind?
    /// Whether an effect failed for a reason that may pass (the store is busy or unavailable), so
    /// that the event is worth offering again, rather than for good (an unknown contact).
    func isTransient(_ error: any Error) -> Bool
}

extension RuleEffects {
    public func isTransient(_ error: any Error) -> Bool { false }

    public func call(_ text: String, to recipients: Recipients, seconds: Int, rule: String) async throws -> [String] {
        throw RuleError("this gateway places no calls")
    }
}

/// How a rule's message is sent: pinned to a modem number (or to the transport's,
/// `dispatcher.transport_modem_no`), and at which priority (an urgent rule's at the highest).
public struct SMSRouting: Sendable, Equatable, Codable {
    public var modemNumber: Int?
    public var priority: Int?

    public init(modemNumber: Int? = nil, priority: Int? = nil) {
        self.modemNumber = modemNumber
        self.priority = priority
    }

    /// The highest priority, which messages of urgent rules get.
    public static let urgentPriority = 9
}
