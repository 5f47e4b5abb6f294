import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SwiftletPluginSDK
import Synchronization

/// Email2SMS: an SMTP server (RFC 5321) for mail to NUMBER@domain, CONTACT@domain and
/// GROUP@domain. Accepts only its own domains (no relay), only senders a rule allows, refuses bare
/// line endings (no smuggling), and answers 250 only once the SMS are committed.
final class SMTPListener: Sendable {
    let settings: Settings.Listener
    let converter: Email2SMS
    let host: any PluginHost
    let onConverted: @Sendable (Email2SMS.Conversion, [Int]) async -> Void
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    /// STARTTLS is offered when set.
    let tls: NIOSSLContext?
    private let serverChannel = Mutex<(any Channel)?>(nil)

    init(
        settings: Settings.Listener,
        converter: Email2SMS,
        host: any PluginHost,
        onConverted: @escaping @Sendable (Email2SMS.Conversion, [Int]) async -> Void
    ) throws {
        self.settings = settings
        self.converter = converter
        self.host = host
        self.onConverted = onConverted
        if let tls = settings.tls {
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(tls.certFile).map {
                    NIOSSLCertificateSource.certificate($0)
                }
                let key = try NIOSSLPrivateKey(file: tls.keyFile, format: .pem)
                self.tls = try NIOSSLContext(
                    configuration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
                )
            } catch {
                throw ConfigurationError("listener.tls: cannot use \(tls.certFile) and \(tls.keyFile): \(error)")
            }
        } else {
            self.tls = nil
        }
    }

    /// Binds the port and serves sessions until `stop()`.
    func start() async throws {
        let server: NIOAsyncChannel<(NIOAsyncChannel<SMTPLineDecoder.SMTPInput, ByteBuffer>, SMTPLineDecoder), Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 128)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: settings.address, port: settings.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let decoder = SMTPLineDecoder()
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .minutes(5)))
                        try channel.pipeline.syncOperations.addHandler(CloseWhenIdle())
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(decoder))
                        return (
                            try NIOAsyncChannel<SMTPLineDecoder.SMTPInput, ByteBuffer>(
                                wrappingChannelSynchronously: channel
                            ),
                            decoder
                        )
                    }
                }
        } catch {
            throw ConfigurationError("listener: cannot listen on \(settings.address):\(settings.port): \(error)")
        }
        serverChannel.withLock { $0 = server.channel }
        let port = server.channel.localAddress?.port ?? settings.port
        host.log(
            .info,
            "Email2SMS: SMTP listener on \(settings.address):\(port) for @\(settings.domains.sorted().joined(separator: ", @"))\(tls == nil ? "" : ", STARTTLS")\(settings.users.isEmpty ? "" : ", AUTH")"
        )
        Task {
            try? await withThrowingDiscardingTaskGroup { tasks in
                try await server.executeThenClose { sessions in
                    for try await (connection, decoder) in sessions {
                        tasks.addTask {
                            let session = SMTPSession(listener: self, connection: connection, decoder: decoder)
                            await session.run()
                        }
                    }
                }
            }
        }
    }

    func stop() async {
        let channel = serverChannel.withLock { $0 }
        try? await channel?.close()
        try? await group.shutdownGracefully()
    }
}

/// Closes a connection that has been silent for too long.
final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.channel.writeAndFlush(ByteBuffer(string: "421 4.4.2 idle too long, closing\r\n"), promise: nil)
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
