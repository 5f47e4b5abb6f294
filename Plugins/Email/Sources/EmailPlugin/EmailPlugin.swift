import Foundation
import SwiftletPluginSDK

/// Plugin `email`: Email2SMS (an SMTP listener, and a poller for IMAP/POP3 mailboxes) and
/// SMS2Email (incoming SMS forwarded by mail, two-way or to fixed addresses; the rule action
/// `email.send`).
public final class EmailPlugin: Plugin {
    public typealias Configuration = EmailConfiguration
    public static let id = "email"
    public static let version = "1.0.0"

    static let sendKind = "email.send"
    static let sendSchema = """
        {"type": "object", "additionalProperties": false, "required": ["to"], "properties": {
          "to": {"type": "string", "minLength": 3, "description": "Address(es), separated by commas."},
          "subject": {"type": "string", "description": "The subject; default 'SMS from {sender}'."},
          "body": {"type": "string", "description": "The text; default: the event's fields, one per line."},
          "smtp": {"type": "string", "minLength": 1, "description": "The smtp server to use; default the first."}}}
        """

    let settings: Settings
    let host: any PluginHost
    let converter: Email2SMS
    let listener: SMTPListener?
    let poller: Poller?
    let sender: MailSender?

    public init(configuration: Configuration, host: any PluginHost) throws {
        let settings = try Settings(configuration)
        guard settings.listener != nil || settings.poller != nil || !settings.smtp.isEmpty else {
            throw ConfigurationError("configure at least one of listener, poller and smtp (with sms2email)")
        }
        self.settings = settings
        self.host = host
        let converter = Email2SMS(settings: settings, host: host)
        self.converter = converter
        sender =
            settings.smtp.isEmpty
            ? nil
            : MailSender(
                accounts: settings.smtp,
                domain: settings.listener?.domains.sorted().first ?? ProcessInfo.processInfo.hostName,
                host: host
            )
        let remember: @Sendable (Email2SMS.Conversion, [Int]) async -> Void
        if settings.forwards.contains(where: { $0.mode == .twoWay }) {
            remember = { conversion, _ in
                guard let address = conversion.replyAddress, MailAddress.isValid(address) else { return }
                for number in Set(conversion.sms.to) {
                    try? await host.setState(address, forKey: "reply/\(number)")
                }
            }
        } else {
            remember = { _, _ in }
        }
        listener = try settings.listener.map {
            try SMTPListener(
                settings: $0,
                converter: converter,
                host: host,
                onConverted: remember
            )
        }
        poller = settings.poller.map {
            Poller(
                settings: $0,
                converter: converter,
                host: host,
                onConverted: remember
            )
        }
    }

    public func start() async throws {
        if let sender {
            try host.registerRuleKind(Self.sendKind, role: .action, schema: Self.sendSchema)
            try await sender.load()
            sender.start()
        }
        if !settings.forwards.isEmpty { try host.subscribe(IncomingSMSEvent.kind) }
        try await listener?.start()
        poller?.start()
        if let listener = settings.listener, !["127.0.0.1", "::1", "localhost"].contains(listener.address),
            !listener.requireAuth, settings.rules.contains(where: { $0.senders.isEmpty })
        {
            host.log(
                .warning,
                "Email2SMS: the listener on \(listener.address) lets any sender send SMS (a rule without senders, no require_auth); restrict it with a firewall or set senders"
            )
        }
        host.reportHealth(
            .ok,
            [
                settings.listener.map { "listening on \($0.address):\($0.port)" },
                settings.poller.map { "polling \(Poller.redacted($0.url))" },
                sender.map { _ in "sending through \(settings.smtp.keys.sorted().joined(separator: ", "))" },
            ].compactMap { $0 }.joined(separator: "; ")
        )
    }

    public func stop() async {
        await listener?.stop()
        await poller?.stop()
        await sender?.stop()
    }

    public func handle(_ event: Event) async {
        switch event.kind {
        case IncomingSMSEvent.kind: await forward(event)
        case Self.sendKind: await action(event)
        default: break
        }
    }

    // MARK: SMS2Email

    /// An incoming SMS, mailed by every forward rule that matches it.
    func forward(_ event: Event) async {
        guard let sender, let sms = try? event.decode(IncomingSMSEvent.self) else { return }
        let from = PhoneNumbers.normalise(sms.from, countryCode: settings.countryCode) ?? sms.from
        var name: String?
        for rule in settings.forwards {
            if !rule.senders.isEmpty,
                !rule.senders.contains(where: {
                    (PhoneNumbers.normalise($0, countryCode: settings.countryCode) ?? $0) == from
                })
            {
                continue
            }
            if !rule.contains.isEmpty, !rule.contains.contains(where: { sms.text.localizedCaseInsensitiveContains($0) })
            {
                continue
            }
            var to = rule.to
            if rule.mode == .twoWay, let last = try? await host.stateValue(forKey: "reply/\(from)") { to = [last] }
            guard !to.isEmpty else {
                host.log(
                    .notice,
                    "SMS2Email: SMS \(sms.id) from \(from): no one has mailed this number and rule \(rule.name) has no default address (to)"
                )
                continue
            }
            if name == nil {
                name = (try? await host.lookUpPhonebook(.number(from)))?.contacts.first?.name ?? ""
            }
            var body = "From: \(from)\((name ?? "").isEmpty ? "" : " (\(name!))")\n"
            body += "Received: \(Self.localTime(sms.receivedAt))\n\n\(sms.text)\n"
            var mail = OutgoingMail(
                smtp: rule.smtp,
                to: to,
                subject: MailComposer.subject(rule.subject, sender: from, text: sms.text),
                body: body
            )
            if let domain = settings.listener?.domains.sorted().first {
                mail.replyTo = "\(from.filter(\.isNumber))@\(domain)"
            }
            do {
                try await sender.enqueue(mail)
            } catch {
                host.log(.error, "SMS2Email: SMS \(sms.id) from \(from) could not be kept for mailing: \(error)")
            }
        }
    }

    /// The rule action `email.send`.
    func action(_ event: Event) async {
        struct Parameters: Decodable {
            var to: String
            var subject: String?
            var body: String?
            var smtp: String?
        }
        guard let sender, let body = try? JSONDecoder().decode(RuleActionEvent<Parameters>.self, from: event.json)
        else {
            host.log(
                .error,
                "email.send: an action the plugin does not understand: \(String(decoding: event.json, as: UTF8.self))"
            )
            return
        }
        let to = body.parameters.to.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard to.allSatisfy(MailAddress.isValid) else {
            host.log(.error, "email.send (rule \(body.rule)): '\(body.parameters.to)' is not a list of mail addresses")
            return
        }
        guard let smtp = body.parameters.smtp ?? settings.defaultSMTP, settings.smtp[smtp] != nil else {
            host.log(
                .error,
                "email.send (rule \(body.rule)): no smtp server '\(body.parameters.smtp ?? "")' is configured"
            )
            return
        }
        let text =
            body.parameters.body
            ?? body.event.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n")
        let mail = OutgoingMail(
            smtp: smtp,
            to: to,
            subject: MailComposer.headerSafe(body.parameters.subject ?? "SMS from \(body.event["from"] ?? "Swiftlet")"),
            body: text
        )
        do {
            try await sender.enqueue(mail)
        } catch {
            host.log(.error, "email.send (rule \(body.rule)): the mail could not be kept for sending: \(error)")
        }
    }

    static func localTime(_ date: Date) -> String {
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.dateFormat = "yyyy-MM-dd HH:mm:ss xxx"
        format.timeZone = .current
        return format.string(from: date)
    }
}
