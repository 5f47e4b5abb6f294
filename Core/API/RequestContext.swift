import Hummingbird
import HummingbirdAuth
import NIOCore
import SwiftletDomain

/// What every API's routes need of a request context: the client's address (for the failed-login
/// limiter) and the user that authentication middleware found (hummingbird-auth's typed context).
public protocol APIRequestContext: AuthRequestContext, RemoteAddressRequestContext where Identity == APIUser {}

/// The request context of the gateway's HTTP server: Hummingbird's basics, the client's address and
/// the authenticated user.
public struct GatewayRequestContext: APIRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    public var identity: APIUser?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        identity = nil
    }
}
