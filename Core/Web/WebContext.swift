import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Logging
import NIOCore
import SwiftletAPI
import SwiftletDomain
import SwiftletSupport

/// What a signed-in browser's session holds: who signed in, the stamp of that user's credentials
/// when they did (a changed password or rights end the session), and the token every form carries
/// against cross-site request forgery.
struct WebSession: Codable, Sendable {
    var user: String
    var credentialStamp: String
    var csrf: String
    /// A message for the next page shown (after a change and its redirect).
    var notice: String? = nil
}

/// The request context of the web interface's routes: the gateway's (the client's address, for the
/// failed-login limiter) plus the session, and the signed-in user once ``WebSignIn`` found one.
struct WebRequestContext: ChildRequestContext, SessionRequestContext, RemoteAddressRequestContext {
    typealias ParentContext = GatewayRequestContext
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    let sessions: SessionContext<WebSession>
    /// The signed-in user, with the session's CSRF token.
    var user: APIUser?

    init(context: GatewayRequestContext) throws {
        coreContext = context.coreContext
        remoteAddress = context.remoteAddress
        sessions = SessionContext()
        user = nil
    }

    var csrf: String { sessions.session?.csrf ?? "" }
}

/// Finds the signed-in user for every page but the sign-in page and the assets: a browser without a
/// valid session is sent to the sign-in page (and back to where it was going after), a session
/// whose user is gone or whose credentials changed since is ended. On every POST the form's `csrf`
/// field must match the session's token; otherwise the request is refused before it does anything.
struct WebSignIn: RouterMiddleware {
    typealias Context = WebRequestContext
    let users: any UserDirectory
    let base: String

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        if path == base + "login" || path.hasPrefix(base + "static/") { return try await next(request, context) }
        var context = context
        guard let session = context.sessions.session,
            let (user, stamp) = try await users.user(named: session.user),
            stamp == session.credentialStamp
        else {
            context.sessions.clearSession()
            let back = request.method == .get ? "?next=" + WebForm.percentEncoded(request.uri.description) : ""
            return .redirect(to: base + "login" + back, type: .found)
        }
        context.user = user
        var request = request
        if request.method == .post {
            let form = try await WebForm.read(&request)
            guard let token = form["csrf"], WebForm.constantTimeEquals(token, session.csrf) else {
                context.logger.notice(
                    "web: a form without its CSRF token refused",
                    metadata: ["user": "\(user.name)", "path": "\(path)"]
                )
                throw WebError(
                    .forbidden,
                    "This form has expired or did not come from this page. Go back, reload it, and try again."
                )
            }
        }
        return try await RequestOrigin.$api.withValue("web") { try await next(request, context) }
    }
}

/// Headers on every page: a strict Content-Security-Policy (scripts, styles and images only from the
/// gateway itself, no inline script, no framing), clickjacking and MIME-sniffing protection, and no
/// caching of pages that show messages.
struct WebSecurityHeaders<Context: RequestContext>: RouterMiddleware {
    static var policy: String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as WebError {
            response = error.page
        }
        response.headers[.contentSecurityPolicy] = Self.policy
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "same-origin"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

extension HTTPField.Name {
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
