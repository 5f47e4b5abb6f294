import Foundation
import Hummingbird
import Logging
import SMSCodec
import SwiftletDomain
import SwiftletEvents

/// SMSEagle's APIv2: JSON under `/api/v2/` (and `/index.php/api/v2/`), the token in the
/// `access-token` header or `Authorization: Bearer`. Documented by ``APIv2/openAPI`` at
/// `/api/v2/openapi.json`; the choices made where SMSEagle's documentation is silent are in
/// `docs/api/apiv2.md`.
///
/// Permissions are APIv1's method names (`send_sms`, `read_sms`, …), so one permission list governs
/// both APIs. A user sees only its own messages and phonebook entries; an admin sees everyone's.
public struct APIv2: Sendable {
    let outbox: Outbox
    let store: any MessageStore
    let modems: any ModemControl
    let phonebook: any PhonebookAdmin
    /// Who a message to contacts and groups goes to: the gateway's one policy.
    let recipients: RecipientResolver
    let webhooks: any WebhookStore
    let users: any UserAdmin
    let json: JSONAPI
    let dates: SMSEagleDate
    let logger: Logger

    public init(
        outbox: Outbox,
        store: any MessageStore,
        modems: any ModemControl,
        phonebook: any PhonebookAdmin,
        webhooks: any WebhookStore,
        userAdmin: any UserAdmin,
        timeZone: TimeZone = .current,
        directories: (any ExternalDirectory)? = nil,
        authenticator: Authenticator,
        logger: Logger
    ) {
        self.outbox = outbox
        self.store = store
        self.modems = modems
        self.phonebook = phonebook
        self.recipients = RecipientResolver(directory: phonebook, timeZone: timeZone, external: directories)
        self.webhooks = webhooks
        self.users = userAdmin
        self.json = JSONAPI(authenticator: authenticator, logger: logger, name: "APIv2")
        self.dates = SMSEagleDate(timeZone: timeZone)
        self.logger = logger
    }

    public func addRoutes<Context: APIRequestContext>(to router: Router<Context>) {
        // SMSEagle serves APIv2 under /index.php too: one group per prefix, the same routes in each.
        for prefix in ["/api/v2", "/index.php/api/v2"] {
            let api = router.group(RouterPath(prefix))
            api.get("openapi.json") { _, _ in
                Response(
                    status: .ok,
                    headers: [.contentType: "application/json"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: Self.openAPI))
                )
            }
            // Everything else needs a token.
            let routes = api.group().add(middleware: json.authentication(Context.self))
            addWebhookRoutes(to: routes)
            addPhonebookRoutes(to: routes)
            addCallRoutes(to: routes)
            addUserRoutes(to: routes)
            addShiftRoutes(to: routes)
            routes.post(RouterPath("/messages/sms")) { request, context in
                await handle(request, context, permission: "send_sms") { user in
                    try await send(try await JSONAPI.object(request), kind: .sms, user: user)
                }
            }
            routes.post(RouterPath("/messages/mms")) { request, context in
                await handle(request, context, permission: "send_sms") { user in
                    try await send(try await JSONAPI.object(request), kind: .mms, user: user)
                }
            }
            routes.get(RouterPath("/messages/:folder")) { request, context in
                await handle(request, context, permission: "read_sms") { user in
                    try await messages(in: try folder(context), try Self.query(request), user: user)
                }
            }
            routes.get(RouterPath("/messages/:folder/:id")) { request, context in
                await handle(request, context, permission: "read_sms") { user in
                    try await message(try id(context), in: try folder(context), user: user)
                }
            }
            routes.delete(RouterPath("/messages/:folder/:id")) { request, context in
                await handle(request, context, permission: "delete_sms") { user in
                    try await deleteMessage(try id(context), in: try folder(context), user: user)
                }
            }
            // Without a number, SMSEagle answers the first modem's object, as APIv1 `get_gsmsignal`
            // does without `modem_no`; published checks read `signal_strength` from it (docs/api/apiv2.md).
            routes.get(RouterPath("/modem/signal")) { request, context in
                await handle(request, context, permission: "get_gsmsignal") { _ in
                    (.ok, try signal(modem: 1))
                }
            }
            routes.get(RouterPath("/modem/signal/:modem")) { request, context in
                await handle(request, context, permission: "get_gsmsignal") { _ in
                    (.ok, try signal(modem: try modemNumber(context)))
                }
            }
            routes.get(RouterPath("/modem/state/:modem")) { request, context in
                await handle(request, context, permission: "get_modem_state") { _ in
                    let number = try modemNumber(context)
                    return (
                        .ok,
                        ModemState(
                            modemNumber: number,
                            state: try modems.isEnabled(modem: number) ? "enabled" : "disabled"
                        )
                    )
                }
            }
            routes.put(RouterPath("/modem/state/:modem")) { request, context in
                await handle(request, context, permission: "set_modem_state") { user in
                    let number = try modemNumber(context)
                    let state = try await JSONAPI.object(request).text("state")
                    guard state == "enabled" || state == "disabled" else {
                        throw JSONAPI.Failure.badRequest("state: required, enabled or disabled")
                    }
                    try await modems.setEnabled(modem: number, state == "enabled")
                    logger.notice(
                        "APIv2: modem state set",
                        metadata: ["user": "\(user.name)", "modem_no": "\(number)", "state": "\(state!)"]
                    )
                    return (.ok, ModemState(modemNumber: number, state: state!))
                }
            }
            routes.get(RouterPath("/phonebook/contacts")) { request, context in
                await handle(request, context, permission: "contact_read") { user in
                    try Self.list(try await phonebook.contacts(Self.owned(by: user)).map(Contact.init))
                }
            }
            routes.get(RouterPath("/phonebook/groups")) { request, context in
                await handle(request, context, permission: "group_read") { user in
                    try Self.list(try await phonebook.groups(Self.owned(by: user)).map(Group.init))
                }
            }
            routes.get(RouterPath("/phonebook/groups/:id/contacts")) { request, context in
                await handle(request, context, permission: "group_members_read") { user in
                    let group = try id(context)
                    guard try await phonebook.groups(Self.owned(by: user)).contains(where: { $0.id == group }) else {
                        throw JSONAPI.Failure.notFound
                    }
                    return try Self.list(
                        try await phonebook.members(ofGroup: group, Self.owned(by: user)).map(Contact.init)
                    )
                }
            }
        }
    }

    /// Checks `permission` of the user the token middleware found, runs `body`, and answers JSON.
    func handle(
        _ request: Request,
        _ context: some APIRequestContext,
        permission: String,
        _ body: @escaping (APIUser) async throws -> JSONAPI.Answer
    ) async -> Response {
        await json.respond { try await body(try json.user(context, permission: permission)) }
    }

    // MARK: - Sending

    /// `POST messages/sms` (and `messages/mms`, with `attachments`): one message per number in `to`,
    /// per contact in `contacts` and per member of the groups in `groups`. Answers one
    /// `{status, id, number, message}` per recipient, in that order; a number that is not one is
    /// answered `status: error` and the others are still sent.
    func send(_ body: JSONObject, kind: MessageKind, user: APIUser) async throws -> JSONAPI.Answer {
        guard let text = try body.text("text"), !text.isEmpty else {
            throw JSONAPI.Failure.badRequest("text: required, the message's text")
        }
        if body.value("contacts") != nil, !user.may("send_tocontact") {
            throw JSONAPI.Failure(.forbidden, "No permission to use this method (send_tocontact)")
        }
        if body.value("groups") != nil, !user.may("send_togroup") {
            throw JSONAPI.Failure(.forbidden, "No permission to use this method (send_togroup)")
        }

        var options = SendOptions()
        options.priority = try body.integer("priority", in: 0...9) ?? 0
        options.modemNumber = try body.integer("modem_no", in: 1...Int.max)
        options.flash = try body.flag("flash") ?? false
        switch try body.text("encoding") {
        case nil, "standard": break
        case "unicode": options.unicode = true
        case let other?: throw JSONAPI.Failure.badRequest("encoding: '\(other)' is not standard or unicode")
        }
        options.validity = try body.text("validity")
        let after = try timeOfDay(body, "send_after")
        let before = try timeOfDay(body, "send_before")
        if after != nil || before != nil { options.window = DayWindow(after: after, before: before) }
        var scheduledAt: Date?
        if let date = try body.text("date") {
            guard let parsed = dates.parseAPIv2(date) else {
                throw JSONAPI.Failure.badRequest("date: '\(date)' is not YYYY-MM-DD HH:MM:SS or ISO 8601")
            }
            scheduledAt = parsed
        }

        let (numbers, delivery) = try await recipients(body, user: user, start: scheduledAt ?? Date())
        var ids: [MessageID] = []
        if !delivery.numbers.isEmpty {
            var request = SendRequest(
                recipients: delivery.numbers,
                text: text,
                options: options,
                scheduledAt: scheduledAt,
                createdBy: user.name
            )
            request.heldUntil = delivery.heldUntil
            if kind == .mms {
                request.payload = .mms(text: text)
                request.attachments = try Self.attachments(body)
            }
            ids = try await outbox.send(request)
            logger.info("APIv2: queued", metadata: ["user": "\(user.name)", "message.ids": "\(ids)"])
        }
        return try Self.answers(given: numbers, recipients: delivery.numbers, ids: ids)
    }

    /// One `{status, id, number, message}` per recipient: the numbers as given (those that are not
    /// numbers as errors), then the others queued (`ids` are those of `recipients`, in order).
    /// 200 when something was queued, else 400.
    static let notARecipient =
        "Invalid phone number: neither a number nor the name of one of your phonebook groups (give group ids in groups)"

    static func answers(given: [String], recipients: [String], ids: [MessageID]) throws -> JSONAPI.Answer {
        var answers: [SendOutcome] = []
        var next = 0
        for number in given {
            if PhoneNumber(number) == nil {
                answers.append(.refused(number, because: notARecipient))
            } else {
                answers.append(.queued(ids[next], to: number))
                next += 1
            }
        }
        for (number, id) in zip(recipients[next...], ids[next...]) {
            answers.append(.queued(id, to: number))
        }
        guard !answers.isEmpty else {
            throw JSONAPI.Failure.badRequest("Every contact is on vacation or has no shift hours")
        }
        return (ids.isEmpty ? .badRequest : .ok, answers)
    }

    /// The numbers in `to` as given, and the delivery plan: the valid ones of them, then the
    /// contacts and group members named (the user's own), each number once, those on vacation
    /// skipped and those off shift held until their shift starts (after `start`).
    func recipients(_ body: JSONObject, user: APIUser, start: Date) async throws -> ([String], ContactDelivery) {
        var numbers = try body.texts("to") ?? []
        let contactIDs = try body.ids("contacts") ?? []
        var groupIDs = try body.ids("groups") ?? []
        guard !numbers.isEmpty || !contactIDs.isEmpty || !groupIDs.isEmpty else {
            throw JSONAPI.Failure.badRequest("to, contacts or groups: at least one recipient is required")
        }
        // SMSEagle's own Alertmanager adapter puts phonebook group names in `to`, with only the
        // send_sms permission: a `to` item that is not a number and names a group of the user's is
        // that group's members. Other items stay, and are answered as errors.
        // A name that is none of the user's groups may be a directory's group (LDAP).
        let names = numbers.filter { PhoneNumber($0) == nil }
        var directoryGroups: [String] = []
        if !names.isEmpty {
            let groups = try await phonebook.groups(Self.owned(by: user))
            for name in names {
                guard let group = groups.first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) else {
                    if let external = recipients.external, (try? await external.numbers(named: name)) != nil {
                        directoryGroups.append(name)
                        numbers.removeAll { $0 == name }
                        logger.info(
                            "APIv2: a name in 'to' is a directory's group",
                            metadata: ["user": "\(user.name)", "name": "\(name)"]
                        )
                    }
                    continue
                }
                groupIDs.append(group.id)
                numbers.removeAll { $0 == name }
                logger.info(
                    "APIv2: a name in 'to' is a phonebook group",
                    metadata: ["user": "\(user.name)", "name": "\(name)", "group": "\(group.id)"]
                )
            }
        }
        let list = RecipientList(
            numbers: numbers.filter { PhoneNumber($0) != nil },
            contacts: contactIDs.map(PhonebookReference.id),
            groups: groupIDs.map(PhonebookReference.id) + directoryGroups.map(PhonebookReference.name)
        )
        let delivery: ContactDelivery
        do {
            delivery = try await recipients.resolve(list, scope: .of(user), start: start)
        } catch let unknown as UnknownRecipient {
            throw JSONAPI.Failure.badRequest("\(unknown.kind.rawValue)s: \(unknown.description)")
        }
        for note in delivery.notes {
            logger.info("APIv2: recipient policy", metadata: ["contact": "\(note.contact)", "policy": "\(note.text)"])
        }
        return (numbers, delivery)
    }

    /// An MMS's files: `attachments`, a list of `{content_type, content}` (base64).
    static func attachments(_ body: JSONObject) throws -> [Attachment] {
        guard case .array(let items)? = body.value("attachments"), !items.isEmpty else {
            throw JSONAPI.Failure.badRequest("attachments: required, a list of {content_type, content (base64)}")
        }
        return try items.map { item in
            guard case .object(let fields) = item, case .string(let type)? = fields["content_type"],
                case .string(let content)? = fields["content"],
                let data = Data(base64Encoded: content, options: .ignoreUnknownCharacters)
            else { throw JSONAPI.Failure.badRequest("attachments: each needs content_type and base64 content") }
            return Attachment(contentType: type, content: [UInt8](data))
        }
    }

    func timeOfDay(_ body: JSONObject, _ name: String) throws -> Int? {
        guard let text = try body.text(name), !text.isEmpty else { return nil }
        guard let minutes = DayHours.minutes(text) else {
            throw JSONAPI.Failure.badRequest("\(name): '\(text)' is not HH:MM:SS")
        }
        return minutes
    }

    // MARK: - Reading

    /// `GET messages/{folder}`: newest first, filtered by the query; 404 when none match.
    func messages(
        in folder: Folder,
        _ query: FormParameters,
        user: APIUser
    ) async throws -> JSONAPI.Answer {
        var filter = MessageQuery(folder: folder, for: user)
        filter.idFrom = try Self.queryInteger(query, "id_from").map(Int64.init)
        filter.idTo = try Self.queryInteger(query, "id_to").map(Int64.init)
        filter.limit = try Self.queryInteger(query, "limit", in: 1...10_000) ?? 100
        filter.dateFrom = try date(query, "date_from")
        filter.dateTo = try date(query, "date_to")
        filter.unreadOnly = query["unread"].map { $0 == "1" || $0 == "true" } ?? false
        if let number = query["phone_number"], !number.isEmpty {
            if folder == .inbox { filter.sender = number } else { filter.recipient = number }
        }
        if let number = try Self.queryInteger(query, "modem_no") {
            filter.modem = (number, try modems.name(ofModem: number))
        }
        return folder == .inbox
            ? try Self.list(try await store.incoming(matching: filter).map(received))
            : try Self.list(try await store.outgoing(matching: filter).map(sent))
    }

    /// `GET messages/{folder}/{id}`.
    func message(_ id: MessageID, in folder: Folder, user: APIUser) async throws -> JSONAPI.Answer {
        var filter = MessageQuery(folder: folder, for: user)
        filter.idFrom = id
        filter.idTo = id
        let found: (any Encodable)? =
            folder == .inbox
            ? try await store.incoming(matching: filter).first.map(received)
            : try await store.outgoing(matching: filter).first.map(sent)
        guard let found else { throw JSONAPI.Failure.notFound }
        return (.ok, found)
    }

    /// `DELETE messages/{folder}/{id}`: a message a modem has taken from the outbox cannot be called back (409).
    func deleteMessage(_ id: MessageID, in folder: Folder, user: APIUser) async throws -> JSONAPI.Answer {
        _ = try await message(id, in: folder, user: user)
        guard try await store.delete(from: folder, ids: id...id, owner: user.messageOwner) == 1 else {
            throw JSONAPI.Failure(.conflict, "Message \(id) is being sent and cannot be deleted")
        }
        logger.notice(
            "APIv2: deleted a message",
            metadata: ["user": "\(user.name)", "folder": "\(folder.rawValue)", "message.id": "\(id)"]
        )
        return (.ok, Outcome(id: id, folder: folder.rawValue, status: "deleted"))
    }

    func received(_ message: IncomingMessage) -> Received {
        Received(
            id: message.id,
            sender: message.sender,
            text: message.text,
            encoding: message.unicode ? "unicode" : "standard",
            modemNumber: modemNumber(named: message.modem),
            sentAt: JSONAPI.timestamp(message.sentAt, dates.timeZone),
            receivedAt: JSONAPI.timestamp(message.receivedAt, dates.timeZone),
            read: !message.unread,
            oid: message.oid
        )
    }

    func sent(_ message: OutgoingMessage) -> Sent {
        let status: String =
            switch message.state {
            case .queued: "queued"
            case .claimed, .submitting: "sending"
            case .sent: "sent"
            case .failed: "failed"
            }
        return Sent(
            id: message.id,
            folder: message.state.folder.rawValue,
            kind: message.payload.kind.rawValue,
            to: message.address,
            text: message.payload.listedText,
            status: status,
            priority: message.options.priority,
            encoding: message.options.unicode ? "unicode" : "standard",
            flash: message.options.flash,
            modemNumber: message.modem.map(modemNumber(named:)) ?? message.options.modemNumber,
            createdBy: message.createdBy,
            createdAt: JSONAPI.timestamp(message.createdAt, dates.timeZone),
            sendAfter: JSONAPI.timestamp(message.notBefore, dates.timeZone),
            sentAt: message.sentAt.map { JSONAPI.timestamp($0, dates.timeZone) },
            parts: message.parts,
            attempts: message.attempts,
            delivery: message.delivery?.rawValue,
            error: message.lastError,
            oid: message.options.oid,
            call: message.call.map { Sent.Call(result: $0.result, duration: $0.duration, digits: $0.digits) },
            sentBy: message.modem,
            cost: message.cost
        )
    }

    /// A modem's number (1…N) from its configured name; nil for one no longer configured.
    func modemNumber(named name: String) -> Int? {
        guard modems.modemCount > 0 else { return nil }
        return (1...modems.modemCount).first { (try? modems.name(ofModem: $0)) == name }
    }

    func signal(modem number: Int) throws -> Signal {
        Signal(modemNumber: number, signalStrength: try modems.signalPercent(modem: number))
    }

    /// A user's own phonebook entries; an admin's view is everyone's.
    static func owned(by user: APIUser) -> PhonebookFilter { PhonebookScope.of(user).filter }

    /// SMSEagle's list answer: the items, or 404 "Resource(s) not found" when there are none.
    static func list(_ items: [some Encodable]) throws -> JSONAPI.Answer {
        guard !items.isEmpty else { throw JSONAPI.Failure.notFound }
        return (.ok, items)
    }

    // MARK: - Path and query

    func folder(_ context: some RequestContext) throws -> Folder {
        let name = context.parameters.get("folder") ?? ""
        guard let folder = Folder(rawValue: name) else {
            throw JSONAPI.Failure.badRequest("folder: '\(name)' is not inbox, outbox, sentitems or sendingerror")
        }
        return folder
    }

    func id(_ context: some RequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw JSONAPI.Failure.badRequest("id: must be a whole number above 0")
        }
        return id
    }

    func modemNumber(_ context: some RequestContext) throws -> Int {
        let text = context.parameters.get("modem") ?? ""
        guard let number = Int(text), (1...modems.modemCount).contains(number) else {
            throw JSONAPI.Failure.badRequest(
                "modem_no: there is no modem \(text) (this gateway has \(modems.modemCount))"
            )
        }
        return number
    }

    /// The query, decoded as HTML forms are (`+` is a space; write a `+` as `%2B`), as APIv1 does.
    /// The query's parameters; a value that is not UTF-8 is a 400 naming it.
    static func query(_ request: Request) throws -> FormParameters {
        let query = FormParameters(encoded: request.uri.query ?? "")
        if let problem = query.notUTF8Problem { throw JSONAPI.Failure.badRequest(problem) }
        return query
    }

    static func queryInteger(
        _ query: FormParameters,
        _ name: String,
        in range: ClosedRange<Int> = 0...Int.max
    ) throws -> Int? {
        guard let text = query[name], !text.isEmpty else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw JSONAPI.Failure.badRequest("\(name): '\(text)' is not a whole number from \(range.lowerBound)")
        }
        return value
    }

    func date(_ query: FormParameters, _ name: String) throws -> Date? {
        guard let text = query[name], !text.isEmpty else { return nil }
        guard let date = dates.parseAPIv2(text) else {
            throw JSONAPI.Failure.badRequest("\(name): '\(text)' is not YYYY-MM-DD HH:MM:SS or ISO 8601")
        }
        return date
    }
}
