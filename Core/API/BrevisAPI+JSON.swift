import Foundation
import Hummingbird
import JWTKit
import Logging
import SwiftletDomain
import SwiftletEvents

/// The brevis.one gateway's JSON API, as NETWAYS' notify-brevisone (a published Icinga plugin) uses
/// it: `POST /api/signin` with `{"username", "password"}` answers `{"jwt", "expireAt"}`; then
/// `POST /api/messages` with `Authorization: Bearer <jwt>` and
/// `{"recipients": [{"to", "target": "number|user|group"}], "text", "provider": "sms", "type": "default|ring"}`.
///
/// The JWT is signed (HS256) with the gateway's own key, expires after ``BrevisSessions/lifetime``,
/// and carries a stamp of the user's credentials: it is refused once the user's password, tokens or
/// rights change, or the user is gone.
public struct BrevisSessions: Sendable {
    /// How long a sign-in lasts.
    public static let lifetime: TimeInterval = 3600

    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        /// The user's credential stamp when it signed in.
        var crd: String

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try exp.verifyNotExpired()
        }
    }

    let keys: JWTKeyCollection
    let users: any UserDirectory

    /// - Parameter key: the gateway's signing key (32 random bytes, kept in the data directory).
    public init(key: [UInt8], users: any UserDirectory) async {
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: key), digestAlgorithm: .sha256)
        self.users = users
    }

    /// A session token for `user`, and when it expires.
    func sign(_ user: APIUser, now: Date = Date()) async throws -> (jwt: String, expireAt: Date) {
        guard let (_, stamp) = try await users.user(named: user.name) else {
            throw JSONAPI.Failure(.unauthorized, "Unauthorized")
        }
        let expireAt = Date(timeIntervalSince1970: (now.timeIntervalSince1970 + Self.lifetime).rounded(.down))
        let claims = Claims(sub: SubjectClaim(value: user.name), exp: ExpirationClaim(value: expireAt), crd: stamp)
        return (try await keys.sign(claims), expireAt)
    }

    /// The user a session token names, if it is signed by this gateway, not expired, and the user's
    /// credentials are those it signed in with; nil otherwise.
    func user(_ jwt: String) async -> APIUser? {
        guard let claims = try? await keys.verify(jwt, as: Claims.self),
            let (user, stamp) = try? await users.user(named: claims.sub.value),
            stamp == claims.crd
        else { return nil }
        return user
    }
}

extension BrevisAPI {
    func addJSONRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.post("/api/signin") { request, context in
            await json.respond { try await signIn(request, client: authenticator.client(request, context: context)) }
        }
        router.post("/api/messages") { request, context in
            await json.respond { try await messages(request, client: authenticator.client(request, context: context)) }
        }
    }

    var json: JSONAPI { JSONAPI(authenticator: authenticator, logger: logger, name: "brevis.one JSON API") }

    func signIn(_ request: Request, client: String) async throws -> JSONAPI.Answer {
        guard let sessions else { throw JSONAPI.Failure.notFound }
        let body = try await JSONAPI.object(request)
        guard let username = try body.text("username"), let password = try body.text("password") else {
            throw JSONAPI.Failure.badRequest("username and password are required")
        }
        let user = try await authenticator.authenticate(
            .password(login: username, password: password),
            client: client,
            api: "brevis.one JSON API"
        ) {
            $0 == .invalid
                ? JSONAPI.Failure(.unauthorized, "Username or password wrong")
                : JSONAPI.Failure(.tooManyRequests, Authenticator.tooManyAttemptsText)
        }
        let (jwt, expireAt) = try await sessions.sign(user)
        logger.info("brevis.one JSON API: signed in", metadata: ["user": "\(user.name)", "client": "\(client)"])
        return (.ok, SignedIn(jwt: jwt, expireAt: Int(expireAt.timeIntervalSince1970)))
    }

    func messages(_ request: Request, client: String) async throws -> JSONAPI.Answer {
        guard let sessions else { throw JSONAPI.Failure.notFound }
        guard let jwt = JSONAPI.token(request), let user = await sessions.user(jwt) else {
            logger.notice("brevis.one JSON API: refused: no valid session", metadata: ["client": "\(client)"])
            throw JSONAPI.Failure(
                .unauthorized,
                "Sign in first (POST /api/signin); the token is missing, expired or revoked"
            )
        }
        guard user.may("send_sms") else {
            throw JSONAPI.Failure(.forbidden, "Your user has no right to send SMS over the API")
        }
        let body = try await JSONAPI.object(request)
        guard let text = try body.text("text") else { throw JSONAPI.Failure.badRequest("text: required") }
        guard case .array(let items)? = body.value("recipients"), !items.isEmpty else {
            throw JSONAPI.Failure.badRequest("recipients: required, a list of {\"to\", \"target\"}")
        }
        switch try body.text("provider") {
        case nil, "sms": break
        case let other?: throw JSONAPI.Failure.badRequest("provider: '\(other)' is not available here (sms)")
        }
        let ring: Bool
        switch try body.text("type") {
        case nil, "default": ring = false
        case "ring": ring = true
        case let other?: throw JSONAPI.Failure.badRequest("type: '\(other)' is not default or ring")
        }
        guard ring || !text.isEmpty else { throw JSONAPI.Failure.badRequest("text: required") }
        var list = RecipientList()
        for item in items {
            guard case .object(let fields) = item, case .string(let to)? = fields["to"], !to.isEmpty else {
                throw JSONAPI.Failure.badRequest("recipients: each needs \"to\"")
            }
            let target: String
            switch fields["target"] {
            case nil: target = "number"
            case .string(let value)?: target = value
            default: throw JSONAPI.Failure.badRequest("recipients: target must be number, user or group")
            }
            let named = Self.recipients(to: to, mode: target)
            list.numbers += named.numbers
            list.contacts += named.contacts
            list.groups += named.groups
        }
        let ids: [MessageID]
        do {
            let delivery = try await resolve(list)
            ids = try await queue(delivery, only: delivery.numbers, text: text, ring: ring, user: user)
        } catch let answer as Answer {
            throw JSONAPI.Failure.badRequest("recipients: \(answer.reason ?? answer.text)")
        }
        logger.info("brevis.one JSON API: queued", metadata: ["user": "\(user.name)", "message.ids": "\(ids)"])
        return (.ok, Queued(ids: ids))
    }

    /// `POST /api/signin`'s answer: the session token and when it expires (Unix time).
    struct SignedIn: Encodable {
        var jwt: String
        var expireAt: Int
    }

    /// `POST /api/messages`'s answer: `{"status": "queued", "ids": […]}`.
    struct Queued: Encodable {
        var status = "queued"
        var ids: [MessageID]
    }
}
