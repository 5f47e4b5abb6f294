import Foundation

/// What the gateway offers a plugin: the host services of `swiftlet_host_api`, as `async` Swift.
///
/// Every method is safe to call from any task or thread. In a running gateway this is backed by
/// the C table; in tests, by `FakeHost` from `SwiftletPluginTestKit`.
public protocol PluginHost: Sendable {
    /// Writes to the gateway's log, tagged with the plugin's id.
    func log(_ level: LogLevel, _ message: String)
    /// Queues an SMS; returns the ids of the messages once they are on disk.
    func send(_ sms: OutgoingSMS) async throws -> [Int]
    /// Puts a message into the inbox (for plugins that are message sources); returns its id.
    func deliverIncoming(_ sms: IncomingSMS) async throws -> Int
    func lookUpPhonebook(_ query: PhonebookQuery) async throws -> PhonebookEntries
    /// Adds `number` to `group`; false if it was in the group already.
    func addToGroup(_ group: String, number: String, contactName: String?, createGroup: Bool) async throws -> Bool
    /// Removes `number` from `group`; false if it was not in it.
    func removeFromGroup(_ group: String, number: String) async throws -> Bool
    /// The numbers a name stands for: a contact, a group, or a directory entry.
    func resolve(name: String) async throws -> [String]
    func subscribe(_ kind: String) throws
    func publish(_ kind: String, json: Data) throws
    func stateValue(forKey key: String) async throws -> String?
    func setState(_ value: String, forKey key: String) async throws
    func removeState(forKey key: String) async throws
    /// Calls `fire` after `delay`, then every `interval` if given, until cancelled.
    func startTimer(
        after delay: Duration,
        every interval: Duration?,
        _ fire: @escaping @Sendable () -> Void
    ) throws
        -> UInt64
    func cancelTimer(_ id: UInt64) throws
    /// ABI 1.1: registers a rule-engine trigger or action kind (`"<plugin id>.<name>"`); for an
    /// action, `schema` is a JSON Schema of a rule's parameters. Throws `.unsupported` on a 1.0 gateway.
    func registerRuleKind(_ kind: String, role: RuleKindRole, schema: String?) throws
    /// ABI 1.2: publishes an event of one of the plugin's trigger kinds and returns once the rule
    /// engine has handled it (the rules it fired, their messages committed). Acknowledge what you
    /// received (a PUBACK, a 250) only after this returns. Throws `.unavailable` when an action could
    /// not be committed or the gateway is stopping, `.unsupported` on an older gateway.
    func publishAndWait(_ kind: String, json: Data) async throws -> [String]
    /// ABI 1.2: the plugin's health, shown by `swiftlet plugins list` (report changes, not a heartbeat).
    /// Ignored by older gateways.
    func reportHealth(_ health: PluginHealth, _ detail: String)
    /// ABI 1.3: whether credentials `client` (an IP address) offers for `login` may be checked now;
    /// false while the gateway's failed-login limiter blocks the client or the login: refuse them
    /// unchecked. Always true on older gateways.
    func mayCheckLogin(client: String, login: String) -> Bool
    /// ABI 1.3: the credentials were wrong; counts against the client and the login. Returns whether
    /// that blocked them. Ignored by older gateways.
    @discardableResult
    func loginFailed(client: String, login: String) -> Bool
    /// ABI 1.4: offers `role` under `name`; from then on the gateway sends the plugin that role's
    /// requests (the plugin type must conform to ``TransportProvider``, ``VoiceProvider`` or
    /// ``DirectoryProvider``). Register in `start()`. Throws `.unsupported` on an older gateway,
    /// `.denied` without the manifest capability of the role's name.
    func registerProvider(_ role: ProviderRole, name: String, schema: String?) throws
    /// ABI 1.4: the gateway's state, read-only (capability "status").
    func statusSnapshot() async throws -> StatusSnapshot
    /// ABI 1.4: adds to a counter or sets a gauge (capability "metrics"), published as
    /// `swiftlet_<plugin id>_<name>`.
    func reportMetric(_ sample: MetricSample) throws
    /// ABI 1.5: what became of a message this plugin's transport accepted (capability "transport"):
    /// delivered or failed (the recipient's status report), or sent after all (the transport had
    /// answered it could not tell). Throws `.notFound` when no such message went through this
    /// plugin's transports, `.unsupported` on an older gateway.
    func reportDelivery(_ report: TransportDeliveryReport) async throws
}

/// How a plugin is (ABI 1.2 `report_health`).
public enum PluginHealth: Int32, Sendable, CaseIterable {
    /// Working: connected, listening.
    case ok = 0
    /// Working in part (one of two servers unreachable, a backlog building up).
    case degraded = 1
    /// Not doing its job now (disconnected, refused credentials); say why, and what it does about it.
    case down = 2
}

/// What a plugin's rule-engine kind is (ABI 1.1).
public enum RuleKindRole: Int32, Sendable {
    /// The plugin publishes events of the kind; rules name it under `on:`.
    case trigger = 1
    /// Rules name it under `then:`; each action taken reaches the plugin as an event of the kind.
    case action = 2
}

extension PluginHost {
    /// For hosts written before ABI 1.1.
    public func registerRuleKind(_ kind: String, role: RuleKindRole, schema: String?) throws {
        throw PluginError(.unsupported, "this host does not offer rule-engine kinds")
    }

    /// For hosts written before ABI 1.2.
    public func publishAndWait(_ kind: String, json: Data) async throws -> [String] {
        throw PluginError(.unsupported, "this host does not offer publish_and_wait")
    }

    /// For hosts written before ABI 1.3: nothing is limited.
    public func mayCheckLogin(client: String, login: String) -> Bool { true }

    /// For hosts written before ABI 1.3: nothing is limited.
    @discardableResult
    public func loginFailed(client: String, login: String) -> Bool { false }

    /// For hosts written before ABI 1.4.
    public func registerProvider(_ role: ProviderRole, name: String, schema: String?) throws {
        throw PluginError(.unsupported, "this host does not offer register_provider")
    }

    /// For hosts written before ABI 1.4.
    public func statusSnapshot() async throws -> StatusSnapshot {
        throw PluginError(.unsupported, "this host does not offer status_snapshot")
    }

    /// For hosts written before ABI 1.4.
    public func reportMetric(_ sample: MetricSample) throws {
        throw PluginError(.unsupported, "this host does not offer report_metric")
    }

    /// For hosts written before ABI 1.2: logged instead.
    public func reportHealth(_ health: PluginHealth, _ detail: String) {
        log(health == .ok ? .info : .warning, "health \(health): \(detail)")
    }

    public func publish(_ kind: String, _ body: some Encodable) throws {
        try publish(kind, json: try JSONCoding.encoder.encode(body))
    }
}

/// A message to queue (`send_sms`).
public struct OutgoingSMS: Codable, Sendable, Equatable {
    public var to: [String]
    public var contacts: [String]
    public var groups: [String]
    public var text: String
    public var priority: Int?
    public var unicode: Bool?
    public var flash: Bool?
    public var modemNo: Int?
    public var date: Date?
    /// An idempotency key (ABI 1.2): the host queues a request with a key this plugin already used
    /// (within 30 days) only once, and answers the ids the first one got. Use it when the source
    /// may offer the same thing again after a crash (a redelivered MQTT message, a mail polled again).
    public var key: String?

    public init(
        to: [String] = [],
        contacts: [String] = [],
        groups: [String] = [],
        text: String,
        priority: Int? = nil,
        unicode: Bool? = nil,
        flash: Bool? = nil,
        modemNo: Int? = nil,
        date: Date? = nil,
        key: String? = nil
    ) {
        self.to = to
        self.contacts = contacts
        self.groups = groups
        self.text = text
        self.priority = priority
        self.unicode = unicode
        self.flash = flash
        self.modemNo = modemNo
        self.date = date
        self.key = key
    }

    /// The longest text the gateway queues, in characters. A character is a Unicode code point, as
    /// SMSEagle counts it (PHP's `mb_strlen`): "\r\n" is two, "👍🏽" two, "é" one or two. Swift's
    /// `String.count` counts grapheme clusters and says one for each of these.
    public static let maximumLength = 1530

    /// `text` cut to at most `limit` characters (code points, as above), never inside a grapheme (an
    /// emoji with its modifier, a letter with its accent); `ellipsis`, when given, ends a cut text and
    /// counts towards the limit. A text within the limit is answered unchanged.
    public static func clip(_ text: String, to limit: Int = maximumLength, ellipsis: String = "") -> String {
        guard text.unicodeScalars.count > limit else { return text }
        var room = limit - ellipsis.unicodeScalars.count
        var end = text.startIndex
        for character in text {
            room -= character.unicodeScalars.count
            guard room >= 0 else { break }
            end = text.index(after: end)
        }
        return String(text[..<end]) + ellipsis
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        to = try container.decodeIfPresent([String].self, forKey: .to) ?? []
        contacts = try container.decodeIfPresent([String].self, forKey: .contacts) ?? []
        groups = try container.decodeIfPresent([String].self, forKey: .groups) ?? []
        text = try container.decode(String.self, forKey: .text)
        priority = try container.decodeIfPresent(Int.self, forKey: .priority)
        unicode = try container.decodeIfPresent(Bool.self, forKey: .unicode)
        flash = try container.decodeIfPresent(Bool.self, forKey: .flash)
        modemNo = try container.decodeIfPresent(Int.self, forKey: .modemNo)
        date = try container.decodeIfPresent(Date.self, forKey: .date)
        key = try container.decodeIfPresent(String.self, forKey: .key)
    }
}

/// A message for the inbox (`deliver_incoming`).
public struct IncomingSMS: Codable, Sendable, Equatable {
    public var from: String
    public var text: String
    public var sentAt: Date?
    public var channel: String?

    public init(from: String, text: String, sentAt: Date? = nil, channel: String? = nil) {
        self.from = from
        self.text = text
        self.sentAt = sentAt
        self.channel = channel
    }
}

/// A phonebook question (`phonebook_lookup`): exactly one member is set.
public struct PhonebookQuery: Codable, Sendable, Equatable {
    public var number: String?
    public var contact: String?
    public var group: String?

    public static func number(_ number: String) -> Self { Self(number: number) }
    public static func contact(_ name: String) -> Self { Self(contact: name) }
    public static func group(_ name: String) -> Self { Self(group: name) }
}

public struct PhonebookEntries: Codable, Sendable, Equatable {
    public struct Contact: Codable, Sendable, Equatable {
        public var id: Int
        public var name: String
        public var number: String
        public var groups: [String]

        public init(id: Int, name: String, number: String, groups: [String]) {
            self.id = id
            self.name = name
            self.number = number
            self.groups = groups
        }
    }

    public struct Group: Codable, Sendable, Equatable {
        public var id: Int
        public var name: String
        public var members: Int

        public init(id: Int, name: String, members: Int) {
            self.id = id
            self.name = name
            self.members = members
        }
    }

    public var contacts: [Contact]
    public var groups: [Group]

    public init(contacts: [Contact] = [], groups: [Group] = []) {
        self.contacts = contacts
        self.groups = groups
    }
}
