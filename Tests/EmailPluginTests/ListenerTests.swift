import EmailPlugin
import Foundation
import SwiftletPluginSDK
import SwiftletPluginTestKit
import TestSupport
import Testing

/// Email2SMS's SMTP listener with the SDK's FakeHost as the gateway, driven by real SMTP clients:
/// swaks, and Python's smtplib.
@Suite("Email2SMS SMTP listener, with swaks and smtplib")
struct ListenerTests {
    /// A started plugin listening on a free port for @sms.test, with `extra` configuration keys.
    func listener(_ host: FakeHost, _ extra: String = "", listenerExtra: String = "") async throws -> (EmailPlugin, Int)
    {
        let port = MosquittoBroker.freePort()
        let json =
            #"{"country_code": "46", "listener": {"port": \#(port), "domains": ["sms.test"], "hostname": "gw.test" \#(listenerExtra)} \#(extra)}"#
        let plugin = try host.makePlugin(EmailPlugin.self, configuration: json)
        try await plugin.start()
        return (plugin, port)
    }

    func phonebook() -> FakeHost {
        let host = FakeHost()
        host.addContact(name: "anna", number: "+46700000001", groups: ["oncall"])
        host.addContact(name: "bert", number: "+46700000002", groups: ["oncall"])
        return host
    }

    /// Runs a Python smtplib script against the listener; its output (and the exception, if any).
    func smtplib(_ port: Int, _ script: String) async throws -> String {
        let program = """
            import smtplib, sys
            s = smtplib.SMTP("127.0.0.1", \(port), timeout=20)
            try:
            \(script.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            except smtplib.SMTPResponseException as e:
                print("ERROR", e.smtp_code, e.smtp_error.decode())
            except smtplib.SMTPRecipientsRefused as e:
                print("REFUSED", e.recipients)
            """
        return try await MosquittoBroker.runDetached("/usr/bin/python3", ["-c", program]).output
    }

    @Test(
        "every recipient form: international, 00, national, without +, a contact, a group; 3 recipients give 3 numbers"
    )
    func recipientForms() async throws {
        let host = phonebook()
        let (plugin, port) = try await listener(host)
        defer { Task { await plugin.stop() } }
        // smtplib: swaks cannot give an address starting with +.
        let output = try await smtplib(
            port,
            #"""
            print(s.sendmail("nagios@monitor.test", ["+46701234567@sms.test", "0046701234568@SMS.test", "0701234569@sms.test"], "Subject: Disk full\r\n\r\n/var is at 98%\r\n"))
            print(s.quit())
            """#
        )
        #expect(output.contains("{}"), "\(output)")  // no recipient refused
        #expect(host.sent.count == 1)
        #expect(host.sent.first?.to == ["+46701234567", "+46701234568", "+46701234569"])
        #expect(host.sent.first?.text == "Disk full\n/var is at 98%")
        #expect(host.logs.contains { $0.message.contains("queued as SMS 1, 2, 3") })

        _ = try await Swaks.send(
            port: port,
            ["--from", "a@x.test", "--to", "46701234570@sms.test,anna@sms.test,oncall@sms.test", "--body", "x"]
        )
        // Names go to the host by name, so that the gateway's recipient policy (vacations, shifts,
        // each number once) applies to them; the numbers given stay numbers.
        #expect(host.sent.last?.to == ["+46701234570"])
        #expect(host.sent.last?.contacts == ["anna"])
        #expect(host.sent.last?.groups == ["oncall"])

        let unknown = try await Swaks.send(
            port: port,
            ["--from", "a@x.test", "--to", "nobody@sms.test", "--body", "x"]
        )
        #expect(unknown.transcript.contains("550 5.1.1 <nobody@sms.test>: nobody is not a number, contact or group"))
        #expect(host.sent.count == 2)
    }

    @Test("no open relay: another domain is refused at RCPT with 550, and nothing is sent")
    func noRelay() async throws {
        let host = phonebook()
        let (plugin, port) = try await listener(host)
        defer { Task { await plugin.stop() } }
        let result = try await Swaks.send(
            port: port,
            ["--from", "spam@evil.test", "--to", "victim@gmail.test", "--body", "buy"]
        )
        #expect(result.status != 0)
        #expect(result.transcript.contains("550 5.7.1 relaying denied: gmail.test is not a domain of this gateway"))
        #expect(host.sent.isEmpty)
        #expect(host.logs.contains { $0.message.contains("refused relaying") })
    }

    @Test("allowed senders: a sender no rule allows is refused at RCPT with the reason; an allowed domain passes")
    func senders() async throws {
        let host = phonebook()
        let (plugin, port) = try await listener(
            host,
            #", "email2sms": [{"name": "monitoring", "senders": ["@monitor.test", "ops@corp.test"], "subject": "ignore"}]"#
        )
        defer { Task { await plugin.stop() } }
        let refused = try await Swaks.send(
            port: port,
            ["--from", "mallory@corp.test", "--to", "0701234567@sms.test", "--body", "x"]
        )
        #expect(refused.transcript.contains("550 5.7.1 <mallory@corp.test> may not send SMS through this gateway"))
        let allowed = try await Swaks.send(
            port: port,
            [
                "--from", "zabbix@MONITOR.test", "--to", "0701234567@sms.test", "--header", "Subject: ignored",
                "--body", "PROBLEM: ping",
            ]
        )
        #expect(allowed.status == 0, "\(allowed.transcript)")
        #expect(host.sent.map(\.text) == ["PROBLEM: ping"])
    }

    @Test("a listener reachable from the network that any sender may use is warned about at start")
    func openListenerWarning() async throws {
        let warning = "lets any sender send SMS (a rule without senders, no require_auth)"
        for (listenerExtra, extra, warned) in [
            (#", "address": "0.0.0.0""#, "", true),
            (#", "address": "0.0.0.0""#, #", "email2sms": [{"name": "r", "senders": ["@example.test"]}]"#, false),
            // One open rule among restricted ones is enough.
            (
                #", "address": "0.0.0.0""#,
                #", "email2sms": [{"name": "a", "senders": ["@example.test"]}, {"name": "b"}]"#,
                true
            ),
            ("", "", false),  // loopback, the default
        ] {
            let host = FakeHost()
            let (plugin, _) = try await listener(host, extra, listenerExtra: listenerExtra)
            #expect(
                host.logs.contains { $0.level == .warning && $0.message.contains(warning) } == warned,
                "\(listenerExtra) \(extra): \(host.logs.map(\.message))"
            )
            await plugin.stop()
        }
    }

    @Test("subject parameters date= and modemno=, a stop phrase, the maximum length, Unicode")
    func rules() async throws {
        let host = phonebook()
        let (plugin, port) = try await listener(
            host,
            #", "email2sms": [{"name": "r", "stop_phrase": "-- ", "max_length": 20, "unicode": true}]"#
        )
        defer { Task { await plugin.stop() } }
        _ = try await Swaks.send(
            port: port,
            [
                "--from", "a@x.test", "--to", "0701234567@sms.test",
                "--header", "Subject: date=203001010805&modemno=2", "--body",
                "Pump 3 stopped\n-- \nACME Corp, confidential",
            ]
        )
        let sms = try #require(host.sent.first)
        #expect(sms.text == "Pump 3 stopped")
        #expect(sms.modemNo == 2)
        var components = DateComponents(year: 2030, month: 1, day: 1, hour: 8, minute: 5)
        components.timeZone = .current
        #expect(sms.date == Calendar(identifier: .gregorian).date(from: components))
        #expect(sms.unicode == true)

        _ = try await Swaks.send(
            port: port,
            [
                "--from", "a@x.test", "--to", "0701234567@sms.test", "--header", "Subject: S", "--body",
                String(repeating: "0123456789", count: 5),
            ]
        )
        #expect(host.sent.last?.text == "S\n012345678901234567")
        let bad = try await Swaks.send(
            port: port,
            ["--from", "a@x.test", "--to", "0701234567@sms.test", "--header", "Subject: date=tomorrow", "--body", "x"]
        )
        #expect(bad.transcript.contains("550 5.6.0 subject: 'date=tomorrow' is not date=YYYYmmDDHHMM"))
    }

    @Test(
        "MIME: quoted-printable ISO-8859-1, base64 UTF-8, Windows-1252, an encoded-word subject, HTML only, multipart/alternative"
    )
    func mime() async throws {
        let host = phonebook()
        let (plugin, port) = try await listener(host)
        defer { Task { await plugin.stop() } }
        let mails = [
            (
                "Subject: =?ISO-8859-1?Q?R=E4ksm=F6rg=E5s?=\nMIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nTemperatur =F6ver 30=B0C i k=E4llaren, larm=\n aktivt\n",
                "Räksmörgås\nTemperatur över 30°C i källaren, larm aktivt"
            ),
            (
                "Subject: =?UTF-8?B?w4RsdsOkbGcgaSBrw7Zr?=\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
                    + Data("Ölen är slut – 🍺".utf8).base64EncodedString() + "\n",
                "Älvälg i kök\nÖlen är slut – 🍺"
            ),
            (
                "Subject: cp1252\nMIME-Version: 1.0\nContent-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable\n\n=93Quoted=94 =80 5 =96 done\n",
                "cp1252\n“Quoted” € 5 – done"
            ),
            (
                "Subject: html\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<html><head><style>p{color:red}</style></head><body><p>Server <b>db1</b> is&nbsp;down</p><p>Since 08:00 &amp; counting</p><script>alert(1)</script></body></html>\n",
                "html\nServer db1 is down\nSince 08:00 & counting"
            ),
            (
                "Subject: alt\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\nplain wins\n--b1\nContent-Type: text/html\n\n<p>html loses</p>\n--b1--\n",
                "alt\nplain wins"
            ),
        ]
        for (mail, _) in mails {
            let data = "From: a@x.test\nTo: 0701234567@sms.test\n" + mail
            let result = try await Swaks.send(
                port: port,
                ["--from", "a@x.test", "--to", "0701234567@sms.test", "--data", "-"],
                input: data
            )
            #expect(result.status == 0, "\(result.transcript)")
        }
        #expect(host.sent.map(\.text) == mails.map(\.1))
    }

    @Test("SMTP smuggling: a bare LF in DATA is refused with 521, the connection closed, the smuggled mail never sent")
    func smuggling() async throws {
        let host = phonebook()
        let (plugin, port) = try await listener(host)
        defer { Task { await plugin.stop() } }
        let output = try await smtplib(
            port,
            #"""
            s.ehlo("x.test")
            s.mail("a@x.test")
            s.rcpt("0701234567@sms.test")
            s.putcmd("DATA")
            print(s.getreply())
            s.send(b"Subject: one\r\n\r\nfirst\n.\nMAIL FROM:<a@x.test>\r\nRCPT TO:<0709999999@sms.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nsecond\r\n.\r\n")
            print(s.getreply())
            """#
        )
        #expect(output.contains("521"), "\(output)")
        #expect(output.contains("bare <CR> or <LF>"), "\(output)")
        #expect(host.sent.isEmpty)
        #expect(host.logs.contains { $0.message.contains("SMTP smuggling?") })
    }

    @Test(
        "size: SIZE= above the limit is refused at MAIL, a larger body at the end of DATA; the listener keeps serving"
    )
    func size() async throws {
        let host = phonebook()
        let (plugin, port) = try await listener(host, listenerExtra: #", "max_size": 2048"#)
        defer { Task { await plugin.stop() } }
        let output = try await smtplib(
            port,
            #"""
            s.ehlo("x.test")
            print(s.esmtp_features.get("size"))
            print(s.mail("a@x.test", ["SIZE=100000"]))
            s.rset()
            print(s.mail("a@x.test"))  # no SIZE=: the limit is found while reading DATA
            print(s.rcpt("0701234567@sms.test"))
            print(s.data("Subject: big\r\n\r\n" + "x" * 5000))
            """#
        )
        #expect(output.contains("2048"))
        #expect(output.contains("552"), "\(output)")
        #expect(output.contains("5.3.4 message exceeds the limit of 2048 bytes"), "\(output)")
        #expect(host.sent.isEmpty)
        let after = try await Swaks.send(
            port: port,
            ["--from", "a@x.test", "--to", "0701234567@sms.test", "--body", "small"]
        )
        #expect(after.status == 0)
        #expect(host.sent.count == 1)
    }

    @Test(
        "250 only after the commit: a store failure answers 451 and sends nothing; the retry is sent once; the same mail again is not sent twice"
    )
    func acknowledgement() async throws {
        let host = phonebook()
        let (plugin, port) = try await listener(host)
        defer { Task { await plugin.stop() } }
        let mail = "From: a@x.test\nTo: 0701234567@sms.test\nMessage-ID: <alarm-1@x.test>\nSubject: alarm\n\nboiler\n"
        host.failRequests(with: PluginError(.unavailable, "the store is unavailable"))
        let failed = try await Swaks.send(
            port: port,
            ["--from", "a@x.test", "--to", "0701234567@sms.test", "--data", "-"],
            input: mail
        )
        #expect(failed.transcript.contains("451 4.3.0 not queued, try again later"), "\(failed.transcript)")
        #expect(host.sent.isEmpty)
        host.failRequests(with: nil)
        let retried = try await Swaks.send(
            port: port,
            ["--from", "a@x.test", "--to", "0701234567@sms.test", "--data", "-"],
            input: mail
        )
        #expect(retried.status == 0)
        // The client did not see the 250 (say the connection broke) and sends the same mail again.
        let again = try await Swaks.send(
            port: port,
            ["--from", "a@x.test", "--to", "0701234567@sms.test", "--data", "-"],
            input: mail
        )
        #expect(again.transcript.contains("queued as SMS 1"))
        #expect(host.sent.count == 1)
    }

    @Test("Pixie: the sender and password in the subject, a file of numbers to sms@; a wrong password is refused")
    func pixie() async throws {
        let host = phonebook()
        let (plugin, port) = try await listener(
            host,
            #", "email2sms": [{"name": "pixie", "dialect": "pixie", "passwords": [{"sender": "anders_b@corp.test", "password": "iSj4Slf9"}]}]"#
        )
        defer { Task { await plugin.stop() } }
        let ok = try await Swaks.send(
            port: port,
            [
                "--from", "anders_b@corp.test", "--to", "071243355@sms.test", "--header", "Subject: Anders iSj4Slf9",
                "--body", "Möte 14:00",
            ]
        )
        #expect(ok.status == 0, "\(ok.transcript)")
        #expect(host.sent.first?.to == ["+4671243355"])
        #expect(host.sent.first?.text == "Möte 14:00")
        let wrong = try await Swaks.send(
            port: port,
            [
                "--from", "anders_b@corp.test", "--to", "071243355@sms.test", "--header", "Subject: Anders guess",
                "--body", "x",
            ]
        )
        #expect(
            wrong.transcript.contains(
                "550 5.7.1 anders_b@corp.test must give its password as the last word of the subject"
            )
        )
        let long = try await Swaks.send(
            port: port,
            [
                "--from", "other@corp.test", "--to", "071243355@sms.test", "--header", "Subject: Räksmörgåsen",
                "--body", "x",
            ]
        )
        #expect(long.transcript.contains("up to 11 characters, without å, ä or ö"))

        let list = "+46701111111\n0702222222\n\n0046703333333\n"
        let withFile = try await Swaks.send(
            port: port,
            [
                "--from", "other@corp.test", "--to", "sms@sms.test", "--header", "Subject: Kansliet",
                "--body", "Stängt i morgon", "--attach-type", "text/plain", "--attach-name", "nummer.txt", "--attach",
                "-",
            ],
            input: list
        )
        #expect(withFile.status == 0, "\(withFile.transcript)")
        #expect(host.sent.last?.to == ["+46701111111", "+46702222222", "+46703333333"])
        #expect(host.sent.last?.text == "Stängt i morgon")
    }

    @Test(
        "STARTTLS with the configured certificate, then AUTH PLAIN; AUTH is not offered in plaintext; require_auth refuses the anonymous"
    )
    func startTLSAndAuth() async throws {
        let (cert, key) = try await selfSignedCertificate()
        let host = phonebook()
        let (plugin, port) = try await listener(
            host,
            listenerExtra:
                #", "tls": {"cert_file": "\#(cert)", "key_file": "\#(key)"}, "users": [{"username": "zabbix", "password": "s3cret"}], "require_auth": true"#
        )
        defer { Task { await plugin.stop() } }
        let anonymous = try await Swaks.send(
            port: port,
            ["--from", "a@x.test", "--to", "0701234567@sms.test", "--body", "x"]
        )
        #expect(anonymous.transcript.contains("530 5.7.0 authentication required"))
        #expect(!anonymous.transcript.contains("AUTH PLAIN"))
        let wrong = try await Swaks.send(
            port: port,
            [
                "--tls", "--auth", "PLAIN", "--auth-user", "zabbix", "--auth-password", "guess", "--from", "a@x.test",
                "--to", "0701234567@sms.test", "--body", "x",
            ]
        )
        #expect(wrong.transcript.contains("535 5.7.8 authentication failed"))
        let good = try await Swaks.send(
            port: port,
            [
                "--tls", "--auth", "PLAIN", "--auth-user", "zabbix", "--auth-password", "s3cret", "--from", "a@x.test",
                "--to", "0701234567@sms.test", "--header", "Subject: TLS", "--body", "over TLS",
            ]
        )
        #expect(good.status == 0, "\(good.transcript)")
        #expect(good.transcript.contains("AUTH PLAIN LOGIN"))
        #expect(host.sent.map(\.text) == ["TLS\nover TLS"])
        #expect(!host.logs.contains { $0.message.contains("s3cret") || $0.message.contains("guess") })
    }

    @Test(
        "AUTH goes through the gateway's failed-login limiter: after ten wrong passwords even the right one is refused"
    )
    func authIsLimited() async throws {
        let host = phonebook()
        let (plugin, port) = try await listener(
            host,
            listenerExtra: #", "users": [{"username": "zabbix", "password": "s3cret"}], "require_auth": true"#
        )
        defer { Task { await plugin.stop() } }
        func attempt(_ password: String) async throws -> String {
            try await Swaks.send(
                port: port,
                [
                    "--auth", "PLAIN", "--auth-user", "zabbix", "--auth-password", password, "--from", "a@x.test",
                    "--to", "0701234567@sms.test", "--body", "x",
                ]
            )
            .transcript
        }
        for guess in 0..<FakeHost.failedLoginLimit {
            let transcript = try await attempt("guess\(guess)")
            #expect(transcript.contains("535 5.7.8 authentication failed"), "\(transcript)")
        }
        let right = try await attempt("s3cret")
        #expect(right.contains("454 4.7.0 too many failed attempts"), "\(right)")
        #expect(host.sent.isEmpty)
    }

    @Test(
        "STARTTLS injection: commands pipelined in plaintext behind STARTTLS are dropped, not run inside the TLS session"
    )
    func startTLSInjection() async throws {
        let (cert, key) = try await selfSignedCertificate()
        let host = phonebook()
        let (plugin, port) = try await listener(
            host,
            listenerExtra: #", "tls": {"cert_file": "\#(cert)", "key_file": "\#(key)"}"#
        )
        defer { Task { await plugin.stop() } }
        let program = #"""
            import socket, ssl
            sock = socket.create_connection(("127.0.0.1", \#(port)), timeout=10)
            def reply(f):
                lines = []
                while True:
                    line = f.readline().decode()
                    lines.append(line.strip())
                    if line[3:4] != "-":
                        return lines
            f = sock.makefile("rb")
            reply(f)
            sock.sendall(b"EHLO x.test\r\n"); reply(f)
            sock.sendall(b"STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n")
            print("STARTTLS", reply(f))
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            tls = context.wrap_socket(sock)
            f = tls.makefile("rb")
            tls.sendall(b"EHLO x.test\r\n"); print("EHLO", reply(f))
            tls.sendall(b"RCPT TO:<0701234567@sms.test>\r\n"); print("RCPT", reply(f))
            """#
        let output = try await MosquittoBroker.runDetached("/usr/bin/python3", ["-c", program]).output
        #expect(output.contains("STARTTLS ['220 2.0.0 ready to start TLS']"), "\(output)")
        #expect(output.contains("EHLO ['250-gw.test'"), "\(output)")
        #expect(output.contains("RCPT ['503 5.5.1 say MAIL first']"), "\(output)")
    }

    @Test("a burst of 200 mails from 4 clients at once: every one queued once; the rate is printed")
    func burst() async throws {
        let host = FakeHost()
        let (plugin, port) = try await listener(host)
        defer { Task { await plugin.stop() } }
        let program = #"""
            import smtplib, sys, threading, time
            def client(n):
                s = smtplib.SMTP("127.0.0.1", \#(port), timeout=30)
                for i in range(50):
                    s.sendmail("a@x.test", ["0701234567@sms.test"], "Subject: alarm\r\n\r\nclient %d mail %d\r\n" % (n, i))
                s.quit()
            start = time.monotonic()
            threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
            for t in threads: t.start()
            for t in threads: t.join()
            print("seconds %.3f" % (time.monotonic() - start))
            """#
        let output = try await MosquittoBroker.runDetached("/usr/bin/python3", ["-c", program]).output
        #expect(output.hasPrefix("seconds "), "\(output)")
        #expect(host.sent.count == 200)
        #expect(Set(host.sent.map(\.text)).count == 200)
        let seconds = Double(output.dropFirst(8).prefix { $0 != "\n" }) ?? 0
        print(
            "Email2SMS listener (debug build, FakeHost): 200 mails from 4 smtplib clients in \(seconds) s, \(Int(200 / max(seconds, 0.001))) mails/s"
        )
    }
}
