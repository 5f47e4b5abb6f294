import Hummingbird
import NIOCore

/// The request context of the gateway's HTTP server: Hummingbird's basics and the client's address
/// (for rate limiting failed logins).
public struct GatewayRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
