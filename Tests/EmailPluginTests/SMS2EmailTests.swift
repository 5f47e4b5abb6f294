import EmailPlugin
import Foundation
import SwiftletPluginSDK
import SwiftletPluginTestKit
import TestSupport
import Testing

/// SMS2Email against a real SMTP server (aiosmtpd), with FakeHost as the gateway.
@Suite("SMS2Email against a real SMTP server")
struct SMS2EmailTests {
    /// The mail's headers (unfolded, names lower-cased) and its decoded text, read by Python's email package.
    func parse(_ mail: String) async throws -> (headers: [String: String], body: String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mail-\(UUID().uuidString).eml").path
        try mail.write(toFile: path, atomically: true, encoding: .utf8)
        let program = #"""
            import email, email.policy, json, sys
            m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
            headers = {k.lower(): str(v) for k, v in m.items()}
            print(json.dumps({"headers": headers, "body": m.get_content(), "count": len(m.keys())}))
            """#
        let result = try await MosquittoBroker.runDetached("/usr/bin/python3", ["-c", program, path])
        struct Parsed: Decodable {
            var headers: [String: String]
            var body: String
        }
        let parsed = try JSONDecoder().decode(Parsed.self, from: Data(result.output.utf8))
        return (parsed.headers, parsed.body.replacingOccurrences(of: "\r\n", with: "\n"))
    }

    @Test(
        "two-way: an SMS answering a mailed alarm goes to whoever mailed that number, Reply-To back to the number; others to the default address"
    )
    func twoWay() async throws {
        let sink = try SMTPSink()
        try await sink.start()
        let host = FakeHost()
        host.addContact(name: "Anna Berg", number: "+46701234567")
        let port = MosquittoBroker.freePort()
        let json = #"""
            {"country_code": "46", "listener": {"port": \#(port), "domains": ["sms.test"]},
             "smtp": [{"name": "relay", "url": "smtp://127.0.0.1:\#(sink.port)", "starttls": false, "from": "gateway@corp.test"}],
             "sms2email": [{"name": "replies", "mode": "two_way", "to": ["helpdesk@corp.test"], "subject": "SMS from {SENDER}: {WORDS,3}"}]}
            """#
        let plugin = try host.makePlugin(EmailPlugin.self, configuration: json)
        try await plugin.start()
        defer { Task { await plugin.stop() } }
        let alarm = try await Swaks.send(
            port: port,
            [
                "--from", "noc@corp.test", "--to", "0701234567@sms.test", "--header", "Subject: disk", "--header",
                "Reply-To: boss@corp.test", "--body", "db1 disk full",
            ]
        )
        #expect(alarm.status == 0, "\(alarm.transcript)")

        await plugin.handle(host.incomingSMS(from: "+46701234567", text: "On it, ETA twenty minutes", id: 7))
        await plugin.handle(host.incomingSMS(from: "+46709999999", text: "Who is this?", id: 8))
        let mails = try await eventually("two mails; logs: \(host.logs.map(\.message)); sink: \(sink.errors)") {
            sink.mails.count == 2 ? sink.mails : nil
        }
        let reply = try await parse(mails[0])
        #expect(reply.headers["x-envelope-to"] == "boss@corp.test")
        #expect(reply.headers["to"] == "boss@corp.test")
        #expect(reply.headers["from"] == "Swiftlet <gateway@corp.test>")
        #expect(reply.headers["reply-to"] == "46701234567@sms.test")
        #expect(reply.headers["subject"] == "SMS from +46701234567: On it, ETA")
        #expect(reply.body.contains("From: +46701234567 (Anna Berg)\nReceived: "))
        #expect(reply.body.hasSuffix("\n\nOn it, ETA twenty minutes\n"))
        let other = try await parse(mails[1])
        #expect(other.headers["x-envelope-to"] == "helpdesk@corp.test")
        #expect(other.body.contains("From: +46709999999\n"))
    }

    @Test(
        "no header injection from an SMS: CR/LF in the text stays out of the headers; a non-ASCII subject is RFC 2047 encoded"
    )
    func headers() async throws {
        let sink = try SMTPSink()
        try await sink.start()
        let host = FakeHost()
        let json = #"""
            {"smtp": [{"name": "relay", "url": "smtp://127.0.0.1:\#(sink.port)", "starttls": false, "from": "gateway@corp.test"}],
             "sms2email": [{"name": "all", "mode": "fixed", "to": ["ops@corp.test"], "subject": "{CHARS,60}"}]}
            """#
        let plugin = try host.makePlugin(EmailPlugin.self, configuration: json)
        try await plugin.start()
        defer { Task { await plugin.stop() } }
        await plugin.handle(
            host.incomingSMS(from: "+46701234567", text: "hi\r\nBcc: victim@evil.test\r\n\r\nfake body")
        )
        await plugin.handle(host.incomingSMS(from: "+46701234567", text: "Räksmörgås för 12 € – 🍤 klar"))
        let mails = try await eventually("two mails") { sink.mails.count == 2 ? sink.mails : nil }
        let injected = try await parse(mails[0])
        #expect(injected.headers["bcc"] == nil)
        #expect(injected.headers["x-envelope-to"] == "ops@corp.test")
        #expect(injected.headers["subject"] == "hi  Bcc: victim@evil.test    fake body")
        #expect(injected.body.contains("hi\nBcc: victim@evil.test\n\nfake body"))
        let unicode = try await parse(mails[1])
        #expect(mails[1].contains("Subject: =?UTF-8?B?"))
        #expect(unicode.headers["subject"] == "Räksmörgås för 12 € – 🍤 klar")
    }

    @Test(
        "kept until delivered: mail waits durably while the server is down, across a plugin restart, and is sent once; STARTTLS with AUTH"
    )
    func durable() async throws {
        let (cert, key) = try await selfSignedCertificate()
        let sink = try SMTPSink(starttls: (cert, key), auth: "gw:relaypass")
        let host = FakeHost()
        let json = #"""
            {"country_code": "46",
             "smtp": [{"name": "relay", "url": "smtp://127.0.0.1:\#(sink.port)", "username": "gw", "password": "relaypass", "from": "gateway@corp.test", "ca_file": "\#(cert)"}],
             "sms2email": [{"name": "alarms", "mode": "fixed", "to": ["ops@corp.test"], "contains": ["alarm"]},
                           {"name": "boss", "mode": "fixed", "to": ["boss@corp.test"], "senders": ["0709999999"]}]}
            """#
        let first = try host.makePlugin(EmailPlugin.self, configuration: json)
        try await first.start()
        await first.handle(host.incomingSMS(from: "+46701234567", text: "ALARM: door open"))
        await first.handle(host.incomingSMS(from: "+46701234567", text: "nothing to see"))  // matches no rule
        await first.handle(host.incomingSMS(from: "+46709999999", text: "call me"))
        _ = try await eventually("a failed attempt") {
            host.logs.contains { $0.message.contains("not sent (attempt 1)") } ? true : nil
        }
        await first.stop()
        #expect(host.stateValues.keys.filter { $0.hasPrefix("mail/") }.count == 2)

        try await sink.start()
        let second = try host.makePlugin(EmailPlugin.self, configuration: json)
        try await second.start()
        defer { Task { await second.stop() } }
        let mails = try await eventually(
            timeout: .seconds(30),
            "two mails; logs: \(host.logs.map(\.message)); sink: \(sink.errors)"
        ) {
            sink.mails.count == 2 ? sink.mails : nil
        }
        #expect(try await parse(mails[0]).headers["x-envelope-to"] == "ops@corp.test")
        #expect(try await parse(mails[1]).headers["x-envelope-to"] == "boss@corp.test")
        _ = try await eventually("the queue emptied") {
            host.stateValues.keys.contains { $0.hasPrefix("mail/") } ? nil : true
        }
        try await Task.sleep(for: .seconds(1))
        #expect(sink.mails.count == 2)
        #expect(!host.logs.contains { $0.message.contains("relaypass") })
    }

    @Test(
        "the rule action email.send: registered with its schema, its mail sent with the parameters, through the server it names"
    )
    func action() async throws {
        let sink = try SMTPSink()
        try await sink.start()
        let backup = try SMTPSink()
        try await backup.start()
        let host = FakeHost()
        let json = #"""
            {"smtp": [{"name": "relay", "url": "smtp://127.0.0.1:\#(sink.port)", "starttls": false, "from": "gateway@corp.test"},
                      {"name": "backup", "url": "smtp://127.0.0.1:\#(backup.port)", "starttls": false, "from": "gw@backup.test"}]}
            """#
        let plugin = try host.makePlugin(EmailPlugin.self, configuration: json)
        try await plugin.start()
        defer { Task { await plugin.stop() } }
        #expect(host.ruleKinds["email.send"] == .action)
        let event = try Event(
            kind: "email.send",
            body: [
                "rule": AnyCodable.string("escalate"),
                "parameters": .object([
                    "to": "a@corp.test, b@corp.test", "subject": "Unacknowledged: boiler", "body": "Nobody answered.",
                ]),
                "event": .object(["from": "+46701234567"]),
            ]
        )
        await plugin.handle(event)
        let mail = try await eventually("a mail") { sink.mails.first }
        let parsed = try await parse(mail)
        #expect(parsed.headers["x-envelope-to"] == "a@corp.test,b@corp.test")
        #expect(parsed.headers["subject"] == "Unacknowledged: boiler")
        #expect(parsed.body == "Nobody answered.")

        // Several servers: the action names the one to use.
        let viaBackup = try Event(
            kind: "email.send",
            body: [
                "rule": AnyCodable.string("report"),
                "parameters": .object(["to": "c@corp.test", "subject": "Daily report", "smtp": "backup"]),
                "event": .object(["from": "+46701234567"]),
            ]
        )
        await plugin.handle(viaBackup)
        let other = try await eventually("a mail through the backup server") { backup.mails.first }
        #expect(try await parse(other).headers["x-envelope-from"] == "gw@backup.test")
        #expect(sink.mails.count == 1)
    }
}

/// JSON for the test's events.
enum AnyCodable: Encodable, ExpressibleByStringLiteral {
    case string(String)
    case object([String: String])
    init(stringLiteral value: String) { self = .string(value) }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
