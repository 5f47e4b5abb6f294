import Foundation
import SMSCodec

/// The identifier of a message, unique within its direction (outgoing or incoming).
public typealias MessageID = Int64

/// What an outgoing message asks the modem to do: the name of each case of ``OutgoingPayload``, as
/// the store's `kind` column and the APIs write it.
public enum MessageKind: String, Sendable, Equatable {
    case sms
    case ussd
    case binary
    case mms
    case ring
    /// A call a voice provider places (text-to-speech), ABI 1.4.
    case call
}

/// What an outgoing message carries: one case per kind, each with the fields of its kind and no
/// other (a binary message's data is octets, a call's length a number, a USSD code not a recipient).
public enum OutgoingPayload: Sendable, Equatable {
    /// An SMS.
    case text(String)
    /// An 8-bit message (`send_binary_sms`).
    case binary(BinaryContent)
    /// A USSD request (e.g. `*101#`). The network's answer arrives in the inbox, from the code.
    case ussd(code: String)
    /// A wake-up call (APIv2 `calls/ring`): the modem calls the recipient and hangs up after
    /// `seconds` (or when answered and ended).
    case ring(seconds: Int)
    /// An MMS: its text; the attachments are stored with it.
    case mms(text: String)
    /// A text-to-speech call, placed by a voice provider (a plugin), not a modem.
    case call(VoiceCall)

    public var kind: MessageKind {
        switch self {
        case .text: .sms
        case .binary: .binary
        case .ussd: .ussd
        case .ring: .ring
        case .mms: .mms
        case .call: .call
        }
    }

    /// What a list of messages shows as its text, as SMSEagle's outbox does: the text of an SMS or
    /// MMS, a binary message's data in hex, a USSD code, a call's seconds.
    public var listedText: String {
        switch self {
        case .text(let text), .mms(let text): text
        case .binary(let content): Hex.encode(content.data)
        case .ussd(let code): code
        case .ring(let seconds): String(seconds)
        case .call(let call): call.text
        }
    }
}

/// A text-to-speech call (APIv2 `calls/tts`, `calls/tts_advanced`; APIv1 `tts_call`, `tts_adv_call`),
/// or a call that plays a recorded clip (APIv2 `calls/wave`, SMSEagle's soundboard).
public struct VoiceCall: Sendable, Equatable {
    /// What the call says (empty when it plays a clip).
    public var text: String
    /// How long it may ring and play, in seconds (the APIs' `duration`).
    public var seconds: Int
    /// A voice model's number (`voice_id`); nil for the provider's default.
    public var voice: Int?
    /// A language tag ("en", "sv"); nil for the provider's default.
    public var language: String?
    /// The recorded clip it plays instead of speech (`wave_id`): the voice provider's name for it.
    public var clip: String?

    public init(text: String, seconds: Int, voice: Int? = nil, language: String? = nil, clip: String? = nil) {
        self.clip = clip
        self.text = text
        self.seconds = seconds
        self.voice = voice
        self.language = language
    }
}

/// How a call ended, as its voice provider reported it.
public struct CallOutcome: Sendable, Equatable {
    /// answered, busy, no-answer, rejected, failed
    public var result: String
    /// Seconds the answered call lasted.
    public var duration: Int?
    /// The keys pressed during the call.
    public var digits: String?

    public init(result: String, duration: Int? = nil, digits: String? = nil) {
        self.result = result
        self.duration = duration
        self.digits = digits
    }
}

/// The content of an 8-bit message.
public struct BinaryContent: Sendable, Equatable {
    public var data: [UInt8]
    /// The user data header, its length octet first (as Gammu and SMSEagle write it, e.g.
    /// `06 05 04 0B 84 23 F0`); empty for none.
    public var header: [UInt8]
    /// TP-DCS message class 0–3; nil for none.
    public var messageClass: Int?

    public init(data: [UInt8], header: [UInt8] = [], messageClass: Int? = nil) {
        self.data = data
        self.header = header
        self.messageClass = messageClass
    }
}

/// An outgoing message to one recipient, as stored.
public struct OutgoingMessage: Sendable, Equatable {
    public var id: MessageID
    /// The number it goes to; nil for a USSD request, which goes to the network.
    public var recipient: PhoneNumber?
    public var payload: OutgoingPayload
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
    /// How a call (payload `.call`) ended; nil before it did.
    public var call: CallOutcome?
    /// What a transport's upstream charged for it (a cloud relay), in its currency; nil for a modem.
    public var cost: Double?

    public init(
        id: MessageID,
        recipient: PhoneNumber?,
        payload: OutgoingPayload,
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
        call: CallOutcome? = nil,
        cost: Double? = nil
    ) {
        self.call = call
        self.cost = cost
        self.id = id
        self.recipient = recipient
        self.payload = payload
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
    }

    /// The key a transport or voice provider is offered the message under: the same for every
    /// attempt and after a restart, and different for every message of every gateway sharing the store.
    public var transportKey: String {
        "swiftlet-\(id)-\(Int64(createdAt.timeIntervalSince1970 * 1000))"
    }

    /// What a list shows in the number column: the recipient, or a USSD request's code.
    public var address: String {
        if let recipient { return recipient.value }
        if case .ussd(let code) = payload { return code }
        return ""
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
    /// nil for a USSD request.
    public var recipient: PhoneNumber?
    public var payload: OutgoingPayload
    public var options: SendOptions
    public var createdBy: String
    public var notBefore: Date
    /// An MMS's attachments.
    public var attachments: [Attachment] = []

    public init(
        recipient: PhoneNumber?,
        payload: OutgoingPayload,
        options: SendOptions,
        createdBy: String,
        notBefore: Date
    ) {
        self.recipient = recipient
        self.payload = payload
        self.options = options
        self.createdBy = createdBy
        self.notBefore = notBefore
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
