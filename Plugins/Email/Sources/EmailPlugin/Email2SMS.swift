import Crypto
import Foundation
import SwiftletPluginSDK

/// Where a mail should go, as its envelope (listener) or subject (poller) names it.
enum Recipient: Sendable, Equatable {
    /// A telephone number, normalised.
    case number(String)
    /// A phonebook contact or group by name. The host resolves it again when it queues the SMS,
    /// with the gateway's recipient policy (vacations, shifts); `numbers` are those it had when the
    /// mail was accepted (for the idempotency key).
    case name(String, numbers: [String], isContact: Bool)
    /// Pixie's `sms@` / `all@`: the numbers are in an attached text file.
    case attachedList
}

/// Why a mail is not turned into SMS: an SMTP reply for the listener, a reason for the log.
struct Refusal: Error, CustomStringConvertible {
    var code: Int
    var enhanced: String
    var reason: String
    var description: String { reason }

    init(_ code: Int, _ enhanced: String, _ reason: String) {
        self.code = code
        self.enhanced = enhanced
        self.reason = reason
    }

    /// Permanent (5xx): do not offer this mail again.
    var isPermanent: Bool { code >= 500 }
}

/// Turns a mail into SMS requests under a rule: the SMSEagle conventions (subject parameters
/// `date=` and `modemno=`, the subject as a prefix, a stop phrase, a maximum length) and Pixie's
/// (the sender and an optional password in the subject, numbers in an attached file).
struct Email2SMS: Sendable {
    let settings: Settings
    let host: any PluginHost

    /// A mail turned into what to send.
    struct Conversion: Sendable {
        var sms: OutgoingSMS
        /// The address a reply by mail goes to (two-way SMS2Email).
        var replyAddress: String?
        /// Notes for the log (a feature not available, a sender name the modem cannot show).
        var notes: [String]
    }

    /// Resolves the local part of a recipient address.
    func recipient(localPart: String, rule: Settings.Rule) async throws(Refusal) -> Recipient {
        let lower = localPart.lowercased()
        if rule.dialect == .pixie, lower == "sms" || lower == "all" { return .attachedList }
        if let number = PhoneNumbers.normalise(localPart, countryCode: settings.countryCode) { return .number(number) }
        do {
            let contacts = try await host.lookUpPhonebook(.contact(localPart)).contacts
            if !contacts.isEmpty { return .name(localPart, numbers: contacts.map(\.number), isContact: true) }
            let numbers = try await host.resolve(name: localPart)
            guard !numbers.isEmpty else { throw Refusal(550, "5.1.1", "\(localPart) has no members with a number") }
            return .name(localPart, numbers: numbers, isContact: false)
        } catch let refusal as Refusal {
            throw refusal
        } catch let error as PluginError where error.code == .notFound {
            throw Refusal(550, "5.1.1", "\(localPart) is not a number, contact or group")
        } catch {
            throw Refusal(451, "4.3.0", "the phonebook cannot be read now: \(error)")
        }
    }

    /// The SMS `mail` becomes for `recipients` under `rule`. `envelopeSender` is MAIL FROM (the
    /// listener) or the From address (the poller); `raw` the message as received, for the idempotency key.
    func convert(
        _ mail: Mail,
        raw: Data,
        envelopeSender: String,
        recipients: [Recipient],
        rule: Settings.Rule
    ) throws(Refusal) -> Conversion {
        var notes: [String] = []
        var subject = mail.subject.trimmingCharacters(in: .whitespacesAndNewlines)
        var numbers: [String] = []
        var given: [String] = []
        var contacts: [String] = []
        var groups: [String] = []
        for recipient in recipients {
            switch recipient {
            case .number(let number): given.append(number)
            case .name(let name, let resolved, let isContact):
                numbers += resolved
                if isContact { contacts.append(name) } else { groups.append(name) }
            case .attachedList: given += try attachedNumbers(mail)
            }
        }
        var seen = Set<String>()
        given = given.filter { seen.insert($0).inserted }
        numbers = given + numbers.filter { seen.insert($0).inserted }  // a contact also in a named group: once
        guard !numbers.isEmpty else { throw Refusal(550, "5.1.3", "the mail names no recipient") }

        // Subject parameters: date=YYYYmmDDHHMM and modemno=N, joined by & or spaces.
        var date: Date?
        var modem: Int?
        var words: [Substring] = []
        for word in subject.split(whereSeparator: { $0 == " " || $0 == "&" }) {
            let lower = word.lowercased()
            if lower.hasPrefix("date=") {
                guard let parsed = Self.scheduleFormat.date(from: String(word.dropFirst(5))) else {
                    throw Refusal(550, "5.6.0", "subject: '\(word)' is not date=YYYYmmDDHHMM")
                }
                date = parsed
            } else if lower.hasPrefix("modemno=") {
                guard let number = Int(word.dropFirst(8)), (1...64).contains(number) else {
                    throw Refusal(550, "5.6.0", "subject: '\(word)' is not modemno=N")
                }
                modem = number
            } else {
                words.append(word)
            }
        }
        if date != nil || modem != nil { subject = words.joined(separator: " ") }

        if rule.dialect == .pixie {
            subject = try pixieSender(subject: subject, from: mail.from ?? envelopeSender, rule: rule, notes: &notes)
        }

        var text = mail.text.replacingOccurrences(of: "\r\n", with: "\n")
        if let stop = rule.stopPhrase, let range = text.range(of: stop) { text = String(text[..<range.lowerBound]) }
        text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if rule.subject == .prefix, !subject.isEmpty { text = text.isEmpty ? subject : subject + "\n" + text }
        guard !text.isEmpty else { throw Refusal(550, "5.6.0", "the mail has no text to send") }
        let length = text.unicodeScalars.count
        if length > rule.maxLength {
            notes.append("text cut from \(length) to \(rule.maxLength) characters (max_length of rule \(rule.name))")
            text = OutgoingSMS.clip(text, to: rule.maxLength)
        }
        let images = mail.attachments.filter { $0.mimeType.hasPrefix("image/") }.count
        if rule.mms, images > 0 {
            notes.append("MMS is not available on this gateway: sent as SMS without its \(images) image(s)")
        }
        if let call = rule.call {
            notes.append("a voice call (\(call)) after the SMS is not placed: plugins cannot queue calls yet (ABI 1.4)")
        }
        var sms = OutgoingSMS(to: given, contacts: contacts, groups: groups, text: text)
        sms.unicode = rule.unicode ? true : nil
        sms.modemNo = modem
        sms.date = date
        sms.key = Self.key(raw: raw, numbers: numbers)
        return Conversion(sms: sms, replyAddress: mail.replyTo ?? mail.from ?? envelopeSender, notes: notes)
    }

    /// The same mail for the same numbers is queued once, however often it is offered (a client
    /// retrying after a lost 250, a poll repeated after a crash).
    static func key(raw: Data, numbers: [String]) -> String {
        var hash = SHA256()
        hash.update(data: raw)
        hash.update(data: Data(numbers.sorted().joined(separator: ",").utf8))
        return "mail:" + hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Pixie: the subject is the sender (up to 11 characters without å, ä, ö, or a number); for a
    /// sender with a password, the password is its last word.
    func pixieSender(
        subject: String,
        from: String,
        rule: Settings.Rule,
        notes: inout [String]
    ) throws(Refusal) -> String {
        var words = subject.split(separator: " ").map(String.init)
        if let password = rule.passwords[from.lowercased()] {
            guard let given = words.last, words.count >= 2, Self.constantTimeEqual(given, password) else {
                throw Refusal(550, "5.7.1", "\(from) must give its password as the last word of the subject")
            }
            words.removeLast()
        }
        let sender = words.joined(separator: " ")
        guard !sender.isEmpty else {
            throw Refusal(550, "5.6.0", "the subject must name the sender (up to 11 characters, or a number)")
        }
        if PhoneNumbers.normalise(sender, countryCode: settings.countryCode) == nil {
            guard sender.count <= 11, !sender.lowercased().contains(where: { "åäö".contains($0) }) else {
                throw Refusal(550, "5.6.0", "sender '\(sender)': up to 11 characters, without å, ä or ö")
            }
        }
        notes.append("sender '\(sender)' from the subject: a GSM modem sends with its SIM's number")
        return sender
    }

    /// Numbers in an attached text file, one per line (Pixie's `sms@`).
    func attachedNumbers(_ mail: Mail) throws(Refusal) -> [String] {
        guard let file = mail.attachments.first(where: { $0.mimeType.hasPrefix("text/") }) else {
            throw Refusal(550, "5.6.0", "mail to sms@ needs an attached text file with one number per line")
        }
        let text = file.text ?? String(decoding: file.data, as: UTF8.self)
        var numbers: [String] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let line = line.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            guard let number = PhoneNumbers.normalise(line, countryCode: settings.countryCode) else {
                throw Refusal(550, "5.6.0", "attached list: '\(line.prefix(40))' is not a number")
            }
            numbers.append(number)
        }
        guard !numbers.isEmpty else { throw Refusal(550, "5.6.0", "the attached list holds no number") }
        return numbers
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(SHA256.hash(data: Data(a.utf8)))
        let y = Array(SHA256.hash(data: Data(b.utf8)))
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// `date=` in the subject, in the gateway's local time.
    static var scheduleFormat: DateFormatter {
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.dateFormat = "yyyyMMddHHmm"
        format.timeZone = .current
        return format
    }
}
