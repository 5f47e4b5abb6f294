import Foundation
import Hummingbird
import Logging
import SMSCodec
import SwiftletDomain

/// Pixie's REST API v2: `POST /api/v2/sms` sends one text to a list of numbers and
/// `GET /api/v2/sms/stream` hands out what is new (received messages and status changes of the
/// caller's messages), each once. The token goes in `Authorization: Bearer …`. See `docs/api/pixie.md`.
public struct PixieAPI: Sendable {
    let outbox: Outbox
    let events: any EventLog
    let json: JSONAPI
    let logger: Logger

    /// Pixie's limit for one text.
    static let maximumTextLength = 1000
    /// Status changes the stream reports (Pixie's "delivery status"); `queued` is the caller's own doing.
    static let streamStatuses: Set<String> = ["sent", "delivered", "failed"]

    public init(
        outbox: Outbox,
        events: any EventLog,
        authenticator: Authenticator,
        logger: Logger
    ) {
        self.outbox = outbox
        self.events = events
        self.json = JSONAPI(authenticator: authenticator, logger: logger, name: "Pixie API")
        self.logger = logger
    }

    public func addRoutes<Context: APIRequestContext>(to router: Router<Context>) {
        let routes = router.group("/api/v2/sms").add(middleware: json.authentication(Context.self))
        routes.post { request, context in
            await json.respond {
                let user = try json.user(context, permission: "send_sms")
                return try await send(try await JSONAPI.object(request, utf32Escapes: true), user: user)
            }
        }
        routes.get("stream") { request, context in
            await json.respond {
                try await stream(APIv2.query(request), user: try json.user(context, permission: "read_sms"))
            }
        }
    }

    /// Queues `message` to every number in `recipients`. Answers the campaign's `id` (the id of its
    /// first message; the others follow it), `smsCount` (SMS parts over all recipients) and
    /// `totalCost` (0: the gateway's own SIM), with each message's id, and the recipients that are
    /// not numbers under `failed`.
    func send(_ body: JSONObject, user: APIUser) async throws -> JSONAPI.Answer {
        guard let text = try body.text("message"), !text.isEmpty else {
            throw JSONAPI.Failure.badRequest("message: required, the text to send")
        }
        guard text.unicodeScalars.count <= Self.maximumTextLength else {  // code points, as Outbox counts
            throw JSONAPI.Failure.badRequest("message: longer than \(Self.maximumTextLength) characters")
        }
        guard let recipients = try body.texts("recipients"), !recipients.isEmpty else {
            throw JSONAPI.Failure.badRequest("recipients: required, a list of numbers such as \"+46701234567\"")
        }
        if let sender = try body.text("sender") {
            // A SIM sends from its own number; the sender is checked as Pixie checks it, and logged.
            let digits = sender.allSatisfy { $0.isASCII && $0.isNumber }
            guard !sender.isEmpty,
                digits
                    ? sender.count <= 15
                    : (sender.count <= 11
                        && sender.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == " ") })
            else {
                throw JSONAPI.Failure.badRequest(
                    "sender: a number (digits only) or up to 11 letters and digits (a-z, A-Z, 0-9)"
                )
            }
        }
        let valid = recipients.filter { PhoneNumber($0) != nil }
        let failed = recipients.filter { PhoneNumber($0) == nil }.map {
            Failed(recipient: $0, reason: "not a telephone number")
        }
        guard !valid.isEmpty else {
            return (.badRequest, Refused(message: "recipients: none is a telephone number", failed: failed))
        }
        let ids = try await outbox.send(SendRequest(recipients: valid, text: text, createdBy: user.name))
        let parts = MessageSplitter.split(text).parts.count
        logger.info("Pixie API: queued", metadata: ["user": "\(user.name)", "message.ids": "\(ids)"])
        return (
            .ok,
            Sent(
                id: ids[0],
                smsCount: parts * valid.count,
                totalCost: 0,
                messages: zip(valid, ids).map { Sent.Message(recipient: $0, id: $1) },
                failed: failed
            )
        )
    }

    /// What is new for this token, oldest first, each item once: `limit` (1–1000, default 100) at
    /// a time. `after=EVENT` reads again from after that event without moving the token's place (for
    /// a client that lost an answer).
    func stream(_ query: FormParameters, user: APIUser) async throws -> JSONAPI.Answer {
        let limit = try APIv2.queryInteger(query, "limit", in: 1...1000) ?? 100
        let list: [GatewayEvent]
        if let after = try APIv2.queryInteger(query, "after") {
            list = try await events.stream(
                user: user.name,
                incoming: true,
                statuses: Self.streamStatuses,
                after: Int64(after),
                limit: limit
            )
        } else {
            list = try await events.takeStream(
                user: user.name,
                incoming: true,
                statuses: Self.streamStatuses,
                limit: limit
            )
        }
        return (.ok, list.map(Self.item))
    }

    /// An item as Pixie's documentation shows it, with the event's number in `eventId`.
    static func item(_ event: GatewayEvent) -> Item {
        var item = Item(
            kind: event.kind.rawValue,
            id: event.messageID,
            text: event.text,
            timestamp: timestamp(event.at),
            eventId: event.id
        )
        switch event.kind {
        case .incoming:
            item.sender = event.number
        case .outgoing:
            item.recipient = event.number
            item.status = event.status
            item.error = event.detail
        }
        return item
    }

    /// `POST /api/v2/sms`'s answer: the first id, parts and cost, and each recipient's message.
    struct Sent: Encodable {
        struct Message: Encodable {
            var recipient: String
            var id: MessageID
        }

        var id: MessageID
        var smsCount: Int
        var totalCost: Int
        var messages: [Message]
        var failed: [Failed]
    }

    /// A recipient that was not sent to, and why.
    struct Failed: Encodable {
        var recipient: String
        var reason: String
    }

    /// A send with no valid recipient: 400 with each one's reason.
    struct Refused: Encodable {
        var message: String
        var failed: [Failed]
    }

    /// A stream item: `sender` for a received message, `recipient`, `status` (and `error`) for a
    /// status change; the other of sender and recipient is null.
    struct Item: Encodable {
        var kind: String
        var id: MessageID
        var text: String
        var timestamp: String
        var eventId: Int64
        @Nullable var sender: String?
        @Nullable var recipient: String?
        var status: String?
        var error: String?
    }

    /// `2023-06-15T10:23:55+0000`, as Pixie writes times.
    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ssZ"
        return formatter.string(from: date)
    }
}
