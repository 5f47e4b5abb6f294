import EmailPlugin
import Foundation
import SwiftletPluginSDK
import SwiftletPluginTestKit
import TestSupport
import Testing

/// Email2SMS's poller against a real dovecot over IMAP and POP3, with FakeHost as the gateway.
@Suite("Email2SMS poller against a real dovecot")
struct PollerTests {
    func poller(_ dovecot: Dovecot, _ host: FakeHost, url: String? = nil, _ extra: String = "") throws -> EmailPlugin {
        let url = url ?? "imap://127.0.0.1:\(dovecot.imapPort)/INBOX"
        let json =
            #"{"country_code": "46", "poller": {"url": "\#(url)", "username": "gw", "password": "gwpass", "interval": 1 \#(extra)}}"#
        return try host.makePlugin(EmailPlugin.self, configuration: json)
    }

    func mail(
        from: String = "alarm@monitor.test",
        subject: String,
        body: String,
        id: String = UUID().uuidString
    ) -> String {
        "From: \(from)\nTo: gw@mail.test\nSubject: \(subject)\nMessage-ID: <\(id)@monitor.test>\n\n\(body)\n"
    }

    func phonebook() -> FakeHost {
        let host = FakeHost()
        host.addContact(name: "anna", number: "+46700000001", groups: ["oncall"])
        host.addContact(name: "bert", number: "+46700000002", groups: ["oncall"])
        return host
    }

    @Test(
        "IMAP: numbers and a group in the subject, the body as text; handled mail marked read; a mail naming no one flagged, left, and not retried"
    )
    func imapMark() async throws {
        let dovecot = try Dovecot()
        try await dovecot.start()
        try await dovecot.deliver(mail(subject: "0701234567, +46701234568", body: "Boiler 1 over 90 C"))
        try await dovecot.deliver(mail(subject: "oncall", body: "Pump 3 stopped"))
        try await dovecot.deliver(mail(subject: "nobody-here", body: "lost?"))
        let host = phonebook()
        let plugin = try poller(dovecot, host)
        try await plugin.start()
        defer { Task { await plugin.stop() } }
        _ = try await eventually("2 mails sent; logs: \(host.logs.map(\.message))") {
            host.sent.count == 2 ? true : nil
        }
        #expect(host.sent[0].to == ["+46701234567", "+46701234568"])
        #expect(host.sent[0].text == "Boiler 1 over 90 C")
        #expect(host.sent[1].to == [])
        #expect(host.sent[1].groups == ["oncall"])  // resolved by the host's recipient policy
        let flags = try await eventually("all three marked") { () -> [Int: Set<String>]? in
            let flags = try await dovecot.flags()
            return flags.values.allSatisfy { $0.contains("\\Seen") } ? flags : nil
        }
        #expect(flags[1] == ["\\Seen"])
        #expect(flags[2] == ["\\Seen"])
        #expect(flags[3] == ["\\Seen", "$SwiftletRefused"])
        #expect(
            host.logs.contains {
                $0.message.contains("left in the mailbox: subject: nobody-here is not a number, contact or group")
            }
        )
        try await Task.sleep(for: .seconds(2.5))  // two more polls
        #expect(host.sent.count == 2)
        #expect(host.logs.filter { $0.message.contains("nobody-here") }.count == 1)
    }

    @Test(
        "IMAP delete: handled mail is deleted only after the commit; while the gateway cannot commit, the mail stays unread and is sent once it can"
    )
    func imapDeleteAfterCommit() async throws {
        let dovecot = try Dovecot()
        try await dovecot.start()
        let host = phonebook()
        host.failRequests(with: PluginError(.unavailable, "the store is unavailable"))
        try await dovecot.deliver(mail(subject: "0701234567", body: "first"))
        let plugin = try poller(dovecot, host, #", "after": "delete""#)
        try await plugin.start()
        defer { Task { await plugin.stop() } }
        _ = try await eventually("a failed attempt") {  // the store, and so the plugin's state, is unavailable
            host.logs.contains { $0.message.contains("failed, next try in 1 s: the store is unavailable") } ? true : nil
        }
        try await Task.sleep(for: .seconds(1.5))
        #expect(try await dovecot.flags() == [1: []])  // still there, still unread
        host.failRequests(with: nil)
        _ = try await eventually("sent") { host.sent.count == 1 ? true : nil }
        _ = try await eventually("deleted") { try await dovecot.flags().isEmpty ? true : nil }
        #expect(host.sent.map(\.text) == ["first"])
    }

    @Test(
        "a restart between fetching (which marks the mail read) and the commit: the mail is handled after the restart, once"
    )
    func restartMidPoll() async throws {
        let dovecot = try Dovecot()
        try await dovecot.start()
        try await dovecot.deliver(mail(subject: "0701234567", body: "alarm"))
        let host = phonebook()
        // A previous run fetched UID 1 (dovecot marks it read) and stopped before its SMS were committed.
        try await dovecot.imap(#"m.uid("FETCH", "1", "(BODY[])")"#)
        try await host.setState("[1]", forKey: "imap.pending")
        #expect(try await dovecot.flags() == [1: ["\\Seen"]])
        let plugin = try poller(dovecot, host)
        try await plugin.start()
        _ = try await eventually("sent") { host.sent.count == 1 ? true : nil }
        await plugin.stop()
        // And the other case: the SMS were committed, the mark was not. Offered again, it is queued once.
        try await host.setState("[1]", forKey: "imap.pending")
        let again = try poller(dovecot, host)
        try await again.start()
        _ = try await eventually("handled again") {
            host.logs.filter { $0.message.contains("IMAP UID 1") }.count == 2 ? true : nil
        }
        await again.stop()
        #expect(host.sent.count == 1)
        #expect(try await host.stateValue(forKey: "imap.pending") == "[]")
    }

    @Test("POP3: mail retrieved, sent, and deleted; a mail that cannot be sent is kept and not tried again")
    func pop3() async throws {
        let dovecot = try Dovecot()
        try await dovecot.start()
        try await dovecot.deliver(mail(subject: "0701234567", body: "over POP3"))
        try await dovecot.deliver(mail(subject: "", body: "no recipient"))
        let host = phonebook()
        let plugin = try poller(dovecot, host, url: "pop3://127.0.0.1:\(dovecot.pop3Port)")
        try await plugin.start()
        defer { Task { await plugin.stop() } }
        _ = try await eventually("sent") { host.sent.count == 1 ? true : nil }
        _ = try await eventually("the sent one deleted") { try await dovecot.flags().count == 1 ? true : nil }
        try await Task.sleep(for: .seconds(2.5))
        #expect(host.sent.map(\.text) == ["over POP3"])
        #expect(host.logs.filter { $0.message.contains("the subject names no recipient") }.count == 1)
        #expect(try await dovecot.flags().count == 1)
    }

    @Test(
        "imaps:// and pop3s://: mail read over TLS, the server's certificate checked against ca_file; without it, refused and left"
    )
    func overTLS() async throws {
        let certificate = try await selfSignedCertificate()
        let dovecot = try Dovecot(tls: certificate)
        try await dovecot.start()
        try await dovecot.deliver(mail(subject: "0701234567", body: "over IMAPS"))
        let host = phonebook()
        let caFile = #", "ca_file": "\#(certificate.cert)""#
        let imaps = try poller(dovecot, host, url: "imaps://127.0.0.1:\(dovecot.imapsPort)/INBOX", caFile)
        try await imaps.start()
        _ = try await eventually("sent over IMAPS; logs: \(host.logs.map(\.message))") {
            host.sent.count == 1 ? true : nil
        }
        await imaps.stop()
        #expect(host.sent.map(\.text) == ["over IMAPS"])
        _ = try await eventually("marked read") {
            try await dovecot.flags().values.allSatisfy { $0.contains("\\Seen") } ? true : nil
        }

        try await dovecot.deliver(mail(subject: "0701234568", body: "over POP3S"))
        // Without the CA the server's certificate does not verify: nothing is read, and the log says why.
        let untrusting = FakeHost()
        let refused = try poller(dovecot, untrusting, url: "pop3s://127.0.0.1:\(dovecot.pop3sPort)")
        try await refused.start()
        _ = try await eventually("the refusal logged; logs: \(untrusting.logs.map(\.message))") {
            untrusting.logs.contains { $0.message.contains("SSL certificate problem: self-signed certificate") }
                ? true : nil
        }
        await refused.stop()
        #expect(untrusting.sent.isEmpty)
        #expect(try await dovecot.flags().count == 2)

        let pop3s = try poller(dovecot, host, url: "pop3s://127.0.0.1:\(dovecot.pop3sPort)", caFile)
        try await pop3s.start()
        defer { Task { await pop3s.stop() } }
        // POP3 reads every mail in the box, the one already read over IMAP too; it deletes what it sent.
        _ = try await eventually("sent over POP3S; logs: \(host.logs.map(\.message))") {
            host.sent.contains { $0.text == "over POP3S" } ? true : nil
        }
        _ = try await eventually("deleted after sending") { try await dovecot.flags().isEmpty ? true : nil }
        // The mail read over IMAP is recognised by its Message-ID and not sent a second time.
        #expect(host.sent.map(\.text) == ["over IMAPS", "over POP3S"])
    }

    @Test(
        "OAuth2: an access token from the token endpoint (refresh token rotated and kept), XOAUTH2 to dovecot, which introspects it"
    )
    func oauth2() async throws {
        let dovecot = try Dovecot(oauth2: true)
        try await dovecot.start()
        let oauth = try #require(dovecot.oauth2)
        try await dovecot.deliver(mail(subject: "0701234567", body: "via OAuth2"))
        let host = phonebook()
        let json =
            #"{"poller": {"url": "imap://127.0.0.1:\#(dovecot.imapPort)/INBOX", "username": "gw", "interval": 1, "oauth2": {"token_url": "\#(oauth.tokenURL)", "client_id": "swiftlet", "refresh_token": "\#(oauth.refreshToken)", "scope": "https://outlook.office365.com/.default"}}}"#
        let plugin = try host.makePlugin(EmailPlugin.self, configuration: json)
        try await plugin.start()
        _ = try await eventually("sent; logs: \(host.logs.map(\.message)); dovecot: \(dovecot.log)") {
            host.sent.count == 1 ? true : nil
        }
        await plugin.stop()
        let log = try String(contentsOfFile: oauth.log, encoding: .utf8)
        #expect(log.contains("token swiftlet https://outlook.office365.com/.default"))
        #expect(log.contains("introspect known"))
        let rotated = try #require(try await host.stateValue(forKey: "oauth2.refresh_token"))
        #expect(rotated != oauth.refreshToken)
        #expect(!host.logs.contains { $0.message.contains("at-") || $0.message.contains(rotated) })

        // A new run uses the rotated refresh token (the configured one is spent).
        try await dovecot.deliver(mail(subject: "0701234567", body: "second run"))
        let next = try host.makePlugin(EmailPlugin.self, configuration: json)
        try await next.start()
        _ = try await eventually("sent again; logs: \(host.logs.map(\.message))") { host.sent.count == 2 ? true : nil }
        await next.stop()
    }
}
