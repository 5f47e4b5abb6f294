import Foundation

// The requests and answers of providers (ABI 1.4, `handle_request`) and the status snapshot, as
// documented in `swiftlet_plugin.h`. The gateway and the SDK encode and decode them with these same
// types, so the two sides cannot drift apart.

/// What a provider offers (`SWIFTLET_ROLE_*`); each needs the manifest capability of its name.
public enum ProviderRole: Int32, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// Sends outgoing SMS instead of a modem (`transport.send`).
    case transport = 1
    /// Places calls (`voice.call`).
    case voice = 2
    /// Names to numbers, groups, optionally credentials (`directory.*`).
    case directory = 3

    public var name: String {
        switch self {
        case .transport: "transport"
        case .voice: "voice"
        case .directory: "directory"
        }
    }

    public var description: String { name }
}

/// The kinds of `handle_request`.
public enum ProviderRequestKind {
    public static let transportSend = "transport.send"
    public static let voiceCall = "voice.call"
    public static let directoryResolve = "directory.resolve"
    public static let directoryGroups = "directory.groups"
    public static let directoryVerify = "directory.verify"
    /// The host stopped waiting for request `request_id`; its answer will be ignored.
    public static let cancel = "cancel"
}

/// What every provider request carries besides its own members: the host sets both when it sends it.
public protocol ProviderRequestBody: Encodable, Sendable {
    /// The host's number for the request (a `cancel` names it).
    var requestId: UInt64 { get set }
    /// The name the provider registered under.
    var provider: String { get set }
}

/// `transport.send`: one SMS to one number.
public struct TransportSendRequest: ProviderRequestBody, Codable, Equatable {
    public var requestId: UInt64 = 0
    public var provider: String = ""
    /// The message's id in the gateway.
    public var id: Int
    /// Stable for the message across attempts and restarts: a transport offered a key it already
    /// accepted answers accepted again and sends nothing.
    public var key: String
    public var to: String
    public var text: String
    public var unicode: Bool = false
    public var flash: Bool = false
    public var priority: Int = 0
    /// 1 for the first attempt.
    public var attempt: Int = 1

    public init(id: Int, key: String, to: String, text: String) {
        self.id = id
        self.key = key
        self.to = to
        self.text = text
    }
}

/// The answer to `transport.send`.
public struct TransportAnswer: Codable, Sendable, Equatable {
    public var accepted: Bool
    /// The upstream's id for the message, when accepted.
    public var reference: String?
    /// Why not, when refused.
    public var error: String?
    /// Refused for good: trying again is pointless (a number the upstream refuses).
    public var permanent: Bool?
    /// ABI 1.5: the SMS parts the upstream billed, when accepted.
    public var parts: Int?
    /// ABI 1.5: what the upstream charged for it, in its currency.
    public var cost: Double?
    /// ABI 1.5: the transport will `report_delivery` for this message.
    public var reports: Bool?

    public static func accepted(
        reference: String? = nil,
        parts: Int? = nil,
        cost: Double? = nil,
        reports: Bool? = nil
    ) -> TransportAnswer {
        TransportAnswer(
            accepted: true,
            reference: reference,
            error: nil,
            permanent: nil,
            parts: parts,
            cost: cost,
            reports: reports
        )
    }

    public static func rejected(_ error: String, permanent: Bool) -> TransportAnswer {
        TransportAnswer(accepted: false, reference: nil, error: error, permanent: permanent)
    }
}

/// ABI 1.5 `report_delivery`: what became of a message a transport accepted (or could not tell
/// whether it sent).
public struct TransportDeliveryReport: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// The recipient's phone has it.
        case delivered
        /// The upstream gave up on it.
        case failed
        /// It went out after all (the transport had answered that it could not tell).
        case sent
    }

    /// The `id` and `key` of the `transport.send` request.
    public var id: Int
    public var key: String
    public var status: Status
    /// Why, for `failed`.
    public var detail: String?
    /// When it happened; nil: now.
    public var at: Date?

    public init(id: Int, key: String, status: Status, detail: String? = nil, at: Date? = nil) {
        self.id = id
        self.key = key
        self.status = status
        self.detail = detail
        self.at = at
    }
}

/// `voice.call`: one call to one number.
public struct VoiceCallRequest: ProviderRequestBody, Codable, Equatable {
    public enum Mode: String, Codable, Sendable { case tts, ring, audio }
    public var requestId: UInt64 = 0
    public var provider: String = ""
    public var id: Int
    public var key: String
    public var to: String
    public var mode: Mode
    /// What text-to-speech says (mode `tts`).
    public var text: String?
    /// A language tag such as "en" or "sv".
    public var language: String?
    /// A voice model's number (APIv2 `tts_advanced`'s `voice_id`).
    public var voice: Int?
    /// An audio clip's name (mode `audio`).
    public var audio: String?
    /// How many times the message is played once answered.
    public var `repeat`: Int = 1
    /// How long it rings before giving up (mode `ring`: before hanging up).
    public var ringSeconds: Int = 30
    /// The longest the call may last once answered.
    public var maxSeconds: Int = 120
    /// Whether keys pressed during the call are collected.
    public var dtmf: Bool = false

    public init(id: Int, key: String, to: String, mode: Mode) {
        self.id = id
        self.key = key
        self.to = to
        self.mode = mode
    }
}

/// How a call ended (the answer to `voice.call`).
public struct VoiceCallResult: Codable, Sendable, Equatable {
    public enum Result: String, Codable, Sendable {
        case answered, busy, rejected, failed
        case noAnswer = "no-answer"
    }
    public var result: Result
    /// Seconds the answered call lasted.
    public var duration: Int?
    /// The keys pressed, in order.
    public var digits: String?
    public var detail: String?

    public init(result: Result, duration: Int? = nil, digits: String? = nil, detail: String? = nil) {
        self.result = result
        self.duration = duration
        self.digits = digits
        self.detail = detail
    }
}

/// `directory.resolve`, `directory.groups` and `directory.verify`.
public struct DirectoryRequest: ProviderRequestBody, Codable, Equatable {
    public var requestId: UInt64 = 0
    public var provider: String = ""
    public var name: String?
    public var login: String?
    public var password: String?

    public init(name: String? = nil, login: String? = nil, password: String? = nil) {
        self.name = name
        self.login = login
        self.password = password
    }
}

/// What a directory knows of a name.
public struct DirectoryEntry: Codable, Sendable, Equatable {
    public struct Member: Codable, Sendable, Equatable {
        public var name: String
        public var number: String
        public init(name: String, number: String) {
            self.name = name
            self.number = number
        }
    }
    public var numbers: [String]
    public var members: [Member]?

    public init(numbers: [String], members: [Member]? = nil) {
        self.numbers = numbers
        self.members = members
    }
}

/// The answer to `directory.groups`.
public struct DirectoryGroups: Codable, Sendable, Equatable {
    public struct Group: Codable, Sendable, Equatable {
        public var name: String
        public var members: Int
        public init(name: String, members: Int) {
            self.name = name
            self.members = members
        }
    }
    public var groups: [Group]
    public init(groups: [Group]) { self.groups = groups }
}

/// The answer to `directory.verify`.
public struct DirectoryVerification: Codable, Sendable, Equatable {
    public var valid: Bool
    public var groups: [String]?
    /// What the user may do in the gateway: `admin`, `user` or `read_only` (absent: `user`).
    public var role: String?
    public init(valid: Bool, groups: [String]? = nil, role: String? = nil) {
        self.valid = valid
        self.groups = groups
        self.role = role
    }
}

/// The cancellation notice of a request the host stopped waiting for.
public struct CancelNotice: Codable, Sendable, Equatable {
    public var requestId: UInt64
    public init(requestId: UInt64) { self.requestId = requestId }
}

/// One series of a metric (ABI 1.4 `report_metric`, and the status snapshot).
public struct MetricSample: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case counter, gauge }
    public var name: String
    public var type: Kind
    public var help: String?
    public var labels: [String: String]?
    public var value: Double

    public init(name: String, type: Kind, help: String? = nil, labels: [String: String]? = nil, value: Double) {
        self.name = name
        self.type = type
        self.help = help
        self.labels = labels
        self.value = value
    }
}

/// The gateway's state, read-only (ABI 1.4 `status_snapshot`).
public struct StatusSnapshot: Codable, Sendable, Equatable {
    public struct Queue: Codable, Sendable, Equatable {
        public var queued = 0
        public var claimed = 0
        public var submitting = 0
        public var sent = 0
        public var failed = 0
        /// Seconds the longest-waiting due message has waited (0 when none waits).
        public var oldestSeconds = 0
        public init() {}

        // A gateway from before oldest_seconds leaves it out.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            queued = try container.decode(Int.self, forKey: .queued)
            claimed = try container.decode(Int.self, forKey: .claimed)
            submitting = try container.decode(Int.self, forKey: .submitting)
            sent = try container.decode(Int.self, forKey: .sent)
            failed = try container.decode(Int.self, forKey: .failed)
            oldestSeconds = try container.decodeIfPresent(Int.self, forKey: .oldestSeconds) ?? 0
        }
    }
    /// Messages sent and failed over recent periods (the figures SMSEagle's monitoring reads).
    public struct Traffic: Codable, Sendable, Equatable {
        public var sentLastDay = 0
        public var sentLast30Days = 0
        public var failedLastDay = 0
        public init() {}
    }
    public struct Modem: Codable, Sendable, Equatable {
        public var no: Int
        public var name: String
        /// ready, connecting, down, disabled
        public var state: String
        public var enabled: Bool
        /// Percent; -1 when unknown.
        public var signal: Int
        /// home, roaming, searching, denied, unknown
        public var registration: String
        public var `operator`: String?
        /// Messages in the sent folder that went through this modem (0 from a gateway before it).
        public var sent = 0
        /// Messages in the inbox that came in through this modem (0 from a gateway before it).
        public var received = 0
        public init(
            no: Int,
            name: String,
            state: String,
            enabled: Bool,
            signal: Int,
            registration: String,
            operator: String?
        ) {
            self.no = no
            self.name = name
            self.state = state
            self.enabled = enabled
            self.signal = signal
            self.registration = registration
            self.operator = `operator`
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            no = try container.decode(Int.self, forKey: .no)
            name = try container.decode(String.self, forKey: .name)
            state = try container.decode(String.self, forKey: .state)
            enabled = try container.decode(Bool.self, forKey: .enabled)
            signal = try container.decode(Int.self, forKey: .signal)
            registration = try container.decode(String.self, forKey: .registration)
            `operator` = try container.decodeIfPresent(String.self, forKey: .operator)
            sent = try container.decodeIfPresent(Int.self, forKey: .sent) ?? 0
            received = try container.decodeIfPresent(Int.self, forKey: .received) ?? 0
        }
    }
    public struct Plugin: Codable, Sendable, Equatable {
        public var id: String
        public var health: String
        public var detail: String
        public init(id: String, health: String, detail: String) {
            self.id = id
            self.health = health
            self.detail = detail
        }
    }
    public struct Provider: Codable, Sendable, Equatable {
        public var role: String
        public var name: String
        public var plugin: String
        public init(role: String, name: String, plugin: String) {
            self.role = role
            self.name = name
            self.plugin = plugin
        }
    }
    public var version: String
    public var node: String
    public var uptimeSeconds: Int
    public var at: Date
    public var queue: Queue
    public var inbox: Int
    public var modems: [Modem]
    public var plugins: [Plugin]
    public var providers: [Provider]
    public var metrics: [MetricSample]
    /// Zero from a gateway before it.
    public var traffic = Traffic()
    /// Webhook deliveries not yet made (0 from a gateway before it).
    public var webhooksPending = 0

    public init(
        version: String,
        node: String,
        uptimeSeconds: Int,
        at: Date,
        queue: Queue,
        inbox: Int,
        modems: [Modem],
        plugins: [Plugin],
        providers: [Provider],
        metrics: [MetricSample]
    ) {
        self.version = version
        self.node = node
        self.uptimeSeconds = uptimeSeconds
        self.at = at
        self.queue = queue
        self.inbox = inbox
        self.modems = modems
        self.plugins = plugins
        self.providers = providers
        self.metrics = metrics
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(String.self, forKey: .version)
        node = try container.decode(String.self, forKey: .node)
        uptimeSeconds = try container.decode(Int.self, forKey: .uptimeSeconds)
        at = try container.decode(Date.self, forKey: .at)
        queue = try container.decode(Queue.self, forKey: .queue)
        inbox = try container.decode(Int.self, forKey: .inbox)
        modems = try container.decode([Modem].self, forKey: .modems)
        plugins = try container.decode([Plugin].self, forKey: .plugins)
        providers = try container.decode([Provider].self, forKey: .providers)
        metrics = try container.decode([MetricSample].self, forKey: .metrics)
        traffic = try container.decodeIfPresent(Traffic.self, forKey: .traffic) ?? Traffic()
        webhooksPending = try container.decodeIfPresent(Int.self, forKey: .webhooksPending) ?? 0
    }
}
