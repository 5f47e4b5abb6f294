import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTPTypes

/// What keeps slow and idle clients from using up the HTTP server: a cap on open connections, and
/// deadlines for a request's head and body and for the pause between requests.
///
/// Without them, about a thousand connections that never finish a request use up the process's file
/// descriptors; the server then stops accepting (and spins on `accept`), while clients retrying requests
/// that were committed but answered late cause duplicates.
struct HTTPConnectionLimits: Sendable {
    let maxConnections: Int
    let headerTimeout: TimeAmount
    let bodyTimeout: TimeAmount
    let idleTimeout: TimeAmount
    let logger: Logger
    private let open = NIOLockedValueBox(OpenConnections())

    struct OpenConnections {
        var count = 0
        var refused = 0
        var lastWarning: Date = .distantPast
    }

    init(_ settings: GatewayConfiguration.HTTP, logger: Logger) {
        self.maxConnections = settings.maxConnections
        self.headerTimeout = .nanoseconds(Int64(settings.headerTimeout.seconds * 1e9))
        self.bodyTimeout = .nanoseconds(Int64(settings.bodyTimeout.seconds * 1e9))
        self.idleTimeout = .nanoseconds(Int64(settings.idleTimeout.seconds * 1e9))
        self.logger = logger
    }

    /// The HTTP/1 server with these limits.
    var server: HTTPServerBuilder {
        .http1(
            configuration: .init(
                additionalChannelHandlers: [self.handler()] + RequestLineRepair.handlers(logger: logger)
            )
        )
    }

    func handler() -> any RemovableChannelHandler { Handler(limits: self) }

    /// Counts a new connection; false (and a warning, at most one a minute) when the cap is reached.
    func admit() -> Bool {
        let (admitted, warn, refused) = open.withLockedValue { open -> (Bool, Bool, Int) in
            guard open.count < maxConnections else {
                open.refused += 1
                let warn = Date().timeIntervalSince(open.lastWarning) >= 60
                if warn { open.lastWarning = Date() }
                let refused = open.refused
                if warn { open.refused = 0 }
                return (false, warn, refused)
            }
            open.count += 1
            return (true, false, 0)
        }
        if warn {
            logger.warning(
                "HTTP: connection limit reached; closing new connections at once",
                metadata: ["max_connections": "\(maxConnections)", "refused": "\(refused)"]
            )
        }
        return admitted
    }

    func release() { open.withLockedValue { $0.count -= 1 } }

    /// One per connection: admits it, and closes it when a deadline passes.
    final class Handler: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        typealias OutboundIn = HTTPResponsePart
        typealias OutboundOut = HTTPResponsePart

        let limits: HTTPConnectionLimits
        private var admitted = false
        private var started = false
        private var deadline: Scheduled<Void>?

        init(limits: HTTPConnectionLimits) { self.limits = limits }

        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive { start(context) }
        }

        func channelActive(context: ChannelHandlerContext) {
            start(context)
            context.fireChannelActive()
        }

        private func start(_ context: ChannelHandlerContext) {
            guard !started else { return }
            started = true
            guard limits.admit() else {
                context.close(promise: nil)
                return
            }
            admitted = true
            // A new connection must send its first request's head in time.
            arm(context, limits.headerTimeout)
        }

        func channelInactive(context: ChannelHandlerContext) {
            leave()
            context.fireChannelInactive()
        }

        func handlerRemoved(context: ChannelHandlerContext) { leave() }

        /// The connection ends: its deadline goes, and its place under the cap is given back (once).
        private func leave() {
            disarm()
            if admitted {
                admitted = false
                limits.release()
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head: arm(context, limits.bodyTimeout)
            case .body: break
            case .end: disarm()  // the answer may take as long as the work does
            }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            // After an answer, the next request's head must come within the idle timeout.
            if case .end = unwrapOutboundIn(data) { arm(context, limits.idleTimeout) }
            context.write(data, promise: promise)
        }

        private func arm(_ context: ChannelHandlerContext, _ timeout: TimeAmount) {
            disarm()
            let channel = context.channel
            deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        }

        private func disarm() {
            deadline?.cancel()
            deadline = nil
        }
    }
}

/// Raises this process's soft limit of open files to its hard limit, so that the connection cap, not
/// the descriptor limit, decides how many clients are served; returns the soft limit now in force.
func raiseOpenFileLimit() -> Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
    if limit.rlim_cur < limit.rlim_max {
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
    }
    return Int(clamping: limit.rlim_cur)
}
