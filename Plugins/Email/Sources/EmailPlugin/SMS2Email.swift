import Foundation
import PluginCurl
import SwiftletPluginSDK
import Synchronization

/// An SMTP server SMS2Email sends through (libcurl: smtp:// with STARTTLS, or smtps://).
struct SMTPAccount: Sendable {
    var url: String
    var requireTLS: Bool
    var username: String?
    var password: String?
    var from: String
    var tls: CurlTLS

    init(_ server: EmailConfiguration.SMTPServer) throws {
        let scheme = server.url.split(separator: ":").first.map { $0.lowercased() } ?? ""
        guard scheme == "smtp" || scheme == "smtps" else {
            throw ConfigurationError("smtp \(server.name): '\(server.url)' is not an smtp:// or smtps:// URL")
        }
        guard MailAddress.isValid(server.from) else {
            throw ConfigurationError("smtp \(server.name): from '\(server.from)' is not a mail address")
        }
        url = server.url
        requireTLS = scheme == "smtp" && (server.starttls ?? true)
        username = server.username
        password = server.password
        from = server.from
        tls = CurlTLS(caFile: server.caFile, verify: server.verify ?? true)
    }
}

/// A mail waiting to be sent, kept in the plugin's durable state until the server took it.
struct OutgoingMail: Codable, Sendable, Equatable {
    var smtp: String
    var to: [String]
    var subject: String
    var body: String
    var replyTo: String?
    var attempts = 0
    var nextAttempt = Date.distantPast
    var lastError: String?
}

/// Builds an RFC 5322 message. Header values never carry CR or LF (no header injection from an
/// SMS); non-ASCII subjects are RFC 2047 encoded words; the body is UTF-8 in base64.
enum MailComposer {
    static func message(_ mail: OutgoingMail, from: String, date: Date = Date(), domain: String) -> Data {
        var lines = [
            "From: Swiftlet <\(from)>",
            "To: \(mail.to.joined(separator: ", "))",
            "Subject: \(encodedWord(mail.subject))",
            "Date: \(rfc5322Date(date))",
            "Message-ID: <\(UUID().uuidString.lowercased())@\(domain)>",
        ]
        if let replyTo = mail.replyTo { lines.append("Reply-To: \(replyTo)") }
        lines += [
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "Auto-Submitted: auto-generated",
            "",
        ]
        let body = Data(
            mail.body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8
        )
        .base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return Data((lines.joined(separator: "\r\n") + "\r\n" + body + "\r\n").utf8)
    }

    /// A header value on one line: controls (CR, LF, TAB …) become spaces.
    static func headerSafe(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }

    /// RFC 2047: ASCII as it is, else `=?UTF-8?B?…?=` words of at most 75 characters, split
    /// between characters.
    static func encodedWord(_ text: String) -> String {
        let text = headerSafe(text)
        if text.allSatisfy({ $0.isASCII }) { return text }
        var words: [String] = []
        var chunk = ""
        for character in text {
            if Data((chunk + String(character)).utf8).count > 45 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    static func rfc5322Date(_ date: Date) -> String {
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return format.string(from: date)
    }

    /// `{SENDER}`, `{WORDS,X}` (the first X words of the text) and `{CHARS,X}` (its first X characters).
    static func subject(_ template: String, sender: String, text: String) -> String {
        var result = template.replacingOccurrences(of: "{SENDER}", with: sender)
        for (pattern, take) in [
            (
                "\\{WORDS,([0-9]+)\\}",
                { (n: Int) in text.split(whereSeparator: \.isWhitespace).prefix(n).joined(separator: " ") }
            ),
            ("\\{CHARS,([0-9]+)\\}", { (n: Int) in String(text.prefix(n)) }),
        ] as [(String, (Int) -> String)] {
            while let range = result.range(of: pattern, options: .regularExpression) {
                let count = Int(result[range].filter(\.isNumber)) ?? 0
                result.replaceSubrange(range, with: take(count))
            }
        }
        return headerSafe(result)
    }
}

/// The queue of mails to send, durable in the plugin's state, sent by a thread of its own with
/// exponential backoff (30 s doubling to 1 hour). A server's permanent refusal (5xx) is tried 5
/// times, then dropped with an error; any other failure is retried until the mail is delivered.
///
/// Durable state: `mail.head` and `mail.tail` (sequence numbers), `mail/<seq>` one mail each.
final class MailSender: Sendable {
    let accounts: [String: SMTPAccount]
    let domain: String
    let host: any PluginHost
    private let queue = Mutex<(head: Int, tail: Int, mails: [Int: OutgoingMail], stopped: Bool)>((0, 0, [:], false))
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let started = Mutex(false)

    init(accounts: [String: SMTPAccount], domain: String, host: any PluginHost) {
        self.accounts = accounts
        self.domain = domain
        self.host = host
    }

    static func key(_ seq: Int) -> String { "mail/\(seq)" }

    /// Reads the mails left by the last run.
    func load() async throws {
        let head = Int(try await host.stateValue(forKey: "mail.head") ?? "") ?? 0
        let tail = Int(try await host.stateValue(forKey: "mail.tail") ?? "") ?? head
        var mails: [Int: OutgoingMail] = [:]
        for seq in head..<max(head, tail) {
            if let value = try await host.stateValue(forKey: Self.key(seq)) {
                var mail = try JSONDecoder().decode(OutgoingMail.self, from: Data(value.utf8))
                mail.nextAttempt = .distantPast
                mails[seq] = mail
            }
        }
        queue.withLock { $0 = (head, max(head, tail), mails, false) }
        if !mails.isEmpty { host.log(.notice, "SMS2Email: \(mails.count) mail(s) from the last run wait to be sent") }
    }

    /// Keeps `mail` durably; returns once it is on disk. The sender thread takes it from there.
    func enqueue(_ mail: OutgoingMail) async throws {
        let seq = queue.withLock { state in
            defer { state.tail += 1 }
            return state.tail
        }
        try await host.setState(String(decoding: try JSONEncoder().encode(mail), as: UTF8.self), forKey: Self.key(seq))
        try await host.setState(String(seq + 1), forKey: "mail.tail")
        queue.withLock { $0.mails[seq] = mail }
        wake.signal()
    }

    func start() {
        started.withLock { $0 = true }
        let thread = Thread { [self] in
            while !queue.withLock({ $0.stopped }) {
                let wait = sendDue()
                _ = wake.wait(timeout: .now() + min(wait, 60))
            }
            finished.signal()
        }
        thread.name = "email-sender"
        thread.start()
    }

    func stop() async {
        queue.withLock { $0.stopped = true }
        wake.signal()
        guard started.withLock({ $0 }) else { return }
        await PluginThreads.detached { [finished] in _ = finished.wait(timeout: .now() + .seconds(30)) }
    }

    /// Sends every mail that is due, in order; returns the seconds until the next one is.
    func sendDue() -> Double {
        let due = queue.withLock { state in
            state.mails.filter { $0.value.nextAttempt <= Date() }.sorted { $0.key < $1.key }
        }
        guard !due.isEmpty else { return secondsToNext() }
        let curl = Curl()
        for (seq, var mail) in due {
            if queue.withLock({ $0.stopped }) { break }
            guard let account = accounts[mail.smtp] else {
                host.log(
                    .error,
                    "SMS2Email: mail to \(mail.to.joined(separator: ", ")) names smtp '\(mail.smtp)', which is not configured; dropped"
                )
                remove(seq)
                continue
            }
            var request = Curl.Request(url: account.url)
            request.username = account.username
            request.password = account.password
            request.tls = account.tls
            request.requireTLS = account.requireTLS
            request.mailFrom = account.from
            request.mailRecipients = mail.to
            request.upload = MailComposer.message(mail, from: account.from, domain: domain)
            do {
                _ = try curl.perform(request)
                host.log(
                    .info,
                    "SMS2Email: mail \"\(mail.subject)\" sent to \(mail.to.joined(separator: ", ")) through \(mail.smtp)"
                )
                remove(seq)
            } catch {
                mail.attempts += 1
                mail.lastError = error.description
                if error.isPermanent, mail.attempts >= 5 {
                    host.log(
                        .error,
                        "SMS2Email: \(mail.smtp) refused the mail to \(mail.to.joined(separator: ", ")) \(mail.attempts) times (\(error)); dropped"
                    )
                    remove(seq)
                    continue
                }
                let delay = min(30 * pow(2, Double(mail.attempts - 1)), 3600)
                mail.nextAttempt = Date().addingTimeInterval(delay)
                host.log(
                    .warning,
                    "SMS2Email: mail to \(mail.to.joined(separator: ", ")) not sent (attempt \(mail.attempts)): \(error); next try in \(Int(delay)) s"
                )
                queue.withLock { $0.mails[seq] = mail }
                let value = String(decoding: (try? JSONEncoder().encode(mail)) ?? Data(), as: UTF8.self)
                _ = PluginThreads.wait { try? await self.host.setState(value, forKey: Self.key(seq)) }
            }
        }
        return secondsToNext()
    }

    private func secondsToNext() -> Double {
        let next = queue.withLock { $0.mails.values.map(\.nextAttempt).min() }
        return next.map { max($0.timeIntervalSinceNow, 0.05) } ?? 60
    }

    private func remove(_ seq: Int) {
        let head: Int? = queue.withLock { state in
            state.mails[seq] = nil
            let old = state.head
            while state.head < state.tail, state.mails[state.head] == nil { state.head += 1 }
            return state.head == old ? nil : state.head
        }
        PluginThreads.wait {
            try? await self.host.removeState(forKey: Self.key(seq))
            if let head { try? await self.host.setState(String(head), forKey: "mail.head") }
        }
    }
}
