import Foundation
import PluginCurl
import SwiftletPluginSDK
import Synchronization

/// Email2SMS by polling a mailbox (IMAP or POP3, through libcurl) for networks where mail cannot
/// reach the gateway. The subject names the recipients (numbers separated by commas, or a contact
/// or group); the body is the text. A mail is marked or deleted only after its SMS are committed;
/// one that cannot become an SMS is left in the mailbox, flagged, with the reason logged.
final class Poller: Sendable {
    let settings: Settings.Poller
    let converter: Email2SMS
    let host: any PluginHost
    let onConverted: @Sendable (Email2SMS.Conversion, [Int]) async -> Void
    private let stopped = Mutex(false)
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let token = Mutex<(value: String, expires: Date)?>(nil)
    private let reported = Mutex<String?>(nil)

    /// IMAP keyword of a mail that cannot become an SMS.
    static let refusedKeyword = "$SwiftletRefused"

    init(
        settings: Settings.Poller,
        converter: Email2SMS,
        host: any PluginHost,
        onConverted: @escaping @Sendable (Email2SMS.Conversion, [Int]) async -> Void
    ) {
        self.settings = settings
        self.converter = converter
        self.host = host
        self.onConverted = onConverted
    }

    func start() {
        host.log(
            .info,
            "Email2SMS: polling \(settings.url) as \(settings.username) every \(settings.interval) s (\(settings.oauth2 == nil ? "password" : "OAuth2"); handled mail is \(settings.after == .mark ? "marked read" : "deleted"))"
        )
        let thread = Thread { [self] in
            while !stopped.withLock({ $0 }) {
                pollOnce()
                _ = wake.wait(timeout: .now() + .seconds(settings.interval))
            }
            finished.signal()
        }
        thread.name = "email-poller"
        thread.start()
    }

    /// Stops after the mail in hand is done.
    func stop() async {
        stopped.withLock { $0 = true }
        wake.signal()
        await PluginThreads.detached { [finished] in _ = finished.wait(timeout: .now() + .seconds(30)) }
    }

    enum Outcome {
        case sent
        case refused(String)
        case retry(String)
    }

    /// One round: every new mail handled in order.
    func pollOnce() {
        let curl = Curl()
        do {
            let credentials = try credentials(curl)
            if settings.isIMAP {
                try pollIMAP(curl, credentials)
            } else {
                try pollPOP3(curl, credentials)
            }
            report(.ok, "polling \(Self.redacted(settings.url)) every \(settings.interval) s")
        } catch {
            report(.down, "cannot poll \(Self.redacted(settings.url)): \(error)")
            host.log(
                .warning,
                "Email2SMS: polling \(Self.redacted(settings.url)) failed, next try in \(settings.interval) s: \(error)"
            )
        }
    }

    /// Health goes to the host when it changes, not on every poll (the host logs each report).
    private func report(_ health: PluginHealth, _ detail: String) {
        let changed = reported.withLock { last in
            defer { last = detail }
            return last != detail
        }
        if changed { host.reportHealth(health, detail) }
    }

    struct Credentials {
        var password: String?
        var bearer: String?
    }

    func request(_ url: String, _ credentials: Credentials) -> Curl.Request {
        var request = Curl.Request(url: url)
        request.username = settings.username
        request.password = credentials.password
        request.bearer = credentials.bearer
        request.tls = settings.tls
        return request
    }

    var mailboxURL: String {
        let url = settings.url.hasSuffix("/") ? String(settings.url.dropLast()) : settings.url
        let afterScheme = url.components(separatedBy: "://").last ?? ""
        return afterScheme.contains("/") ? url : url + "/INBOX"
    }

    // MARK: IMAP

    func pollIMAP(_ curl: Curl, _ credentials: Credentials) throws {
        var search = request(mailboxURL, credentials)
        search.customRequest = "UID SEARCH UNSEEN UNDELETED"
        let answer = String(decoding: try curl.perform(search), as: UTF8.self)
        var uids =
            answer.split(whereSeparator: \.isNewline)
            .first { $0.hasPrefix("* SEARCH") }
            .map { $0.split(separator: " ").dropFirst(2).compactMap { Int($0) } } ?? []
        // Mail fetched (which marks it read) but not finished when the gateway stopped.
        let pending =
            PluginThreads.wait { try? await self.host.stateValue(forKey: "imap.pending") }.flatMap {
                try? JSONDecoder().decode([Int].self, from: Data($0.utf8))
            } ?? []
        uids = pending + uids.filter { !pending.contains($0) }
        for uid in uids where !stopped.withLock({ $0 }) {
            try setPending(pending: [uid])
            let raw = try curl.perform(request("\(mailboxURL);UID=\(uid)", credentials))
            guard !raw.isEmpty else {  // gone since (deleted by someone else)
                try setPending(pending: [])
                continue
            }
            let outcome = handle(raw, source: "IMAP UID \(uid)")
            var store = request(mailboxURL, credentials)
            switch outcome {
            case .sent:
                store.customRequest = "UID STORE \(uid) +FLAGS (\\Seen\(settings.after == .delete ? " \\Deleted" : ""))"
                _ = try curl.perform(store)
                if settings.after == .delete {
                    store.customRequest = "UID EXPUNGE \(uid)"
                    if (try? curl.perform(store)) == nil {
                        store.customRequest = "EXPUNGE"
                        _ = try curl.perform(store)
                    }
                }
            case .refused:
                store.customRequest = "UID STORE \(uid) +FLAGS (\\Seen \(Self.refusedKeyword))"
                _ = try curl.perform(store)
            case .retry:
                store.customRequest = "UID STORE \(uid) -FLAGS (\\Seen)"
                _ = try curl.perform(store)
                try setPending(pending: [])
                return
            }
            try setPending(pending: [])
        }
    }

    /// The mail in hand, kept durably: a mail fetched (and so marked read) before a crash is
    /// handled again after the restart (its SMS queued once, by the idempotency key).
    func setPending(pending: [Int]) throws {
        let value = String(decoding: try JSONEncoder().encode(pending), as: UTF8.self)
        let error = PluginThreads.wait { () -> (any Error)? in
            do {
                try await self.host.setState(value, forKey: "imap.pending")
                return nil
            } catch { return error }
        }
        if let error { throw error }
    }

    // MARK: POP3

    func pollPOP3(_ curl: Curl, _ credentials: Credentials) throws {
        let base = settings.url.hasSuffix("/") ? String(settings.url.dropLast()) : settings.url
        var list = request(base + "/", credentials)
        list.customRequest = "UIDL"
        let answer = String(decoding: try curl.perform(list), as: UTF8.self)
        let refusedKey = "pop3.refused"
        var refused =
            PluginThreads.wait { try? await self.host.stateValue(forKey: refusedKey) }.flatMap {
                try? JSONDecoder().decode([String].self, from: Data($0.utf8))
            } ?? []
        let messages = answer.split(whereSeparator: \.isNewline).compactMap { line -> (Int, String)? in
            let words = line.split(separator: " ")
            guard words.count == 2, let number = Int(words[0]) else { return nil }
            return (number, String(words[1]))
        }
        for (number, uidl) in messages where !refused.contains(uidl) && !stopped.withLock({ $0 }) {
            let raw = try curl.perform(request("\(base)/\(number)", credentials))
            switch handle(raw, source: "POP3 message \(uidl)") {
            case .sent:
                var delete = request("\(base)/\(number)", credentials)
                delete.customRequest = "DELE"
                delete.noBody = true
                _ = try curl.perform(delete)
            case .refused:
                // POP3 has no flags: remember it, so that it is not tried again.
                refused = Array((refused + [uidl]).suffix(1000))
                let value = String(decoding: try JSONEncoder().encode(refused), as: UTF8.self)
                _ = PluginThreads.wait { try? await self.host.setState(value, forKey: refusedKey) }
            case .retry:
                return
            }
        }
    }

    // MARK: One mail

    func handle(_ raw: Data, source: String) -> Outcome {
        guard var mail = Mail(raw) else {
            host.log(.warning, "Email2SMS: \(source) is not a mail message; left in the mailbox")
            return .refused("not a mail message")
        }
        let sender = mail.from ?? ""
        let subject = mail.subject
        mail.subject = ""  // it named the recipients
        let body = mail
        let outcome: Outcome = PluginThreads.wait {
            guard let rule = self.converter.settings.rule(for: sender) else {
                return .refused("<\(sender)> may not send SMS through this gateway")
            }
            var recipients: [Recipient] = []
            for item in subject.split(separator: ",") {
                let item = item.trimmingCharacters(in: .whitespaces)
                if item.isEmpty { continue }
                do throws(Refusal) {
                    recipients.append(try await self.converter.recipient(localPart: item, rule: rule))
                } catch {
                    return error.isPermanent ? .refused("subject: \(error.reason)") : .retry(error.reason)
                }
            }
            guard !recipients.isEmpty else {
                return .refused("the subject names no recipient (numbers separated by commas, or a contact or group)")
            }
            do {
                let conversion = try self.converter.convert(
                    body,
                    raw: raw,
                    envelopeSender: sender,
                    recipients: recipients,
                    rule: rule
                )
                let ids = try await self.host.send(conversion.sms)
                for note in conversion.notes { self.host.log(.notice, "Email2SMS: \(note)") }
                self.host.log(
                    .info,
                    "Email2SMS: \(source) from <\(sender)> to \(subject) queued as SMS \(ids.map(String.init).joined(separator: ", ")) (rule \(rule.name))"
                )
                await self.onConverted(conversion, ids)
                return .sent
            } catch let refusal as Refusal {
                return .refused(refusal.reason)
            } catch let error as PluginError where error.code == .invalid || error.code == .notFound {
                return .refused(error.detail)
            } catch {
                return .retry("\(error)")
            }
        }
        switch outcome {
        case .refused(let reason):
            host.log(.notice, "Email2SMS: \(source) from <\(sender)> is not sent and is left in the mailbox: \(reason)")
        case .retry(let reason):
            host.log(
                .warning,
                "Email2SMS: \(source) from <\(sender)> is not queued now, tried again next poll: \(reason)"
            )
        case .sent: break
        }
        return outcome
    }

    // MARK: OAuth2

    func credentials(_ curl: Curl) throws -> Credentials {
        guard let oauth2 = settings.oauth2 else { return Credentials(password: settings.password) }
        if let token = token.withLock({ $0 }), token.expires > Date() { return Credentials(bearer: token.value) }
        let stored = PluginThreads.wait { try? await self.host.stateValue(forKey: "oauth2.refresh_token") }
        var form: [(String, String)] = [("client_id", oauth2.clientId)]
        if let refresh = stored ?? oauth2.refreshToken {
            form += [("grant_type", "refresh_token"), ("refresh_token", refresh)]
        } else {
            form += [("grant_type", "client_credentials")]
        }
        if let secret = oauth2.clientSecret { form.append(("client_secret", secret)) }
        if let scope = oauth2.scope { form.append(("scope", scope)) }
        var post = Curl.Request(url: oauth2.tokenUrl)
        post.isPost = true
        post.tls = settings.tls
        post.upload = Data(form.map { "\($0)=\(Self.formEncode($1))" }.joined(separator: "&").utf8)
        let body: Data
        do {
            body = try curl.perform(post)
        } catch {
            throw OAuthError(description: "the token endpoint \(oauth2.tokenUrl) failed: \(error)")
        }
        struct TokenResponse: Decodable {
            var access_token: String?
            var expires_in: Int?
            var refresh_token: String?
            var error: String?
            var error_description: String?
        }
        guard let response = try? JSONDecoder().decode(TokenResponse.self, from: body) else {
            throw OAuthError(description: "the token endpoint \(oauth2.tokenUrl) answered no JSON")
        }
        guard let access = response.access_token else {
            throw OAuthError(
                description:
                    "the token endpoint refused: \(response.error ?? "no access_token") \(response.error_description ?? "")"
            )
        }
        if let rotated = response.refresh_token, rotated != stored {
            _ = PluginThreads.wait { try? await self.host.setState(rotated, forKey: "oauth2.refresh_token") }
        }
        let lifetime = TimeInterval(max((response.expires_in ?? 3600) - 60, 30))
        token.withLock { $0 = (access, Date().addingTimeInterval(lifetime)) }
        host.log(.info, "Email2SMS: OAuth2 access token from \(oauth2.tokenUrl), valid \(Int(lifetime)) s")
        return Credentials(bearer: access)
    }

    struct OAuthError: Error, CustomStringConvertible { var description: String }

    static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    /// A URL without a password in it, for logs.
    static func redacted(_ url: String) -> String {
        url.replacingOccurrences(of: "://[^/@]*@", with: "://", options: .regularExpression)
    }
}
