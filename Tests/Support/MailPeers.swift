import Foundation

/// A real dovecot (IMAP and POP3) per test, on free loopback ports, its mail in a temporary
/// directory; user `gw` with password `gwpass`, and with `oauth2` an XOAUTH2 passdb that asks a
/// local authorisation server (oauth2_server.py) to introspect tokens.
public final class Dovecot: @unchecked Sendable {
    public let imapPort = MosquittoBroker.freePort()
    public let pop3Port = MosquittoBroker.freePort()
    /// With `tls`: IMAP and POP3 over TLS (`imaps://`, `pop3s://`) on these ports, beside the plain ones.
    public let imapsPort = MosquittoBroker.freePort()
    public let pop3sPort = MosquittoBroker.freePort()
    public let directory: String
    public let user = "gw"
    public let password = "gwpass"
    /// The OAuth2 server, when started with oauth2: its token URL, refresh token and request log.
    public private(set) var oauth2: (tokenURL: String, refreshToken: String, log: String)?
    private var process: DaemonProcess?
    private var authServer: DaemonProcess?

    /// - Parameter tls: a certificate and key (`selfSignedCertificate()`) to serve IMAPS and POP3S with.
    public init(oauth2: Bool = false, tls: (cert: String, key: String)? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dovecot-\(UUID().uuidString)").path
        for sub in ["run", "mail"] {
            try FileManager.default.createDirectory(atPath: "\(directory)/\(sub)", withIntermediateDirectories: true)
        }
        try FileManager.default.setAttributes(
            [.ownerAccountName: "nobody", .groupOwnerAccountName: "nogroup"],
            ofItemAtPath: "\(directory)/mail"
        )
        try "\(user):{PLAIN}\(password)\n".write(toFile: "\(directory)/users", atomically: true, encoding: .utf8)
        var mechanisms = "plain login"
        var oauthPassdb = ""
        if oauth2 {
            let port = MosquittoBroker.freePort()
            let refresh = "rt-initial-\(UUID().uuidString.prefix(8))"
            let log = "\(directory)/oauth2.log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            authServer = try DaemonProcess(
                "/usr/bin/python3",
                [Self.script("oauth2_server.py"), String(port), user, refresh, log],
                errors: "\(directory)/oauth2.err"
            )
            self.oauth2 = ("http://127.0.0.1:\(port)/token", refresh, log)
            try """
            introspection_mode = post
            introspection_url = http://127.0.0.1:\(port)/introspect
            username_attribute = username
            active_attribute = active
            active_value = true
            """.write(toFile: "\(directory)/oauth2.conf.ext", atomically: true, encoding: .utf8)
            mechanisms += " xoauth2 oauthbearer"
            oauthPassdb = """
                passdb {
                  driver = oauth2
                  mechanisms = xoauth2 oauthbearer
                  args = \(directory)/oauth2.conf.ext
                }
                """
        }
        try """
        protocols = imap pop3
        listen = 127.0.0.1
        base_dir = \(directory)/run
        state_dir = \(directory)/run/state
        log_path = \(directory)/dovecot.log
        \(tls.map { "ssl = yes\nssl_cert = <\($0.cert)\nssl_key = <\($0.key)" } ?? "ssl = no")
        disable_plaintext_auth = no
        auth_mechanisms = \(mechanisms)
        mail_location = maildir:\(directory)/mail/%u/Maildir
        first_valid_uid = 1
        passdb {
          driver = passwd-file
          mechanisms = plain login
          args = scheme=PLAIN username_format=%u \(directory)/users
        }
        \(oauthPassdb)
        userdb {
          driver = static
          args = uid=nobody gid=nogroup home=\(directory)/mail/%u
        }
        service imap-login {
          inet_listener imap {
            port = \(imapPort)
          }
          inet_listener imaps {
            port = \(tls == nil ? 0 : imapsPort)
          }
        }
        service pop3-login {
          inet_listener pop3 {
            port = \(pop3Port)
          }
          inet_listener pop3s {
            port = \(tls == nil ? 0 : pop3sPort)
          }
        }
        """.write(toFile: "\(directory)/dovecot.conf", atomically: true, encoding: .utf8)
    }

    deinit {
        process?.stopInBackground()
        authServer?.stopInBackground()
    }

    /// Starts dovecot and waits (up to 30 s: several peers starting at once on two loaded cores
    /// took over 10 s in CI) until IMAP answers.
    public func start() async throws {
        process = try DaemonProcess("/usr/sbin/dovecot", ["-F", "-c", "\(directory)/dovecot.conf"])
        _ = try await eventually(timeout: .seconds(30), "dovecot on \(imapPort); its log:\n\(log)") {
            (try? await imap("NOOP")) != nil ? true : nil
        }
    }

    /// Stops dovecot and waits for it (about 3 s): call it from a thread of your own, not a task.
    public func stop() {
        process?.stop()
        process = nil
    }

    public var log: String { (try? String(contentsOfFile: "\(directory)/dovecot.log", encoding: .utf8)) ?? "" }

    /// Runs IMAP commands as `gw` with Python's imaplib (a real client); returns their printed answers.
    @discardableResult
    public func imap(_ script: String) async throws -> String {
        let program = """
            import imaplib, sys
            m = imaplib.IMAP4("127.0.0.1", \(imapPort))
            m.login("\(user)", "\(password)")
            m.select("INBOX")
            \(script == "NOOP" ? "m.noop()" : script)
            m.logout()
            """
        let result = try await MosquittoBroker.runDetached("/usr/bin/python3", ["-c", program])
        guard result.status == 0 else { throw TestFailure("imaplib: \(result.output)") }
        return result.output
    }

    /// Puts a mail into INBOX, unread (IMAP APPEND with no flags).
    public func deliver(_ mail: String) async throws {
        let path = "\(directory)/append-\(UUID().uuidString).eml"
        try mail.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        try await imap(#"print(m.append("INBOX", "", None, open("\#(path)", "rb").read()))"#)
    }

    /// Every mail in INBOX: its UID and flags (`\Seen`, `\Deleted`, keywords), expunged ones gone.
    public func flags() async throws -> [Int: Set<String>] {
        let output = try await imap(
            #"""
            typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
            for line in data:
                if line: print(line.decode())
            """#
        )
        var result: [Int: Set<String>] = [:]
        for line in output.split(separator: "\n") {
            guard let uidRange = line.range(of: "UID "), let open = line.range(of: "FLAGS ("),
                let close = line[open.upperBound...].firstIndex(of: ")"),
                let uid = Int(line[uidRange.upperBound...].prefix { $0.isNumber })
            else { throw TestFailure("Dovecot.flags(): cannot read the FETCH answer line '\(line)' in:\n\(output)") }
            result[uid] = Set(line[open.upperBound..<close].split(separator: " ").map(String.init))
        }
        return result
    }

    static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(name).path
    }
}

/// A real SMTP server that keeps what it receives (aiosmtpd through smtp_sink.py).
public final class SMTPSink: @unchecked Sendable {
    public let port = MosquittoBroker.freePort()
    public let directory: String
    private var process: DaemonProcess?
    private let arguments: [String]

    /// `starttls`: (certificate, key) required before MAIL; `auth`: "user:password" (after STARTTLS).
    public init(starttls: (cert: String, key: String)? = nil, auth: String? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sink-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/mail", withIntermediateDirectories: true)
        var arguments = [Dovecot.script("smtp_sink.py"), String(port), directory + "/mail"]
        if let starttls { arguments += ["--starttls", starttls.cert, starttls.key] }
        if let auth { arguments += ["--auth", auth] }
        self.arguments = arguments
    }

    deinit { process?.stopInBackground() }

    public func start() async throws {
        let output = "\(directory)/out-\(UUID().uuidString)"
        process = try DaemonProcess("/usr/bin/python3", arguments, output: output, errors: directory + "/errors")
        _ = try await eventually(timeout: .seconds(30), "the SMTP sink ready; \(errors)") {
            ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains("ready") ? true : nil
        }
    }

    public func stop() {
        process?.stop()
        process = nil
    }

    public var errors: String { (try? String(contentsOfFile: directory + "/errors", encoding: .utf8)) ?? "" }

    /// The mails received, oldest first, as sent (with X-Envelope-From and X-Envelope-To first).
    public var mails: [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/mail")) ?? [])
            .filter { $0.hasSuffix(".eml") }.sorted()
        return names.compactMap { try? String(contentsOfFile: "\(directory)/mail/\($0)", encoding: .utf8) }
    }
}

/// swaks (Debian's swaks), the SMTP client admins test with.
public enum Swaks {
    /// Runs swaks against 127.0.0.1:`port` with `arguments`; its status and its transcript.
    public static func send(
        port: Int,
        _ arguments: [String],
        input: String? = nil
    ) async throws -> (status: Int32, transcript: String) {
        let result = try await MosquittoBroker.runDetached(
            "/usr/bin/swaks",
            ["--server", "127.0.0.1:\(port)", "--timeout", "20", "--hide-informational"] + arguments,
            input: input
        )
        return (result.status, result.output)
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost, made with openssl: (certificate, key).
/// In a new temporary directory.
public func selfSignedCertificate() async throws -> (cert: String, key: String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let cert = directory + "/self.pem"
    let key = directory + "/self.key"
    let result = try await MosquittoBroker.runDetached(
        "/usr/bin/openssl",
        [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert,
        ]
    )
    guard result.status == 0 else { throw TestFailure("openssl: \(result.output)") }
    return (cert, key)
}
