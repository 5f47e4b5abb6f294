import Foundation
import SMSCodec

/// A request to send one text to one or more numbers.
public struct SendRequest: Sendable, Equatable {
    public var recipients: [String]
    /// What each recipient gets: a text (the default), an MMS or a binary message.
    public var payload: OutgoingPayload
    public var options: SendOptions
    /// Send at this time rather than now.
    public var scheduledAt: Date?
    /// Validate only; store nothing (the API's `test=1`).
    public var dryRun: Bool
    /// Recipients (by their index in `recipients`) who are to get it no earlier than the time given,
    /// e.g. when their shift starts.
    public var heldUntil: [Int: Date] = [:]
    /// For an MMS (payload `.mms`): its files.
    public var attachments: [Attachment] = []
    public var createdBy: String
    /// An idempotency key: a request with a key already used queues nothing and answers the ids
    /// the first one got (see `MessageStore.enqueue(_:key:)`).
    public var key: String?

    public init(
        recipients: [String],
        text: String,
        options: SendOptions = SendOptions(),
        scheduledAt: Date? = nil,
        dryRun: Bool = false,
        createdBy: String
    ) {
        self.recipients = recipients
        self.payload = .text(text)
        self.options = options
        self.scheduledAt = scheduledAt
        self.dryRun = dryRun
        self.createdBy = createdBy
    }
}

/// Queues outgoing messages: the one domain operation behind every way of sending (APIs, CLI, plugins).
public struct Outbox: Sendable {
    /// Longest text accepted, in characters (SMSEagle's limit for a concatenated message). Every
    /// text limit of the gateway counts Unicode code points, as SMSEagle's PHP does (`mb_strlen`), not
    /// Swift's grapheme clusters: "\r\n" is two characters.
    public static let maximumTextLength = 1530
    /// How far ahead a message may be scheduled: further is a mistake (a year 99999), not a plan.
    public static let farthestSchedule: TimeInterval = 10 * 366 * 86400

    private let store: any MessageStore
    private let modemCount: Int
    private let transportModemNumber: Int?
    private let sendsMMS: Bool
    private let calendar: Calendar
    private let now: @Sendable () -> Date
    private let didQueue: @Sendable (_ count: Int, _ createdBy: String) -> Void
    private let voiceReady: @Sendable () -> Bool
    private let ringsViaVoice: Bool

    /// - Parameters:
    ///   - modemCount: how many modems the gateway has, for checking a requested modem number.
    ///   - transportModemNumber: the modem number that routes a message to the transport (a cloud
    ///     relay), if any.
    ///   - sendsMMS: whether a modem can send MMS. None can yet (the driver sends SMS only), so an
    ///     MMS is refused when it is requested, not accepted and failed later.
    ///   - didQueue: called after a commit with how many messages were queued and by whom, to wake a
    ///     dispatcher in this process and count them.
    ///   - voiceReady: whether a voice provider runs, to place text-to-speech calls.
    ///   - ringsViaVoice: wake-up calls go to the voice provider (`dispatcher.ring_via: voice`), so
    ///     they are not pinned to a modem (`modem_no` is checked, then not kept).
    public init(
        store: any MessageStore,
        modemCount: Int = 1,
        transportModemNumber: Int? = nil,
        sendsMMS: Bool = false,
        timeZone: TimeZone = .current,
        now: @escaping @Sendable () -> Date = Date.init,
        didQueue: @escaping @Sendable (_ count: Int, _ createdBy: String) -> Void = { _, _ in },
        voiceReady: @escaping @Sendable () -> Bool = { false },
        ringsViaVoice: Bool = false
    ) {
        self.voiceReady = voiceReady
        self.ringsViaVoice = ringsViaVoice
        self.store = store
        self.modemCount = modemCount
        self.transportModemNumber = transportModemNumber
        self.sendsMMS = sendsMMS
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
        self.now = now
        self.didQueue = didQueue
    }

    /// Validates and queues one message per recipient. Returns their ids once they are on disk,
    /// or `0` per recipient for a dry run.
    public func send(_ request: SendRequest) async throws -> [MessageID] {
        let messages = try validate(request)
        if request.dryRun { return messages.map { _ in 0 } }
        let ids = try await store.enqueue(messages, key: request.key)
        didQueue(ids.count, request.createdBy)
        return ids
    }

    /// Queues the USSD request `code` (e.g. `*101#`); the network's answer will arrive in the inbox.
    public func sendUSSD(_ code: String, modemNumber: Int?, createdBy: String) async throws -> MessageID {
        let code = code.filter { $0 != " " }
        // TS 22.030: starts with * or #, ends with #, digits and separators between; nothing that
        // could end the AT command it goes into.
        guard code.count >= 2, code.count <= 40, code.first == "*" || code.first == "#", code.last == "#",
            code.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "*" || $0 == "#") })
        else { throw SwiftletError.invalidParameter("to", "'\(code)' is not a USSD code such as *101#") }
        try checkModem(modemNumber)
        let message = NewOutgoingMessage(
            recipient: nil,
            payload: .ussd(code: code),
            options: SendOptions(priority: 0, modemNumber: modemNumber),
            createdBy: createdBy,
            notBefore: now()
        )
        let ids = try await store.enqueue([message])
        didQueue(1, createdBy)
        return ids[0]
    }

    /// Queues a wake-up call to each recipient: a modem (or the voice provider, `ringsViaVoice`)
    /// rings the number for `seconds` (1–600) and hangs up. Returns their ids once they are on disk.
    public func ring(
        _ recipients: [String],
        seconds: Int,
        modemNumber: Int?,
        priority: Int = 0,
        createdBy: String
    ) async throws -> [MessageID] {
        guard !recipients.isEmpty else { throw SwiftletError.invalidParameter("to", "no recipient") }
        guard (1...600).contains(seconds) else {
            throw SwiftletError.invalidParameter("duration", "must be 1 to 600 seconds")
        }
        guard (0...9).contains(priority) else { throw SwiftletError.invalidParameter("priority", "must be 0 to 9") }
        try checkModem(modemNumber)
        let messages = try recipients.map { text in
            guard let number = PhoneNumber(text) else {
                throw SwiftletError.invalidParameter("to", "'\(text)' is not a telephone number")
            }
            return NewOutgoingMessage(
                recipient: number,
                payload: .ring(seconds: seconds),
                options: SendOptions(priority: priority, modemNumber: ringsViaVoice ? nil : modemNumber),
                createdBy: createdBy,
                notBefore: now()
            )
        }
        let ids = try await store.enqueue(messages)
        didQueue(ids.count, createdBy)
        return ids
    }

    /// Queues a text-to-speech call to each recipient, placed by a voice provider (a plugin). Throws
    /// `.unavailable` when none runs: an alarm call is refused then, not accepted and left waiting.
    /// Returns their ids once they are on disk.
    public func call(
        _ recipients: [String],
        _ call: VoiceCall,
        priority: Int = 0,
        createdBy: String
    ) async throws -> [MessageID] {
        guard !recipients.isEmpty else { throw SwiftletError.invalidParameter("to", "no recipient") }
        guard (1...600).contains(call.seconds) else {
            throw SwiftletError.invalidParameter("duration", "must be 1 to 600 seconds")
        }
        if let clip = call.clip {
            guard (1...100).contains(clip.count), clip.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw SwiftletError.invalidParameter("wave_id", "a clip's number or name: letters and digits")
            }
        } else {
            guard !call.text.isEmpty else {
                throw SwiftletError.invalidParameter("text", "what the call says; required")
            }
            try Self.check(call.text)
        }
        guard (0...9).contains(priority) else { throw SwiftletError.invalidParameter("priority", "must be 0 to 9") }
        guard voiceReady() else {
            throw SwiftletError(
                .unavailable,
                "Text-to-speech calls need a voice plugin (SIP/TTS), and none is enabled on this gateway"
            )
        }
        let messages = try recipients.map { text in
            guard let number = PhoneNumber(text) else {
                throw SwiftletError.invalidParameter("to", "'\(text)' is not a telephone number")
            }
            return NewOutgoingMessage(
                recipient: number,
                payload: .call(call),
                options: SendOptions(priority: priority),
                createdBy: createdBy,
                notBefore: now()
            )
        }
        let ids = try await store.enqueue(messages)
        didQueue(ids.count, createdBy)
        return ids
    }

    /// Queues a binary (8-bit) message to each recipient: `data` and `udh` in hex, the header with its
    /// length octet first; header and data must fit one SMS (140 octets).
    public func sendBinary(
        to recipients: [String],
        data: String,
        udh: String?,
        messageClass: Int?,
        modemNumber: Int?,
        dryRun: Bool,
        createdBy: String
    ) async throws -> [MessageID] {
        guard let octets = Hex.decode(data), !octets.isEmpty else {
            throw SwiftletError.invalidParameter("data", "not hex octets")
        }
        var header: [UInt8] = []
        if let udh, !udh.isEmpty {
            guard let octets = Hex.decode(udh), octets.count >= 2, Int(octets[0]) == octets.count - 1 else {
                throw SwiftletError.invalidParameter("udh", "not hex octets starting with their length")
            }
            header = octets
        }
        guard header.count + octets.count <= 140 else {
            throw SwiftletError.invalidParameter(
                "data",
                "\(header.count + octets.count) octets do not fit one SMS (140)"
            )
        }
        if let messageClass, !(0...3).contains(messageClass) {
            throw SwiftletError.invalidParameter("class", "must be 0 to 3")
        }
        var request = SendRequest(
            recipients: recipients,
            text: "",
            options: SendOptions(modemNumber: modemNumber),
            dryRun: dryRun,
            createdBy: createdBy
        )
        request.payload = .binary(BinaryContent(data: octets, header: header, messageClass: messageClass))
        return try await send(request)
    }

    /// C0 control characters other than tab, line feed, form feed and carriage return, and DEL: a
    /// phone shows none of them, and NUL would cut the text short in C strings on its way to the modem.
    static func isUnsendable(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && ![0x09, 0x0A, 0x0C, 0x0D].contains(scalar.value)) || scalar.value == 0x7F
    }

    /// A text is not empty, holds no character a phone cannot show, and fits a concatenated message.
    static func check(_ text: String) throws {
        guard !text.isEmpty else { throw SwiftletError.invalidParameter("message", "empty") }
        if let control = text.unicodeScalars.first(where: isUnsendable) {
            throw SwiftletError.invalidParameter(
                "message",
                "contains the control character U+\(String(format: "%04X", control.value)), which no phone shows (line breaks, tabs and form feeds are sent)"
            )
        }
        guard text.unicodeScalars.count <= maximumTextLength else {
            throw SwiftletError.invalidParameter("message", "longer than \(maximumTextLength) characters")
        }
    }

    func checkModem(_ number: Int?) throws {
        if let number, !(1...modemCount).contains(number), number != transportModemNumber {
            let transport = transportModemNumber.map { ", and \($0) is its transport" } ?? ""
            throw SwiftletError.invalidParameter(
                "modem_no",
                "there is no modem \(number) (this gateway has \(modemCount)\(transport))"
            )
        }
    }

    func validate(_ request: SendRequest) throws -> [NewOutgoingMessage] {
        guard !request.recipients.isEmpty else { throw SwiftletError.invalidParameter("to", "no recipient") }
        let numbers = try request.recipients.map { text in
            guard let number = PhoneNumber(text) else {
                throw SwiftletError.invalidParameter("to", "'\(text)' is not a telephone number")
            }
            return number
        }
        switch request.payload {
        case .text(let text), .mms(let text):
            try Self.check(text)
        case .binary:
            break
        case .ussd, .ring, .call:
            throw SwiftletError.invalidParameter("kind", "USSD and calls go through sendUSSD, ring and call")
        }
        if case .mms = request.payload {
            guard !request.attachments.isEmpty else {
                throw SwiftletError.invalidParameter("attachments", "an MMS needs one")
            }
            guard request.attachments.allSatisfy({ Attachment.contentTypes.contains($0.contentType) }) else {
                throw SwiftletError.invalidParameter(
                    "attachments",
                    "content_type must be image/jpeg, image/gif, image/png or image/bmp"
                )
            }
            guard request.attachments.reduce(0, { $0 + $1.content.count }) <= Attachment.maximumTotalSize else {
                throw SwiftletError.invalidParameter(
                    "attachments",
                    "larger than \(Attachment.maximumTotalSize / 1024) KB together"
                )
            }
        }
        if case .mms = request.payload, !sendsMMS {
            // Checked after the request itself, so that a malformed MMS is still a 400.
            throw SwiftletError(
                .notSupported,
                "MMS cannot be sent: no modem of this gateway sends MMS (the modem driver sends SMS only); send the text as SMS"
            )
        }
        guard (0...9).contains(request.options.priority) else {
            throw SwiftletError.invalidParameter("highpriority", "must be 0 to 9")
        }
        try checkModem(request.options.modemNumber)
        if let validity = request.options.validity, ValidityPeriod(parsing: validity) == nil {
            throw SwiftletError.invalidParameter(
                "validity",
                "'\(validity)' is not 5m, 10m, 30m, 1h, 2h, 4h, 12h, 1d, 2d, 5d, 1w, 2w, 4w or max"
            )
        }
        if let oid = request.options.oid, oid.count > 36 {
            throw SwiftletError.invalidParameter("oid", "longer than 36 characters")
        }
        if let date = request.scheduledAt, date.timeIntervalSince(now()) > Self.farthestSchedule {
            throw SwiftletError.invalidParameter("date", "more than 10 years ahead")
        }
        let requested = request.scheduledAt ?? now()
        // The latest of: the requested time, the recipient's shift, the start of the send window.
        func notBefore(_ index: Int) -> Date {
            let earliest = max(requested, request.heldUntil[index] ?? requested)
            return request.options.window?.next(from: earliest, calendar: calendar) ?? earliest
        }
        return numbers.enumerated().map { index, number in
            var message = NewOutgoingMessage(
                recipient: number,
                payload: request.payload,
                options: request.options,
                createdBy: request.createdBy,
                notBefore: notBefore(index)
            )
            message.attachments = request.attachments
            return message
        }
    }
}
