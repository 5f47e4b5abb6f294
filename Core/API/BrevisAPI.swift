import Foundation
import Hummingbird
import HummingbirdAuth
import Logging
import SMSCodec
import SwiftletDomain
import SwiftletSupport

/// The brevis.one SMS Gateway's HTTP API: `/api.php` by GET or POST (form body), with `username`
/// and `password`. Answers and their HTTP status codes are the documented ones; see
/// `docs/api/brevis.md` for the choices made where the documentation is silent.
public struct BrevisAPI: Sendable {
    let outbox: Outbox
    let phonebook: any PhonebookAdmin
    /// Who a message to contacts and groups goes to: the gateway's one policy.
    let recipients: RecipientResolver
    let authenticator: Authenticator
    /// The JSON API's sign-ins; nil serves the form API (`/api.php`) only.
    let sessions: BrevisSessions?
    let logger: Logger

    /// How long a `ring` call rings before the modem hangs up.
    static let ringSeconds = 30

    static let failed = "Error. See Gateway logs for more information."
    static let parameterMissing = "Error: Parameter miss."
    static let unauthorized = "401 Unauthorized - Username or Password wrong."
    static let forbidden = "403 Forbidden - Your User has no right to send SMS over API."
    static let timeout = "FAILED - Timeout or see Gateway logs for more information."

    public init(
        outbox: Outbox,
        phonebook: any PhonebookAdmin,
        timeZone: TimeZone = .current,
        directories: (any ExternalDirectory)? = nil,
        authenticator: Authenticator,
        sessions: BrevisSessions? = nil,
        logger: Logger
    ) {
        self.outbox = outbox
        self.phonebook = phonebook
        self.recipients = RecipientResolver(directory: phonebook, timeZone: timeZone, external: directories)
        self.authenticator = authenticator
        self.sessions = sessions
        self.logger = logger
    }

    /// An answer other than success, as text with its status.
    struct Answer: HTTPResponseError {
        var status: HTTPResponse.Status
        var text: String
        /// For the log: what was wrong (the answer itself says only "see the logs").
        var reason: String?

        init(_ status: HTTPResponse.Status, _ text: String, because reason: String? = nil) {
            self.status = status
            self.text = text
            self.reason = reason
        }

        func response(from request: Request, context: some RequestContext) throws -> Response {
            BrevisAPI.response(text, status: status)
        }
    }

    public func addRoutes<Context: APIRequestContext>(to router: Router<Context>) {
        let form = router.group("/api.php").add(middleware: authentication(Context.self))
        form.get { request, context in await respond(to: request, context: context) }
        form.post { request, context in await respond(to: request, context: context) }
        addJSONRoutes(to: router)
    }

    /// The middleware that authenticates `api.php`. A request missing any of `username`, `password`,
    /// `text` and `to` is answered "parameter miss" by the route, before its credentials are checked.
    func authentication<Context: APIRequestContext>(_: Context.Type) -> FormAuthentication<Context> {
        FormAuthentication(
            authenticator: authenticator,
            api: "brevis.one API",
            maximumBodySize: APIv1.maximumBodySize,
            credential: { parameters, _ in
                guard let username = parameters["username"], let password = parameters["password"],
                    parameters["text"] != nil, parameters["to"]?.isEmpty == false
                else { return nil }
                return .password(login: username, password: password)
            },
            refuse: { refusal, _ in
                switch refusal {
                case .unreadableBody:
                    Answer(.requestTimeout, Self.timeout, because: "the body could not be read (or is too large)")
                case .credentials(.invalid):
                    Answer(.unauthorized, Self.unauthorized, because: "wrong user name or password")
                case .credentials(.tooManyAttempts):
                    Answer(.tooManyRequests, Authenticator.tooManyAttemptsText, because: "too many failed logins")
                }
            }
        )
    }

    func respond(to request: Request, context: some APIRequestContext) async -> Response {
        var user = "?"
        do {
            var request = request
            let parameters = try await FormParameters.read(&request, maximumBodySize: APIv1.maximumBodySize)
            guard parameters["username"] != nil, parameters["password"] != nil,
                let text = parameters["text"], let to = parameters["to"], !to.isEmpty
            else {
                throw Answer(.badRequest, Self.parameterMissing, because: "username, password, text and to are needed")
            }
            // The middleware checked the credentials.
            guard let account = context.identity else { throw Answer(.unauthorized, Self.unauthorized) }
            user = account.name
            guard account.may("send_sms") else {
                throw Answer(.forbidden, Self.forbidden, because: "no send_sms permission")
            }
            if let problem = parameters.notUTF8Problem {
                throw Answer(.badRequest, Self.failed, because: problem)
            }
            let ids = try await send(text: text, to: to, parameters, user: account)
            logger.info("brevis.one API: queued", metadata: ["user": "\(user)", "message.ids": "\(ids)"])
            return Self.response("OK", status: .ok)
        } catch let answer as Answer {
            logger.notice(
                "brevis.one API: refused",
                metadata: [
                    "user": "\(user)", "status": "\(answer.status.code)", "reason": "\(answer.reason ?? answer.text)",
                ]
            )
            return Self.response(answer.text, status: answer.status)
        } catch let error as SwiftletError where error.kind == .invalidParameter || error.kind == .notFound {
            logger.notice("brevis.one API: refused", metadata: ["user": "\(user)", "reason": "\(error.detail)"])
            return Self.response(Self.failed, status: .badRequest)
        } catch {
            logger.error("brevis.one API: failed", metadata: ["user": "\(user)", "error": "\(error)"])
            return Self.response(Self.timeout, status: .requestTimeout)
        }
    }

    /// Sends (or, with `ring`, calls) to the numbers `to` names in `mode`. Returns the queued
    /// messages' ids.
    func send(text: String, to: String, _ parameters: FormParameters, user: APIUser) async throws -> [MessageID] {
        let delivery = try await resolve(Self.recipients(to: to, mode: parameters["mode"] ?? "number"))
        var message = text
        if Self.isSet(parameters["hexmode"]) {
            guard let bytes = Hex.decode(text), let decoded = String(validating: bytes, as: UTF8.self) else {
                throw Answer(.badRequest, Self.failed, because: "hexmode: text is not hex of UTF-8 text")
            }
            message = decoded
        }
        var options = SendOptions()
        options.flash = Self.isSet(parameters["flash"])
        return try await queue(
            delivery,
            only: try screened(delivery.numbers, parameters),
            text: message,
            ring: Self.isSet(parameters["ring"]),
            options: options,
            user: user
        )
    }

    /// Queues a message (or a ring call) to `numbers`, those of `delivery` that are kept. A message
    /// to someone off duty is held until the shift starts; a call is for now, so they are not called.
    func queue(
        _ delivery: ContactDelivery,
        only numbers: [String],
        text: String,
        ring: Bool,
        options: SendOptions = SendOptions(),
        user: APIUser
    ) async throws -> [MessageID] {
        let held = Dictionary(
            delivery.heldUntil.map { (delivery.numbers[$0.key], $0.value) },
            uniquingKeysWith: { first, _ in first }
        )
        if ring {
            let now = numbers.filter { held[$0] == nil }
            guard !now.isEmpty else { throw Answer(.badRequest, Self.failed, because: "everyone named is off duty") }
            return try await outbox.ring(now, seconds: Self.ringSeconds, modemNumber: nil, createdBy: user.name)
        }
        var request = SendRequest(recipients: numbers, text: text, options: options, createdBy: user.name)
        request.heldUntil = Dictionary(
            numbers.indices.compactMap { index in held[numbers[index]].map { (index, $0) } },
            uniquingKeysWith: { first, _ in first }
        )
        return try await outbox.send(request)
    }

    /// What `to` names in `mode`, for both brevis.one APIs:
    /// - `number` (and every mode not known here: "Invalid modes are resulting in the default mode
    ///   number"): numbers, comma-separated;
    /// - `user`, `contact`, `telcontact`: the public contacts of that name (published clients address
    ///   a contact as a `user`);
    /// - `group`, `telgroup`, `contactgroup`: the members of the public group of that name or id.
    static func recipients(to: String, mode: String) -> RecipientList {
        switch mode {
        case "group", "telgroup", "contactgroup":
            // Digits as an id writes them ("007" is a name); `resolve` falls back to the name.
            RecipientList(groups: [Int64(to).flatMap { String($0) == to ? .id($0) : nil } ?? .name(to)])
        case "user", "contact", "telcontact":
            RecipientList(contacts: [.name(to)])
        default:
            RecipientList(numbers: to.split(separator: ",").map { APIv1.number(String($0)) })
        }
    }

    /// The numbers of `list` by the gateway's recipient policy (vacations, shifts), public entries only.
    func resolve(_ list: RecipientList) async throws -> ContactDelivery {
        let delivery: ContactDelivery
        do {
            delivery = try await recipients.resolve(list, scope: .publicEntries, start: Date())
        } catch let unknown as UnknownRecipient {
            // An all-digit group is its id or, when no group has that id, its name ("112").
            if unknown.kind == .group, case .id(let id) = unknown.reference, list.groups == [.id(id)] {
                return try await resolve(RecipientList(groups: [.name(String(id))]))
            }
            throw Answer(.badRequest, Self.failed, because: "\(unknown.description) (public)")
        }
        for note in delivery.notes {
            logger.info(
                "brevis.one API: recipient policy",
                metadata: ["contact": "\(note.contact)", "policy": "\(note.text)"]
            )
        }
        guard !delivery.numbers.isEmpty else {
            throw Answer(.badRequest, Self.failed, because: "nobody to send to: empty groups, or all away")
        }
        return delivery
    }

    /// `list=white`: only the numbers that `regex` matches; `list=black`: only those it does not.
    func screened(_ numbers: [String], _ parameters: FormParameters) throws -> [String] {
        guard let list = parameters["list"], !list.isEmpty else { return numbers }
        guard list == "white" || list == "black" else {
            throw Answer(.badRequest, Self.failed, because: "list: '\(list)' is not white or black")
        }
        guard let pattern = parameters["regex"], !pattern.isEmpty else {
            throw Answer(.badRequest, Self.parameterMissing, because: "list needs regex")
        }
        let regex: BoundedRegex
        do {
            regex = try BoundedRegex(pattern, caseInsensitive: false)
        } catch {
            throw Answer(.badRequest, Self.failed, because: "regex: \(error.description)")
        }
        var kept: [String] = []
        for number in numbers {
            let matches: Bool
            do {
                matches = try regex.firstMatch(in: number) != nil
            } catch {
                throw Answer(.badRequest, Self.failed, because: "regex: \(error.description)")
            }
            if matches == (list == "white") {
                kept.append(number)
            } else {
                logger.info(
                    "brevis.one API: not sent to a number on the list",
                    metadata: ["to": "\(number)", "list": "\(list)list", "regex": "\(pattern)"]
                )
            }
        }
        guard !kept.isEmpty else {
            throw Answer(.badRequest, Self.failed, because: "the \(list)list leaves no recipient")
        }
        return kept
    }

    /// A switch given in the query: present and not `false`/`0` (`flash`, `ring`, `hexmode=true`).
    static func isSet(_ value: String?) -> Bool {
        guard let value else { return false }
        return !["false", "0", "no", "off"].contains(value.lowercased())
    }

    static func response(_ text: String, status: HTTPResponse.Status) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}
