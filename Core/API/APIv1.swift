import Foundation
import Hummingbird
import HummingbirdAuth
import Logging
import SwiftletDomain
import SwiftletSupport

/// SMSEagle's APIv1 over HTTP GET (and POST with a form body) under `/http_api/` and
/// `/index.php/http_api/`, and over JSON-RPC at `/jsonrpc/sms`, with the documented answers and error texts.
///
/// Every answer is HTTP 200, as SMSEagle's own is; clients read the body. An unknown method is 404.
public struct APIv1: Sendable {
    let outbox: Outbox
    let store: any MessageStore
    let users: any UserDirectory
    let modems: any ModemControl
    let phonebook: any PhonebookAdmin
    /// Who a message to contacts and groups goes to: the gateway's one policy.
    let recipients: RecipientResolver
    let authenticator: Authenticator
    let dates: SMSEagleDate
    let logger: Logger

    /// Largest form body accepted (a 1530-character message, percent-encoded, is well below it).
    static let maximumBodySize = 256 * 1024

    public init(
        outbox: Outbox,
        store: any MessageStore,
        users: any UserDirectory,
        modems: any ModemControl,
        phonebook: any PhonebookAdmin,
        timeZone: TimeZone = .current,
        directories: (any ExternalDirectory)? = nil,
        authenticator: Authenticator,
        logger: Logger
    ) {
        self.outbox = outbox
        self.store = store
        self.users = users
        self.modems = modems
        self.phonebook = phonebook
        self.recipients = RecipientResolver(directory: phonebook, timeZone: timeZone, external: directories)
        self.authenticator = authenticator
        self.dates = SMSEagleDate(timeZone: timeZone)
        self.logger = logger
    }

    /// The methods this gateway serves, with their handlers.
    /// The names of the methods served, for permission lists.
    public static var methodNames: [String] { methods.keys.sorted() }

    static let methods: [String: @Sendable (APIv1, FormParameters, APIUser) async throws -> APIv1Reply] = [
        "send_sms": { api, parameters, user in try await api.sendSMS(parameters, user: user) },
        "send_togroup": { api, parameters, user in try await api.sendToGroup(parameters, user: user) },
        "send_binary_sms": { api, parameters, user in try await api.sendBinarySMS(parameters, user: user) },
        "send_tocontact": { api, parameters, user in try await api.sendToContact(parameters, user: user) },
        "read_sms": { api, parameters, user in try await api.readSMS(parameters, user: user) },
        "get_queue_length": { api, parameters, _ in try await api.queueLength(parameters) },
        "get_inbox_length": { api, parameters, _ in try await api.folderLength(.inbox, parameters) },
        "get_sentitems_length": { api, parameters, _ in try await api.folderLength(.sentitems, parameters) },
        "get_sendingerror_length": { api, parameters, _ in
            try await api.folderLength(.sendingerror, parameters)
        },
        "delete_sms": { api, parameters, user in try await api.deleteSMS(parameters, user: user) },
        "send_ussd": { api, parameters, user in try await api.sendUSSD(parameters, user: user) },
        "get_gsmsignal": { api, parameters, _ in try api.signal(parameters) },
        "call_with_termination": { api, parameters, _ in try await api.call(parameters) },
        "ring_call": { api, parameters, user in try await api.ringCall(parameters, user: user) },
        "tts_call": { api, parameters, user in try await api.ttsCall(parameters, user: user, advanced: false) },
        "tts_adv_call": { api, parameters, user in try await api.ttsCall(parameters, user: user, advanced: true) },
        "get_modem_state": { api, parameters, _ in try api.modemState(parameters) },
        "set_modem_state": { api, parameters, _ in try await api.setModemState(parameters) },
        "call_forward_read": { api, parameters, _ in try await api.callForwarding(parameters) },
        "call_forward_set": { api, parameters, _ in try await api.setCallForwarding(parameters) },
        "set_outbox_modem_no": { api, parameters, _ in try await api.moveOutbox(parameters) },
        "group_create": { api, parameters, user in try await api.groupCreate(parameters, user: user) },
        "group_read": { api, parameters, user in try await api.groupRead(parameters, user: user) },
        "group_update": { api, parameters, user in try await api.groupUpdate(parameters, user: user) },
        "group_delete": { api, parameters, user in try await api.groupDelete(parameters, user: user) },
        "group_addcontact": { api, parameters, user in
            try await api.membership(parameters, user: user, of: .group, member: true)
        },
        "group_removecontact": { api, parameters, user in
            try await api.membership(parameters, user: user, of: .group, member: false)
        },
        "group_members_read": { api, parameters, user in try await api.groupMembersRead(parameters, user: user) },
        "contact_create": { api, parameters, user in try await api.contactCreate(parameters, user: user) },
        "contact_read": { api, parameters, user in try await api.contactRead(parameters, user: user) },
        "contact_update": { api, parameters, user in try await api.contactUpdate(parameters, user: user) },
        "contact_delete": { api, parameters, user in try await api.contactDelete(parameters, user: user) },
        "userid_read": { api, parameters, _ in try await api.useridRead(parameters) },
        "shift_create": { api, parameters, user in try await api.shiftCreate(parameters, user: user) },
        "shift_read": { api, parameters, _ in try await api.shiftRead(parameters) },
        "shift_update": { api, parameters, _ in try await api.shiftUpdate(parameters) },
        "shift_delete": { api, parameters, _ in try await api.shiftDelete(parameters) },
        "shift_addcontact": { api, parameters, user in
            try await api.membership(parameters, user: user, of: .shift, member: true)
        },
        "shift_removecontact": { api, parameters, user in
            try await api.membership(parameters, user: user, of: .shift, member: false)
        },
        "set_contact_vacation_mode": { api, parameters, user in
            try await api.setVacationMode(parameters, user: user)
        },
        "get_contact_vacation_mode": { api, parameters, user in try await api.vacationMode(parameters, user: user)
        },
    ]

    public func addRoutes<Context: APIRequestContext>(to router: Router<Context>) {
        for prefix in ["/http_api", "/index.php/http_api"] {
            let methods = router.group(RouterPath(prefix)).add(middleware: authentication(Context.self))
            methods.get(":method") { request, context in try await self.respond(to: request, context: context) }
            methods.post(":method") { request, context in try await self.respond(to: request, context: context) }
        }
        for path in ["/jsonrpc/sms", "/index.php/jsonrpc/sms"] {
            router.post(RouterPath(path)) { request, context in
                try await RequestOrigin.$api.withValue("APIv1") {
                    try await self.respondJSONRPC(
                        to: request,
                        client: self.authenticator.client(request, context: context)
                    )
                }
            }
        }
    }

    /// The middleware that authenticates the form methods. An unknown method or response type is
    /// answered as such by the route, whoever asks; wrong credentials with the documented texts.
    func authentication<Context: APIRequestContext>(_: Context.Type) -> FormAuthentication<Context> {
        FormAuthentication(
            authenticator: authenticator,
            api: "APIv1",
            maximumBodySize: Self.maximumBodySize,
            credential: { parameters, context in
                guard let method = context.parameters.get("method"), Self.methods[method] != nil,
                    Self.formResponseTypes.contains(parameters["responsetype"] ?? "text")
                else { return nil }
                return Self.credential(parameters)?.credential
            },
            refuse: { refusal, parameters in
                switch refusal {
                case .unreadableBody(let error):
                    return error
                case .credentials(let reason):
                    let text = reason == .invalid ? Self.credential(parameters)?.invalid : nil
                    return Answer(.error(text ?? Authenticator.tooManyAttemptsText), parameters)
                }
            }
        )
    }

    static let formResponseTypes: Set<String> = ["text", "xml"]

    func respond(to request: Request, context: some APIRequestContext) async throws -> Response {
        let method = context.parameters.get("method") ?? ""
        var request = request
        let parameters = try await FormParameters.read(&request, maximumBodySize: Self.maximumBodySize)
        guard let handler = Self.methods[method] else {
            logger.notice("APIv1: unknown method", metadata: ["method": "\(method)"])
            return Self.response("Unknown method \(method)", status: .notFound)
        }
        let reply = await call(method, handler, parameters, responseTypes: Self.formResponseTypes) {
            // The middleware checked the credentials the request carries; it carries none.
            guard let user = context.identity else {
                throw SwiftletError(.unauthenticated, APIv1Reply.invalidLoginText)
            }
            return user
        }
        return Answer(reply, parameters).response
    }

    /// An answer in the format the request asks for (`responsetype=xml`, else text), always 200.
    struct Answer: HTTPResponseError {
        let reply: APIv1Reply
        let xml: Bool

        init(_ reply: APIv1Reply, _ parameters: FormParameters) {
            self.reply = reply
            self.xml = parameters["responsetype"] == "xml"
        }

        var status: HTTPResponse.Status { .ok }
        var response: Response { APIv1.response(xml ? reply.xml : reply.text, xml: xml) }
        func response(from request: Request, context: some RequestContext) throws -> Response { response }
    }

    /// Checks the response type, authenticates (`user`), checks the permission, runs the method, and
    /// maps domain errors to the documented texts. Logs what happened without the credentials.
    func call(
        _ method: String,
        _ handler: @Sendable (APIv1, FormParameters, APIUser) async throws -> APIv1Reply,
        _ parameters: FormParameters,
        responseTypes: Set<String>,
        user authenticated: () async throws -> APIUser
    ) async -> APIv1Reply {
        var logger = self.logger
        logger[metadataKey: "method"] = "\(method)"
        do {
            if let responseType = parameters["responsetype"], !responseTypes.contains(responseType) {
                return .wrongParameters
            }
            let user = try await authenticated()
            logger[metadataKey: "user"] = "\(user.name)"
            guard user.may(method) else {
                logger.notice("APIv1: method not permitted for this user")
                return .error("No permission to use this method")
            }
            if let problem = parameters.notUTF8Problem {
                throw Refusal(.error("Invalid parameter: \(problem)"), because: problem)
            }
            let reply = try await handler(self, parameters, user)
            if case .queued(let ids) = reply { logger.info("APIv1: queued", metadata: ["message.ids": "\(ids)"]) }
            return reply
        } catch let refusal as Refusal {
            logger.info(
                "APIv1: refused",
                metadata: ["answer": "\(refusal.reply.text)", "reason": "\(refusal.reason ?? "")"]
            )
            return refusal.reply
        } catch let error as SwiftletError where error.kind == .unauthenticated {
            return .error(error.detail)
        } catch let error as SwiftletError where error.kind == .invalidParameter || error.kind == .notFound {
            logger.info("APIv1: wrong parameters", metadata: ["reason": "\(error.detail)"])
            return .wrongParameters
        } catch let error as SwiftletError where error.kind == .notSupported || error.kind == .unavailable {
            // Understood, but the gateway cannot do it (MMS without an MMS modem): say why.
            logger.notice("APIv1: cannot do it", metadata: ["reason": "\(error.detail)"])
            return .error(error.detail)
        } catch {
            logger.error("APIv1: failed", metadata: ["error": "\(error)"])
            return .error("Internal error")
        }
    }

    /// The credentials `parameters` carry: `access_token` first, else `login` and `pass`; with the
    /// documented text for when they are wrong.
    static func credential(_ parameters: FormParameters) -> (credential: Authenticator.Credential, invalid: String)? {
        if let token = parameters["access_token"] { return (.token(token), APIv1Reply.invalidTokenText) }
        if let login = parameters["login"], let password = parameters["pass"] {
            return (.password(login: login, password: password), APIv1Reply.invalidLoginText)
        }
        return nil
    }

    /// Authenticates the credentials of `parameters` (JSON-RPC's, which carries them in its body).
    /// Throws `.unauthenticated` with the documented text, or "too many failed attempts" while the
    /// limiter blocks the client.
    func authenticate(_ parameters: FormParameters, client: String) async throws -> APIUser {
        guard let (credential, invalid) = Self.credential(parameters) else {
            throw SwiftletError(.unauthenticated, APIv1Reply.invalidLoginText)
        }
        return try await authenticator.authenticate(credential, client: client, api: "APIv1") {
            SwiftletError(.unauthenticated, $0 == .invalid ? invalid : Authenticator.tooManyAttemptsText)
        }
    }

    static func response(_ body: String, status: HTTPResponse.Status = .ok, xml: Bool = false) -> Response {
        Response(
            status: status,
            headers: [.contentType: xml ? "text/xml; charset=utf-8" : "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }
}
