import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Logging
import SwiftletAPI
import SwiftletDomain
import SwiftletEvents
import SwiftletSupport

/// The handlers of the web interface's pages: each reads its input, calls the domain, and renders
/// a page (or redirects after a change, so a reload does not repeat it).
struct WebRoutes: Sendable {
    let gui: WebGUI
    /// Where the pages are, ending with `/`.
    let base: String

    // MARK: The frame every page shares

    struct NavItem {
        var href: String
        var label: String
        var current: Bool
    }

    struct Shell {
        var title: String
        var base: String
        var user: String
        var isAdmin: Bool
        var csrf: String
        var nav: [NavItem]
        var notice: String?
        var problem: String?
        var content: String
    }

    /// Renders `template` with `model` inside the layout, for the signed-in user.
    func page(
        _ title: String,
        template: String,
        model: Any,
        context: WebRequestContext,
        problem: String? = nil,
        status: HTTPResponse.Status = .ok
    ) throws -> Response {
        guard let user = context.user else { throw WebError(.unauthorized, "Sign in first.") }
        var notice: String?
        context.sessions.withLockedSession { session in
            notice = session?.notice
            if notice != nil { session?.notice = nil }
        }
        var items = [
            ("", "Dashboard"), ("compose", "Compose"), ("folders/inbox", "Inbox"), ("folders/outbox", "Outbox"),
            ("folders/sentitems", "Sent"), ("folders/sendingerror", "Errors"), ("phonebook", "Phonebook"),
            ("sensors", "Sensors"),
        ]
        if user.isAdmin { items += [("rules", "Rules"), ("plugins", "Plugins"), ("users", "Users")] }
        let shell = Shell(
            title: title,
            base: base,
            user: user.name,
            isAdmin: user.isAdmin,
            csrf: context.csrf,
            nav: items.map { NavItem(href: base + $0.0, label: $0.1, current: $0.1 == title) },
            notice: notice,
            problem: problem,
            content: gui.renderer.render(model, template: template)
        )
        return html(gui.renderer.render(shell, template: "layout"), status: status)
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// After a change: a message for the next page, and a redirect to it.
    func done(_ notice: String, then path: String, context: WebRequestContext) -> Response {
        context.sessions.withLockedSession { $0?.notice = notice }
        return .redirect(to: base + path, type: .normal)
    }

    func signedIn(_ context: WebRequestContext) throws -> APIUser {
        guard let user = context.user else { throw WebError(.unauthorized, "Sign in first.") }
        return user
    }

    /// Refuses what the user's APIv1 methods do not allow, as the API would.
    func require(_ method: String, _ user: APIUser, to action: String) throws {
        guard user.may(method) else {
            gui.logger.notice("web: refused", metadata: ["user": "\(user.name)", "method": "\(method)"])
            throw WebError(.forbidden, "You may not \(action) (your user lacks the method \(method)); ask an admin.")
        }
    }

    func requireAdmin(_ user: APIUser) throws {
        guard user.isAdmin else {
            gui.logger.notice("web: refused, not an admin", metadata: ["user": "\(user.name)"])
            throw WebError(.forbidden, "Only admins may do this.")
        }
    }

    /// A time as the site reads it: in its own time zone, as the APIs list times.
    func time(_ date: Date?) -> String {
        date.map(SMSEagleDate(timeZone: gui.timeZone).format) ?? ""
    }

    // MARK: Assets

    func asset(_ context: WebRequestContext) throws -> Response {
        guard let name = context.parameters.get("asset"), let asset = WebRenderer.assets[name] else {
            throw HTTPError(.notFound)
        }
        return Response(
            status: .ok,
            headers: [.contentType: asset.type, .cacheControl: "public, max-age=3600"],
            body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes))
        )
    }

    // MARK: Signing in and out

    struct LoginModel {
        var base: String
        var csrf: String
        var next: String
        var login: String
        var problem: String?
    }

    func loginPage(
        _ request: Request,
        context: WebRequestContext,
        next: String? = nil,
        login: String = "",
        problem: String? = nil
    ) -> Response {
        // A session before signing in holds only the CSRF token of the sign-in form.
        var csrf = context.sessions.session?.csrf ?? ""
        if csrf.isEmpty {
            csrf = Secrets.randomToken()
            context.sessions.createSession(WebSession(user: "", credentialStamp: "", csrf: csrf))
        }
        let next = next ?? request.uri.queryParameters["next"].map(String.init) ?? ""
        let model = LoginModel(base: base, csrf: csrf, next: next, login: login, problem: problem)
        return html(
            gui.renderer.render(model, template: "login"),
            status: problem == nil ? .ok : .unauthorized
        )
    }

    func login(_ request: Request, context: WebRequestContext) async throws -> Response {
        var request = request
        let form = try await WebForm.read(&request)
        guard let session = context.sessions.session, !session.csrf.isEmpty,
            let token = form["csrf"], WebForm.constantTimeEquals(token, session.csrf)
        else {
            throw WebError(.forbidden, "The sign-in form has expired. Reload the page and sign in again.")
        }
        let login = form["login"] ?? ""
        let user: APIUser
        do {
            user = try await gui.authenticator.authenticate(
                .password(login: login, password: form["password"] ?? ""),
                client: gui.authenticator.client(request, context: context),
                api: "web"
            )
        } catch let failure as Authenticator.Failure {
            let problem =
                failure.reason == .tooManyAttempts
                ? Authenticator.tooManyAttemptsText : "Wrong user name or password."
            return loginPage(request, context: context, next: form["next"], login: login, problem: problem)
        }
        guard let (_, stamp) = try await gui.users.user(named: user.name) else {
            return loginPage(
                request,
                context: context,
                next: form["next"],
                login: login,
                problem: "Wrong user name or password."
            )
        }
        // A new session id on signing in: a session fixed before cannot be taken over.
        context.sessions.createSession(WebSession(user: user.name, credentialStamp: stamp, csrf: Secrets.randomToken()))
        gui.logger.info("web: signed in", metadata: ["user": "\(user.name)"])
        let next = form["next"] ?? ""
        let safe = next.hasPrefix(base) && !next.hasPrefix("//") && !next.contains("\\") ? next : base
        return .redirect(to: safe, type: .normal)
    }

    func logout(_ context: WebRequestContext) -> Response {
        if let user = context.user { gui.logger.info("web: signed out", metadata: ["user": "\(user.name)"]) }
        context.sessions.clearSession()
        return .redirect(to: base + "login", type: .normal)
    }

    // MARK: Users (admin)

    struct UserRow {
        var name: String
        var role: String
        var methods: String
        var tokens: Int
        var password: Bool
    }

    func usersPage(_ request: Request, context: WebRequestContext) async throws -> Response {
        try requireAdmin(try signedIn(context))
        let rows = try await gui.userAdmin.users().map { user in
            UserRow(
                name: user.name,
                role: user.isAdmin
                    ? "admin"
                    : user.permissions.contains("*") || user.permissions.contains("send_sms")
                        ? "user" : "read-only",
                methods: user.permissions.contains("*") ? "all" : user.permissions.sorted().joined(separator: ", "),
                tokens: user.tokens,
                password: user.hasPassword
            )
        }
        return try page("Users", template: "users", model: ["users": rows], context: context)
    }
}
