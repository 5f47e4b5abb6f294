import HTTPTypes
import Hummingbird
import HummingbirdAuth
import SwiftletDomain
import SwiftletSupport

/// Authentication by access token as router middleware, for the APIs that carry the token in a
/// header (APIv2, Pixie, the rules API): it finds the token, checks it with the gateway's one
/// ``Authenticator`` (and its failed-login limiter), and hands the routes the user as
/// `context.identity`. A request without a valid token never reaches a handler.
///
/// Refusals are thrown as the API's own error, which renders itself in that API's format.
struct TokenAuthentication<Context: APIRequestContext>: RouterMiddleware {
    let authenticator: Authenticator
    /// Names the API in log lines.
    let api: String
    /// Whether `?access_token=` counts too (the rules API, for a browser or `curl` without headers).
    var queryToken = false
    /// The API's error for a refusal: the status, and what the client is told.
    let refuse: @Sendable (HTTPResponse.Status, String) -> any HTTPResponseError

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard
            let token = JSONAPI.token(request)
                ?? (queryToken ? request.uri.queryParameters["access_token"].map(String.init) : nil)
        else { throw refuse(.unauthorized, TokenAuthenticationMessages.missing) }
        var context = context
        context.identity = try await authenticator.authenticate(
            .token(token),
            client: authenticator.client(request, context: context),
            api: api
        ) {
            $0 == .invalid
                ? refuse(.unauthorized, "Invalid access token")
                : refuse(.tooManyRequests, Authenticator.tooManyAttemptsText)
        }
        return try await RequestOrigin.$api.withValue(api) { try await next(request, context) }
    }
}

/// What token authentication tells a client.
enum TokenAuthenticationMessages {
    static let missing = "An access token is required (header access-token or Authorization: Bearer)"
}

/// Authentication by credentials in form parameters as router middleware, for the APIs whose
/// clients put them in the query or a form body (SMSEagle's APIv1: `access_token`, or `login` and
/// `pass`; brevis.one's `api.php`: `username` and `password`). It reads the parameters once the
/// API's way (``FormParameters/read(_:maximumBodySize:)``, leaving the body readable for the route),
/// checks the credentials they carry with the gateway's one ``Authenticator``, and hands the route
/// the user as `context.identity`.
///
/// A request that carries no credentials reaches the route unauthenticated: each API has its own
/// answer for that, after its own checks of the request (an unknown APIv1 method is 404 first).
/// Wrong credentials are thrown as the API's own error, which renders itself in that API's format.
struct FormAuthentication<Context: APIRequestContext>: RouterMiddleware {
    enum Refusal {
        /// The body could not be read, or is larger than the API accepts.
        case unreadableBody(any Error)
        case credentials(Authenticator.Failure.Reason)
    }

    let authenticator: Authenticator
    /// Names the API in log lines.
    let api: String
    let maximumBodySize: Int
    /// The credentials the request's parameters carry; nil: none, or not for this route to check.
    let credential: @Sendable (FormParameters, Context) -> Authenticator.Credential?
    /// The API's error for a refusal, in the format the parameters ask for.
    let refuse: @Sendable (Refusal, FormParameters) -> any Error

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var request = request
        let parameters: FormParameters
        do {
            parameters = try await FormParameters.read(&request, maximumBodySize: maximumBodySize)
        } catch {
            throw refuse(.unreadableBody(error), FormParameters(encoded: request.uri.query ?? ""))
        }
        var context = context
        if let credential = credential(parameters, context) {
            context.identity = try await authenticator.authenticate(
                credential,
                client: authenticator.client(request, context: context),
                api: api
            ) { refuse(.credentials($0), parameters) }
        }
        return try await RequestOrigin.$api.withValue(api) { try await next(request, context) }
    }
}
