import Foundation

/// The plugin's section of the gateway configuration (the manifest gives every key's meaning).
public struct EmailConfiguration: Decodable, Sendable {
    public var countryCode: String?
    public var listener: Listener?
    public var poller: Poller?
    public var email2sms: [Email2SMSRule]?
    public var smtp: [SMTPServer]?
    public var sms2email: [SMS2EmailRule]?

    /// Email2SMS: the SMTP server mail to NUMBER@domain arrives at.
    public struct Listener: Decodable, Sendable {
        public var enabled: Bool?
        public var address: String?
        public var port: Int?
        public var hostname: String?
        public var domains: [String]
        public var maxSize: Int?
        public var maxRecipients: Int?
        public var tls: TLS?
        public var users: [User]?
        public var requireAuth: Bool?
    }

    public struct TLS: Decodable, Sendable {
        public var certFile: String
        public var keyFile: String
    }

    public struct User: Decodable, Sendable {
        public var username: String
        public var password: String
    }

    /// Email2SMS by polling a mailbox over IMAP or POP3.
    public struct Poller: Decodable, Sendable {
        public var enabled: Bool?
        public var url: String
        public var username: String
        public var password: String?
        public var oauth2: OAuth2?
        public var interval: Int?
        public var after: String?
        public var caFile: String?
        public var verify: Bool?
    }

    public struct OAuth2: Decodable, Sendable {
        public var tokenUrl: String
        public var clientId: String
        public var clientSecret: String?
        public var refreshToken: String?
        public var scope: String?
    }

    /// How mail becomes SMS; the first enabled rule whose senders match handles a mail.
    public struct Email2SMSRule: Decodable, Sendable {
        public var name: String
        public var enabled: Bool?
        public var senders: [String]?
        public var subject: String?
        public var stopPhrase: String?
        public var unicode: Bool?
        public var maxLength: Int?
        public var dialect: String?
        public var passwords: [SenderPassword]?
        public var mms: Bool?
        public var call: String?
    }

    /// Pixie: a registered sender's password. (A list, not a mapping: the SDK's snake_case key
    /// decoding would rewrite addresses with underscores.)
    public struct SenderPassword: Decodable, Sendable {
        public var sender: String
        public var password: String
    }

    /// An SMTP server SMS2Email sends through.
    public struct SMTPServer: Decodable, Sendable {
        public var name: String
        public var url: String
        public var starttls: Bool?
        public var username: String?
        public var password: String?
        public var from: String
        public var caFile: String?
        public var verify: Bool?
    }

    /// SMS2Email: incoming SMS forwarded by mail.
    public struct SMS2EmailRule: Decodable, Sendable {
        public var name: String
        public var enabled: Bool?
        public var smtp: String?
        public var mode: String?
        public var to: [String]?
        public var senders: [String]?
        public var contains: [String]?
        public var subject: String?
    }
}
