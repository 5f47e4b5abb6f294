import Foundation

/// The identifier of a message, unique within its direction (outgoing or incoming).
public typealias MessageID = Int64

/// What an outgoing message asks the modem to do.
public enum MessageKind: String, Sendable, Equatable {
    /// An SMS to `recipient`.
    case sms
    /// A USSD request: `recipient` holds the code (e.g. `*101#`), as SMSEagle's outbox shows it. The
    /// network's answer arrives in the inbox, from the code.
    case ussd
    /// An 8-bit message (`send_binary_sms`): `text` holds the data in hex, `options.udh` its header.
    case binary
    /// An MMS (`message_type=mms`): `text` and the attachments stored with it.
    case mms
    /// A wake-up call (APIv2 `calls/ring`): the modem calls `recipient` and hangs up after `text`
    /// seconds (or when answered and ended).
    case ring
}

/// An outgoing message to one recipient, as stored.
public struct OutgoingMessage: Sendable, Equatable {
    public var id: MessageID
    public var recipient: PhoneNumber
    public var text: String
    public var options: SendOptions
    public var state: OutgoingState
    /// The API user or component that queued it.
    public var createdBy: String
    public var createdAt: Date
    public var updatedAt: Date
    /// Not sent before this time (the API's `date`).
    public var notBefore: Date
    public var sentAt: Date?
    /// Send attempts so far.
    public var attempts: Int
    /// The TP-Message-Reference(s) the modem returned, one per part.
    public var messageReferences: [Int]
    /// Number of SMS parts it was sent as.
    public var parts: Int
    /// Why the last attempt failed.
    public var lastError: String?
    /// Which modem sent it.
    public var modem: String?
    /// What the network's status reports say; nil when none was asked for.
    public var delivery: DeliveryState?
    /// When the network delivered it (or gave up).
    public var deliveredAt: Date?
    public var kind: MessageKind

    public init(
        id: MessageID,
        recipient: PhoneNumber,
        text: String,
        options: SendOptions,
        state: OutgoingState,
        createdBy: String,
        createdAt: Date,
        updatedAt: Date,
        notBefore: Date,
        sentAt: Date? = nil,
        attempts: Int = 0,
        messageReferences: [Int] = [],
        parts: Int = 0,
        lastError: String? = nil,
        modem: String? = nil,
        delivery: DeliveryState? = nil,
        deliveredAt: Date? = nil,
        kind: MessageKind = .sms
    ) {
        self.id = id
        self.recipient = recipient
        self.text = text
        self.options = options
        self.state = state
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.notBefore = notBefore
        self.sentAt = sentAt
        self.attempts = attempts
        self.messageReferences = messageReferences
        self.parts = parts
        self.lastError = lastError
        self.modem = modem
        self.delivery = delivery
        self.deliveredAt = deliveredAt
        self.kind = kind
    }
}

/// A sent message's delivery, from the network's status reports.
public enum DeliveryState: String, Sendable, Equatable {
    /// Asked for a report; none final yet.
    case pending
    /// Every part reached the phone.
    case delivered
    /// The network gave up on a part.
    case failed
}

/// The network's status report on one part of a sent message.
public struct DeliveryReport: Sendable, Equatable {
    public var modem: String
    /// The TP-Message-Reference the modem returned when the part was sent.
    public var reference: Int
    public var recipient: String
    /// TP-Status: below 0x20 delivered, 0x20–0x3F still trying, 0x40 and above failed.
    public var status: Int
    public var at: Date

    public init(modem: String, reference: Int, recipient: String, status: Int, at: Date) {
        self.modem = modem
        self.reference = reference
        self.recipient = recipient
        self.status = status
        self.at = at
    }
}

/// An outgoing message before it is stored.
public struct NewOutgoingMessage: Sendable, Equatable {
    public var recipient: PhoneNumber
    public var text: String
    public var options: SendOptions
    public var createdBy: String
    public var notBefore: Date
    public var kind: MessageKind
    /// An MMS's attachments.
    public var attachments: [Attachment] = []

    public init(
        recipient: PhoneNumber,
        text: String,
        options: SendOptions,
        createdBy: String,
        notBefore: Date,
        kind: MessageKind = .sms
    ) {
        self.recipient = recipient
        self.text = text
        self.options = options
        self.createdBy = createdBy
        self.notBefore = notBefore
        self.kind = kind
    }
}

/// A received message, as stored in the inbox.
public struct IncomingMessage: Sendable, Equatable {
    public var id: MessageID
    public var sender: String
    public var text: String
    /// The service centre's time stamp.
    public var sentAt: Date
    /// When the gateway committed it.
    public var receivedAt: Date
    public var serviceCentre: String?
    public var unicode: Bool
    public var modem: String
    public var unread: Bool
    /// The `oid` of the last message sent to this number with one, if any.
    public var oid: String?
    /// The custom folder it is filed in (nil: the inbox).
    public var customFolderID: Int64?

    public init(
        id: MessageID,
        sender: String,
        text: String,
        sentAt: Date,
        receivedAt: Date,
        serviceCentre: String?,
        unicode: Bool,
        modem: String,
        unread: Bool,
        oid: String? = nil
    ) {
        self.id = id
        self.sender = sender
        self.text = text
        self.sentAt = sentAt
        self.receivedAt = receivedAt
        self.serviceCentre = serviceCentre
        self.unicode = unicode
        self.modem = modem
        self.unread = unread
        self.oid = oid
    }
}

/// A received message before it is stored.
public struct NewIncomingMessage: Sendable, Equatable {
    public var sender: String
    public var text: String
    public var sentAt: Date
    public var serviceCentre: String?
    public var unicode: Bool
    public var modem: String
    /// Set when this is one part of a concatenated message.
    public var part: MessagePart?

    public init(
        sender: String,
        text: String,
        sentAt: Date,
        serviceCentre: String?,
        unicode: Bool,
        modem: String,
        part: MessagePart? = nil
    ) {
        self.sender = sender
        self.text = text
        self.sentAt = sentAt
        self.serviceCentre = serviceCentre
        self.unicode = unicode
        self.modem = modem
        self.part = part
    }
}

/// Where a received part sits in its concatenated message.
public struct MessagePart: Sendable, Equatable {
    /// The sender's reference shared by all parts (8- or 16-bit).
    public var reference: Int
    public var total: Int
    /// 1-based.
    public var sequence: Int

    public init(reference: Int, total: Int, sequence: Int) {
        self.reference = reference
        self.total = total
        self.sequence = sequence
    }
}

/// A file sent with an MMS.
public struct Attachment: Sendable, Equatable {
    /// One of `image/jpeg`, `image/gif`, `image/png`, `image/bmp` (what SMSEagle accepts).
    public var contentType: String
    public var content: [UInt8]

    public static let contentTypes: Set<String> = ["image/jpeg", "image/gif", "image/png", "image/bmp"]
    /// The most an MMS may carry: 300 KB, what most operators accept.
    public static let maximumTotalSize = 300 * 1024

    public init(contentType: String, content: [UInt8]) {
        self.contentType = contentType
        self.content = content
    }
}
