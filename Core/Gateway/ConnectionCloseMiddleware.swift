import Hummingbird

/// Says `Connection: close` in the answer to a request that asked for it, as HTTP/1.1 wants of a
/// server that closes the connection after answering (RFC 9112 §9.6). Without it, clients that do
/// not keep connections (shell scripts, monitoring checks) take the close for a broken connection.
struct ConnectionCloseMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        if let connection = request.headers[.connection], connection.lowercased().contains("close") {
            response.headers[.connection] = "close"
        }
        return response
    }
}
