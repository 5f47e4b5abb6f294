import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwiftletAPI
import SwiftletEvents
import SwiftletSupport

/// Monitoring over HTTP: the Prometheus exposition at `metrics.path` (open, or behind a bearer token
/// when `metrics.token` is set) and the status snapshot as JSON at `/status.json`, for
/// `swiftlet status`, behind the data directory's status key (whoever can read the data directory).
struct MonitoringRoutes {
    static let statusPath = "/status.json"

    let settings: GatewayConfiguration.Metrics
    let metrics: GatewayMetrics
    let status: @Sendable () async throws -> StatusSnapshot
    let statusKey: String
    let started: Date

    func addRoutes(to router: Router<GatewayRequestContext>) {
        if settings.enabled {
            router.get(RouterPath(settings.path)) { request, _ in
                if let token = settings.token { try Self.authorize(request, token: token) }
                let text = metrics.exposition(try await status(), started: started)
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                    body: .init(byteBuffer: ByteBuffer(string: text))
                )
            }
        }
        router.get(RouterPath(Self.statusPath)) { request, _ in
            try Self.authorize(request, token: statusKey)
            let json = try JSONCoding.encoder.encode(try await status())
            return Response(
                status: .ok,
                headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: json))
            )
        }
    }

    /// Refuses a request without `Authorization: Bearer <token>` (compared in constant time).
    static func authorize(_ request: Request, token: String) throws {
        let given = request.headers[.authorization].flatMap { header -> Substring? in
            header.lowercased().hasPrefix("bearer ") ? header.dropFirst(7) : nil
        }
        guard let given, Secrets.constantTimeEqual(Array(given.utf8), Array(token.utf8)) else {
            throw HTTPError(
                .unauthorized,
                headers: [.wwwAuthenticate: "Bearer realm=\"swiftlet\""],
                message: "a bearer token is required (Authorization: Bearer …)"
            )
        }
    }
}

/// The key that opens `/status.json`: made at the gateway's first start in its data directory
/// (`status.key`, mode 0600), so whoever can read the data directory can ask a running gateway for
/// its status, and nobody else.
public enum StatusAccess {
    public static func token(dataDirectory: String) throws -> String {
        try SigningKey.load(directory: dataDirectory, name: "status.key").map { String(format: "%02x", $0) }
            .joined()
    }

    /// Where a command on this machine reaches the gateway's HTTP server.
    public static func baseURL(_ configuration: GatewayConfiguration) -> String {
        let host = configuration.http.host
        let local = ["0.0.0.0", "", "::"].contains(host) ? "127.0.0.1" : host
        return "http://\(Gateway.urlHost(local)):\(configuration.http.port)"
    }
}
