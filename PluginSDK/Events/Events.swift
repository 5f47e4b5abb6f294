import Foundation

// The bodies of the core event kinds, as documented in `swiftlet_plugin.h`. The gateway encodes
// them with these same types, so the schema cannot drift from the documentation's Swift side.

/// `sms.incoming`: a message was committed to the inbox.
public struct IncomingSMSEvent: Codable, Sendable, Equatable {
    public static let kind = "sms.incoming"
    public var id: Int
    public var from: String
    public var text: String
    public var sentAt: Date
    public var receivedAt: Date
    /// The modem's name, or the channel of the plugin that delivered it.
    public var modem: String
    public var unicode: Bool

    public init(id: Int, from: String, text: String, sentAt: Date, receivedAt: Date, modem: String, unicode: Bool) {
        self.id = id
        self.from = from
        self.text = text
        self.sentAt = sentAt
        self.receivedAt = receivedAt
        self.modem = modem
        self.unicode = unicode
    }
}

/// `sms.status`: an outgoing message was sent, failed for good, or got its delivery report.
public struct MessageStatusEvent: Codable, Sendable, Equatable {
    public static let kind = "sms.status"
    public enum Status: String, Codable, Sendable, CaseIterable { case sent, failed, delivered, undelivered }
    public var id: Int
    public var to: String
    public var status: Status
    public var at: Date
    public var modem: String?
    public var error: String?

    public init(id: Int, to: String, status: Status, at: Date, modem: String?, error: String? = nil) {
        self.id = id
        self.to = to
        self.status = status
        self.at = at
        self.modem = modem
        self.error = error
    }
}

/// `modem.status`: a modem became ready, is connecting, or went down.
public struct ModemStatusEvent: Codable, Sendable, Equatable {
    public static let kind = "modem.status"
    public enum State: String, Codable, Sendable { case ready, connecting, down }
    public var modem: String
    public var modemNo: Int
    public var state: State
    public var detail: String

    public init(modem: String, modemNo: Int, state: State, detail: String) {
        self.modem = modem
        self.modemNo = modemNo
        self.state = state
        self.detail = detail
    }
}

/// `call.ended`: a voice provider placed a call (ABI 1.4) and it ended.
public struct CallEndedEvent: Codable, Sendable, Equatable {
    public static let kind = "call.ended"
    /// The call's id in the outbox.
    public var id: Int
    public var to: String
    /// answered, busy, no-answer, rejected, failed
    public var result: String
    public var duration: Int?
    /// The keys pressed during the call.
    public var digits: String?
    /// The voice provider's name.
    public var provider: String
    public var at: Date

    public init(
        id: Int,
        to: String,
        result: String,
        duration: Int?,
        digits: String?,
        provider: String,
        at: Date
    ) {
        self.id = id
        self.to = to
        self.result = result
        self.duration = duration
        self.digits = digits
        self.provider = provider
        self.at = at
    }
}

/// What a plugin's rule action receives (ABI 1.1, `register_rule_kind` with the action role): the
/// rule that fired, the action's parameters as the rule wrote them (placeholders filled in), and
/// the triggering event's fields as texts. Decode it with the action's own parameter type:
/// `try event.decode(RuleActionEvent<Parameters>.self)`.
public struct RuleActionEvent<Parameters: Decodable & Sendable>: Decodable, Sendable {
    public var rule: String
    public var parameters: Parameters
    public var event: [String: String]
}
