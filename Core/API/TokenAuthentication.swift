import HTTPTypes
import Hummingbird
import HummingbirdAuth
import SwiftletDomain

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
        return try await next(request, context)
    }
}

/// What token authentication tells a client.
enum TokenAuthenticationMessages {
    static let missing = "An access token is required (header access-token or Authorization: Bearer)"
}
