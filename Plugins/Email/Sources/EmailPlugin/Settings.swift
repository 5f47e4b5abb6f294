import Foundation
import PluginCurl

/// A configuration that cannot work, with the key at fault.
struct ConfigurationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The configuration checked, with its defaults applied.
struct Settings: Sendable {
    struct Listener: Sendable {
        var address: String
        var port: Int
        var hostname: String
        var domains: Set<String>
        var maxSize: Int
        var maxRecipients: Int
        var tls: EmailConfiguration.TLS?
        var users: [String: String]
        var requireAuth: Bool
    }

    struct Rule: Sendable {
        enum Subject: String, Sendable { case ignore, prefix }
        enum Dialect: String, Sendable { case smseagle, pixie }
        var name: String
        var senders: [String]
        var subject: Subject
        var stopPhrase: String?
        var unicode: Bool
        var maxLength: Int
        var dialect: Dialect
        var passwords: [String: String]
        var mms: Bool
        var call: String?

        /// Whether mail from `address` may use this rule: `senders` empty, or an entry equal to the
        /// address, or `@domain` / `domain` matching its domain (case-insensitive).
        func allows(_ address: String) -> Bool {
            guard !senders.isEmpty else { return true }
            let address = address.lowercased()
            let domain = address.split(separator: "@").last.map(String.init) ?? ""
            return senders.contains { sender in
                if sender == "*" { return true }
                if sender.hasPrefix("@") { return domain == sender.dropFirst() }
                if !sender.contains("@") { return domain == sender }
                return address == sender
            }
        }
    }

    struct Poller: Sendable {
        enum After: String, Sendable { case mark, delete }
        var url: String
        var isIMAP: Bool
        var username: String
        var password: String?
        var oauth2: EmailConfiguration.OAuth2?
        var interval: Int
        var after: After
        var tls: CurlTLS
    }

    struct Forward: Sendable {
        enum Mode: String, Sendable {
            case twoWay = "two_way"
            case fixed
        }
        var name: String
        var smtp: String
        var mode: Mode
        var to: [String]
        var senders: [String]
        var contains: [String]
        var subject: String
    }

    var countryCode: String?
    var listener: Listener?
    var poller: Poller?
    var rules: [Rule]
    var smtp: [String: SMTPAccount]
    var defaultSMTP: String?
    var forwards: [Forward]

    init(_ configuration: EmailConfiguration) throws {
        countryCode = configuration.countryCode.map { $0.filter(\.isNumber) }
        if let code = countryCode, code.isEmpty || code.count > 3 {
            throw ConfigurationError(
                "country_code: '\(configuration.countryCode ?? "")' is not a country calling code (1 to 3 digits)"
            )
        }
        if let listener = configuration.listener, listener.enabled ?? true {
            let domains = Set(listener.domains.map { $0.lowercased() })
            guard !domains.isEmpty, !domains.contains(where: { $0.isEmpty || $0.contains("@") }) else {
                throw ConfigurationError(
                    "listener.domains: give the domain(s) mail to NUMBER@domain arrives for, e.g. sms.example.com"
                )
            }
            var users: [String: String] = [:]
            for user in listener.users ?? [] { users[user.username] = user.password }
            self.listener = Listener(
                address: listener.address ?? "127.0.0.1",
                port: listener.port ?? 2525,
                hostname: listener.hostname ?? ProcessInfo.processInfo.hostName,
                domains: domains,
                maxSize: listener.maxSize ?? 10 * 1024 * 1024,
                maxRecipients: listener.maxRecipients ?? 100,
                tls: listener.tls,
                users: users,
                requireAuth: listener.requireAuth ?? false
            )
            if self.listener!.requireAuth, users.isEmpty {
                throw ConfigurationError("listener.require_auth: no listener.users are configured")
            }
        }
        rules = try (configuration.email2sms ?? []).filter { $0.enabled ?? true }.map { rule in
            guard let subject = Rule.Subject(rawValue: rule.subject ?? "prefix") else {
                throw ConfigurationError("email2sms \(rule.name): subject must be ignore or prefix")
            }
            guard let dialect = Rule.Dialect(rawValue: rule.dialect ?? "smseagle") else {
                throw ConfigurationError("email2sms \(rule.name): dialect must be smseagle or pixie")
            }
            let maxLength = rule.maxLength ?? (dialect == .pixie ? 1000 : 1300)
            guard (1...1300).contains(maxLength) else {
                throw ConfigurationError("email2sms \(rule.name): max_length must be 1 to 1300")
            }
            if let call = rule.call, !["ring", "tts"].contains(call) {
                throw ConfigurationError("email2sms \(rule.name): call must be ring or tts")
            }
            return Rule(
                name: rule.name,
                senders: (rule.senders ?? []).map { $0.lowercased() },
                subject: dialect == .pixie ? .ignore : subject,
                stopPhrase: rule.stopPhrase.flatMap { $0.isEmpty ? nil : $0 },
                unicode: rule.unicode ?? false,
                maxLength: maxLength,
                dialect: dialect,
                passwords: Dictionary(
                    (rule.passwords ?? []).map { ($0.sender.lowercased(), $0.password) },
                    uniquingKeysWith: { $1 }
                ),
                mms: rule.mms ?? false,
                call: rule.call
            )
        }
        if configuration.email2sms == nil {
            // Without rules every sender may use the listener; it listens on loopback by default.
            rules = [
                Rule(
                    name: "default",
                    senders: [],
                    subject: .prefix,
                    unicode: false,
                    maxLength: 1300,
                    dialect: .smseagle,
                    passwords: [:],
                    mms: false
                )
            ]
        }
        if let poller = configuration.poller, poller.enabled ?? true {
            let scheme = poller.url.split(separator: ":").first.map { $0.lowercased() } ?? ""
            guard ["imap", "imaps", "pop3", "pop3s"].contains(scheme) else {
                throw ConfigurationError(
                    "poller.url: '\(poller.url)' is not an imap://, imaps://, pop3:// or pop3s:// URL"
                )
            }
            guard poller.password != nil || poller.oauth2 != nil else {
                throw ConfigurationError("poller: give password or oauth2")
            }
            if let oauth2 = poller.oauth2, oauth2.refreshToken == nil, oauth2.clientSecret == nil {
                throw ConfigurationError(
                    "poller.oauth2: give refresh_token, or client_secret for the client-credentials grant"
                )
            }
            guard let after = Poller.After(rawValue: poller.after ?? "mark") else {
                throw ConfigurationError("poller.after must be mark or delete")
            }
            let isIMAP = scheme.hasPrefix("imap")
            self.poller = Poller(
                url: poller.url,
                isIMAP: isIMAP,
                username: poller.username,
                password: poller.password,
                oauth2: poller.oauth2,
                interval: max(poller.interval ?? 60, 1),
                after: isIMAP ? after : .delete,
                tls: CurlTLS(caFile: poller.caFile, verify: poller.verify ?? true)
            )
        }
        var smtp: [String: SMTPAccount] = [:]
        for server in configuration.smtp ?? [] {
            guard smtp[server.name] == nil else {
                throw ConfigurationError("smtp: two servers are called \(server.name)")
            }
            smtp[server.name] = try SMTPAccount(server)
        }
        self.smtp = smtp
        defaultSMTP = configuration.smtp?.first?.name
        forwards = try (configuration.sms2email ?? []).filter { $0.enabled ?? true }.map { rule in
            guard let server = rule.smtp ?? configuration.smtp?.first?.name, smtp[server] != nil else {
                throw ConfigurationError("sms2email \(rule.name): no smtp server '\(rule.smtp ?? "")' is configured")
            }
            guard let mode = Forward.Mode(rawValue: rule.mode ?? "two_way") else {
                throw ConfigurationError("sms2email \(rule.name): mode must be two_way or fixed")
            }
            let to = rule.to ?? []
            if mode == .fixed, to.isEmpty { throw ConfigurationError("sms2email \(rule.name): mode fixed needs to") }
            for address in to where !MailAddress.isValid(address) {
                throw ConfigurationError("sms2email \(rule.name): '\(address)' is not a mail address")
            }
            return Forward(
                name: rule.name,
                smtp: server,
                mode: mode,
                to: to,
                senders: rule.senders ?? [],
                contains: rule.contains ?? [],
                subject: rule.subject ?? "SMS from {SENDER}"
            )
        }
    }

    /// The first rule that lets `sender` send.
    func rule(for sender: String) -> Rule? { rules.first { $0.allows(sender) } }
}

/// Mail addresses as far as the gateway checks them.
enum MailAddress {
    /// local@domain, with no spaces, controls, angle brackets or commas: safe in a header and an
    /// SMTP command.
    static func isValid(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, address.utf8.count <= 254 else { return false }
        return !address.unicodeScalars.contains {
            $0.value < 0x21 || $0.value == 0x7F || "<>,;:\"()[]\\".unicodeScalars.contains($0)
        }
    }
}
