import Foundation
import NIOCore
import NIOSSL
import SwiftletPluginSDK

/// One SMTP conversation: commands in, replies out, one at a time (so pipelining works).
struct SMTPSession {
    let listener: SMTPListener
    let connection: NIOAsyncChannel<SMTPLineDecoder.SMTPInput, ByteBuffer>
    let decoder: SMTPLineDecoder

    /// What the client said so far in this transaction.
    struct Transaction {
        var sender: String
        var rule: Settings.Rule?
        var recipients: [(address: String, recipient: Recipient)] = []
    }

    enum Outcome { case goOn, close }

    private struct Closed: Error {}

    var settings: Settings.Listener { listener.settings }
    var peer: String { connection.channel.remoteAddress?.description ?? "?" }
    /// The client's IP address alone, as the gateway's failed-login limiter counts it.
    var peerAddress: String { connection.channel.remoteAddress?.ipAddress ?? "?" }

    func run() async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var lines = inbound.makeAsyncIterator()
                var state = State()
                /// A reply; several lines for a text with new lines (EHLO).
                func reply(_ code: Int, _ text: String) async throws {
                    let lines = text.split(separator: "\n")
                    let reply = lines.enumerated().map { "\(code)\($0 == lines.count - 1 ? " " : "-")\($1)\r\n" }
                    try await outbound.write(ByteBuffer(string: reply.joined()))
                }
                try await reply(220, "\(settings.hostname) ESMTP Swiftlet")
                while let input = try await lines.next() {
                    guard case .line(let line) = input else {
                        try await reply(500, "5.5.2 line too long")
                        return
                    }
                    if line.bare {
                        try await reply(521, "5.5.2 bare <CR> or <LF> received; lines end with <CR><LF>")
                        listener.host.log(
                            .warning,
                            "Email2SMS: \(peer) sent a bare line ending (SMTP smuggling?); connection closed"
                        )
                        return
                    }
                    let outcome = try await command(line.text, state: &state, lines: &lines, reply: reply)
                    if case .close = outcome { return }
                    if state.errors >= 10 {
                        try await reply(421, "4.7.0 too many errors, closing")
                        return
                    }
                }
            }
        } catch {
            listener.host.log(.debug, "Email2SMS: session with \(peer) ended: \(error)")
        }
    }

    struct State {
        var greeted = false
        var extended = false
        var secure = false
        var user: String?
        var transaction: Transaction?
        var errors = 0
    }

    typealias Reply = (Int, String) async throws -> Void

    func command(
        _ text: String,
        state: inout State,
        lines: inout NIOAsyncChannelInboundStream<SMTPLineDecoder.SMTPInput>.AsyncIterator,
        reply: Reply
    ) async throws -> Outcome {
        let verb = text.prefix { $0 != " " }.uppercased()
        let argument = text.dropFirst(verb.count).trimmingCharacters(in: .whitespaces)
        func fail(_ code: Int, _ message: String) async throws -> Outcome {
            state.errors += 1
            try await reply(code, message)
            return .goOn
        }
        switch verb {
        case "EHLO", "HELO":
            guard !argument.isEmpty else { return try await fail(501, "5.5.4 \(verb) needs a domain or address") }
            state.greeted = true
            state.extended = verb == "EHLO"
            state.transaction = nil
            guard state.extended else {
                try await reply(250, settings.hostname)
                return .goOn
            }
            var lines = [
                settings.hostname, "PIPELINING", "SIZE \(settings.maxSize)", "8BITMIME", "ENHANCEDSTATUSCODES",
            ]
            if listener.tls != nil, !state.secure { lines.append("STARTTLS") }
            if !settings.users.isEmpty, state.secure || listener.tls == nil { lines.append("AUTH PLAIN LOGIN") }
            try await reply(250, lines.joined(separator: "\n"))
            return .goOn
        case "STARTTLS":
            guard let tls = listener.tls, !state.secure else {
                try await connection.channel.eventLoop.submit { decoder.resume() }.get()
                return try await fail(502, "5.5.1 STARTTLS is not offered")
            }
            // On the event loop, in one go: the answer leaves in plaintext, TLS goes in front of
            // everything, and the decoder (which dropped whatever was pipelined behind the
            // command) reads again.
            let channel = connection.channel
            try await channel.eventLoop.submit {
                channel.writeAndFlush(ByteBuffer(string: "220 2.0.0 ready to start TLS\r\n"), promise: nil)
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
                decoder.resume()
            }.get()
            state = State(secure: true)
            return .goOn
        case "AUTH":
            return try await authenticate(argument, state: &state, lines: &lines, reply: reply)
        case "MAIL":
            guard state.greeted else { return try await fail(503, "5.5.1 say EHLO first") }
            guard state.transaction == nil else { return try await fail(503, "5.5.1 nested MAIL command") }
            if settings.requireAuth, state.user == nil {
                return try await fail(530, "5.7.0 authentication required")
            }
            guard let (address, parameters) = Self.path(argument, prefix: "FROM:") else {
                return try await fail(501, "5.5.4 syntax: MAIL FROM:<address>")
            }
            if let size = parameters["SIZE"].flatMap(Int.init), size > settings.maxSize {
                return try await fail(552, "5.3.4 message size \(size) exceeds the limit of \(settings.maxSize) bytes")
            }
            guard address.isEmpty || MailAddress.isValid(address) else {
                return try await fail(553, "5.1.7 '\(address)' is not a mail address")
            }
            state.transaction = Transaction(
                sender: address.lowercased(),
                rule: listener.converter.settings.rule(for: address)
            )
            try await reply(250, "2.1.0 OK")
            return .goOn
        case "RCPT":
            guard var transaction = state.transaction else { return try await fail(503, "5.5.1 say MAIL first") }
            guard let (address, _) = Self.path(argument, prefix: "TO:"), MailAddress.isValid(address) else {
                return try await fail(501, "5.5.4 syntax: RCPT TO:<number@domain>")
            }
            let at = address.lastIndex(of: "@")!
            let local = String(address[..<at])
            let domain = address[address.index(after: at)...].lowercased()
            guard settings.domains.contains(domain) else {
                listener.host.log(.notice, "Email2SMS: refused relaying from \(peer) to <\(address)>")
                return try await fail(550, "5.7.1 relaying denied: \(domain) is not a domain of this gateway")
            }
            guard let rule = transaction.rule else {
                listener.host.log(
                    .notice,
                    "Email2SMS: refused <\(transaction.sender)> from \(peer): no rule allows this sender"
                )
                return try await fail(550, "5.7.1 <\(transaction.sender)> may not send SMS through this gateway")
            }
            guard transaction.recipients.count < settings.maxRecipients else {
                return try await fail(452, "4.5.3 too many recipients (at most \(settings.maxRecipients) per mail)")
            }
            let recipient: Recipient
            do throws(Refusal) {
                recipient = try await listener.converter.recipient(localPart: local, rule: rule)
            } catch {
                return try await fail(error.code, "\(error.enhanced) <\(address)>: \(error.reason)")
            }
            transaction.recipients.append((address, recipient))
            state.transaction = transaction
            try await reply(250, "2.1.5 OK")
            return .goOn
        case "DATA":
            guard let transaction = state.transaction, !transaction.recipients.isEmpty else {
                return try await fail(503, "5.5.1 no valid recipients")
            }
            guard argument.isEmpty else { return try await fail(501, "5.5.4 DATA takes no argument") }
            try await reply(354, "end data with <CR><LF>.<CR><LF>")
            var raw = Data()
            var oversize = false
            while true {
                guard let input = try await lines.next() else { throw Closed() }
                guard case .line(let line) = input else {
                    try await reply(500, "5.5.2 line too long")
                    return .close
                }
                if line.bare {
                    try await reply(521, "5.5.2 bare <CR> or <LF> in the message; lines end with <CR><LF>")
                    listener.host.log(
                        .warning,
                        "Email2SMS: \(peer) sent a bare line ending in DATA (SMTP smuggling?); mail refused, connection closed"
                    )
                    return .close
                }
                if line.bytes == [UInt8(ascii: ".")] { break }
                let bytes = line.bytes.first == UInt8(ascii: ".") ? line.bytes.dropFirst() : line.bytes[...]
                if raw.count + bytes.count + 2 > settings.maxSize { oversize = true }
                if !oversize {
                    raw.append(contentsOf: bytes)
                    raw.append(contentsOf: [13, 10])
                }
            }
            state.transaction = nil
            if oversize {
                listener.host.log(
                    .notice,
                    "Email2SMS: refused a mail from <\(transaction.sender)> over \(settings.maxSize) bytes"
                )
                return try await fail(552, "5.3.4 message exceeds the limit of \(settings.maxSize) bytes")
            }
            let (code, text) = await deliver(raw, transaction)
            try await reply(code, text)
            return .goOn
        case "RSET":
            state.transaction = nil
            try await reply(250, "2.0.0 OK")
            return .goOn
        case "NOOP":
            try await reply(250, "2.0.0 OK")
            return .goOn
        case "VRFY":
            try await reply(252, "2.5.0 cannot verify; send the mail")
            return .goOn
        case "HELP":
            try await reply(214, "2.0.0 mail to NUMBER@domain, CONTACT@domain or GROUP@domain becomes an SMS")
            return .goOn
        case "QUIT":
            try await reply(221, "2.0.0 bye")
            return .close
        default:
            return try await fail(500, "5.5.1 unknown command")
        }
    }

    /// The mail's SMS, committed; the reply for the client.
    func deliver(_ raw: Data, _ transaction: Transaction) async -> (Int, String) {
        let host = listener.host
        guard let rule = transaction.rule else { return (550, "5.7.1 sender not allowed") }
        guard let mail = Mail(raw) else { return (550, "5.6.0 this is not a mail message") }
        do {
            let conversion = try listener.converter.convert(
                mail,
                raw: raw,
                envelopeSender: transaction.sender,
                recipients: transaction.recipients.map(\.recipient),
                rule: rule
            )
            let ids = try await host.send(conversion.sms)
            for note in conversion.notes { host.log(.notice, "Email2SMS: \(note)") }
            host.log(
                .info,
                "Email2SMS: mail from <\(transaction.sender)> to \(transaction.recipients.map { "<\($0.address)>" }.joined(separator: ", ")) queued as SMS \(ids.map(String.init).joined(separator: ", ")) (rule \(rule.name))"
            )
            await listener.onConverted(conversion, ids)
            return (250, "2.0.0 OK: queued as SMS \(ids.map(String.init).joined(separator: ","))")
        } catch let refusal as Refusal {
            host.log(.notice, "Email2SMS: refused a mail from <\(transaction.sender)>: \(refusal.reason)")
            return (refusal.code, "\(refusal.enhanced) \(refusal.reason)")
        } catch let error as PluginError where error.code == .invalid || error.code == .notFound {
            host.log(.notice, "Email2SMS: refused a mail from <\(transaction.sender)>: \(error.detail)")
            return (550, "5.6.0 \(error.detail)")
        } catch {
            host.log(
                .error,
                "Email2SMS: a mail from <\(transaction.sender)> could not be queued, the client will retry: \(error)"
            )
            return (451, "4.3.0 not queued, try again later")
        }
    }

    func authenticate(
        _ argument: String,
        state: inout State,
        lines: inout NIOAsyncChannelInboundStream<SMTPLineDecoder.SMTPInput>.AsyncIterator,
        reply: Reply
    ) async throws -> Outcome {
        guard !settings.users.isEmpty, state.secure || listener.tls == nil else {
            state.errors += 1
            try await reply(503, "5.5.1 AUTH is not offered\(listener.tls == nil ? "" : " before STARTTLS")")
            return .goOn
        }
        guard state.user == nil else {
            try await reply(503, "5.5.1 already authenticated")
            return .goOn
        }
        let words = argument.split(separator: " ").map(String.init)
        func ask(_ prompt: String) async throws -> String? {
            try await reply(334, prompt)
            guard let input = try await lines.next(), case .line(let line) = input, !line.bare else { throw Closed() }
            return line.text == "*" ? nil : line.text
        }
        func decode(_ text: String?) -> String? {
            text.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        }
        var username: String?
        var password: String?
        switch words.first?.uppercased() {
        case "PLAIN":
            let response = words.count > 1 ? words[1] : try await ask("")
            let parts = decode(response)?.split(separator: "\0", omittingEmptySubsequences: false) ?? []
            if parts.count == 3 {
                username = String(parts[1])
                password = String(parts[2])
            }
        case "LOGIN":
            username = decode(words.count > 1 ? words[1] : try await ask("VXNlcm5hbWU6"))
            if username != nil { password = decode(try await ask("UGFzc3dvcmQ6")) }
        default:
            state.errors += 1
            try await reply(504, "5.5.4 mechanisms: PLAIN LOGIN")
            return .goOn
        }
        // The gateway's failed-login limiter, shared with its HTTP APIs: a client or a login that
        // failed too often lately is refused without its password being checked.
        let client = peerAddress
        let login = username ?? ""
        guard listener.host.mayCheckLogin(client: client, login: login) else {
            state.errors += 1
            listener.host.log(.notice, "Email2SMS: AUTH refused unchecked: too many failed attempts from \(peer)")
            try await reply(454, "4.7.0 too many failed attempts, try again later")
            return .goOn
        }
        guard let username, let password, let expected = settings.users[username],
            Email2SMS.constantTimeEqual(password, expected)
        else {
            state.errors += 1
            let blocked = listener.host.loginFailed(client: client, login: login)
            listener.host.log(.notice, "Email2SMS: failed AUTH from \(peer)\(blocked ? "; blocked for a while" : "")")
            try await reply(535, "5.7.8 authentication failed")
            return .goOn
        }
        state.user = username
        try await reply(235, "2.7.0 authenticated")
        return .goOn
    }

    /// `FROM:<address> PARAM=VALUE ...` → the address and the parameters (upper-cased names).
    static func path(_ argument: String, prefix: String) -> (String, [String: String])? {
        guard argument.uppercased().hasPrefix(prefix) else { return nil }
        let rest = argument.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        guard rest.hasPrefix("<"), let close = rest.firstIndex(of: ">") else { return nil }
        let address = String(rest[rest.index(after: rest.startIndex)..<close])
        var parameters: [String: String] = [:]
        for word in rest[rest.index(after: close)...].split(separator: " ") {
            let pair = word.split(separator: "=", maxSplits: 1)
            parameters[pair[0].uppercased()] = pair.count > 1 ? String(pair[1]) : ""
        }
        return (address, parameters)
    }
}
