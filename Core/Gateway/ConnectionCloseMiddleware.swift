import Foundation
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

/// Answers 501 to a request whose body comes in a transfer coding other than `chunked`
/// (`Transfer-Encoding: gzip, chunked`): the server would otherwise read compressed bytes as the text
/// (RFC 9112 §6.1).
struct TransferCodingMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let codings = request.headers[values: .transferEncoding]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard codings.allSatisfy({ $0 == "chunked" }) else {
            return Response(
                status: .notImplemented,
                headers: [.contentType: "text/plain; charset=utf-8", .connection: "close"],
                body: ResponseBody(
                    byteBuffer: ByteBuffer(
                        string:
                            "Transfer-Encoding \(codings.joined(separator: ", ")) is not supported: send the body as it is or chunked\n"
                    )
                )
            )
        }
        return try await next(request, context)
    }
}
