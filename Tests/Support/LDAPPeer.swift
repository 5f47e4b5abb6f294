import Foundation

/// A real OpenLDAP slapd on loopback (../shared/TEST-PEERS.md) with the test directory: people with
/// mobile numbers (one without any), groups (one nested in another, a posixGroup), the `memberof`
/// overlay, ACLs that let only the service account read numbers, a size limit of 5 entries per
/// answer for the service account (so only paged searches see everyone, as with Active Directory's
/// MaxPageSize), StartTLS and LDAPS with a CA of its own, and — when asked — a certificate for the
/// wrong host name. Stopped by PID.
public final class LDAPPeer: @unchecked Sendable {
    // @unchecked: used by one test at a time.
    public let port: Int
    public let tlsPort: Int
    public let directory: String
    public static let suffix = "dc=example,dc=test"
    public static let service = (dn: "cn=swiftlet,ou=service,dc=example,dc=test", password: "svc-secret-1")
    /// Filler people beyond the named ones, so the people search spans several pages of 5.
    public static let fillers = 12
    private let wrongHost: Bool
    private var daemon: DaemonProcess?

    public var caFile: String { directory + "/ca.pem" }
    public var url: String { "ldap://127.0.0.1:\(port)" }
    public var ldapsURL: String { "ldaps://127.0.0.1:\(tlsPort)" }

    /// `wrongHost`: serve a certificate (of the same CA) made for `wrong.example.test`.
    public init(wrongHost: Bool = false) throws {
        self.wrongHost = wrongHost
        port = MosquittoBroker.freePort()
        tlsPort = MosquittoBroker.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("slapd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/db", withIntermediateDirectories: true)
    }

    deinit {
        daemon?.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Makes the certificates, loads the directory and starts slapd; waits (up to 30 s) until it answers.
    public func start() async throws {
        try await makeCertificates()
        let service = Self.service
        try """
        include /etc/ldap/schema/core.schema
        include /etc/ldap/schema/cosine.schema
        include /etc/ldap/schema/inetorgperson.schema
        include /etc/ldap/schema/nis.schema
        modulepath /usr/lib/ldap
        moduleload back_mdb
        moduleload memberof
        pidfile \(directory)/slapd.pid
        TLSCACertificateFile \(caFile)
        TLSCertificateFile \(directory)/\(wrongHost ? "wrong" : "server").pem
        TLSCertificateKeyFile \(directory)/\(wrongHost ? "wrong" : "server").key
        database mdb
        suffix "\(Self.suffix)"
        rootdn "cn=admin,\(Self.suffix)"
        rootpw admin-secret
        directory \(directory)/db
        index cn,uid,mobile,mail,member,memberUid eq
        limits dn.exact="\(service.dn)" size.soft=5 size.hard=5 size.pr=5 size.prtotal=unlimited
        access to attrs=userPassword by anonymous auth by self =xw by * none
        access to * by dn.exact="\(service.dn)" read by self read by * none
        overlay memberof

        """.write(toFile: directory + "/slapd.conf", atomically: true, encoding: .utf8)
        try Self.people.write(toFile: directory + "/people.ldif", atomically: true, encoding: .utf8)
        let added = try await MosquittoBroker.runDetached(
            "/usr/sbin/slapadd",
            ["-f", directory + "/slapd.conf", "-l", directory + "/people.ldif"]
        )
        guard added.status == 0 else { throw TestFailure("slapadd: \(added.output)") }
        try await startDaemon()
        // Groups are added online, so that the memberof overlay writes each member's memberOf.
        try await modify(Self.groups, add: true)
    }

    /// Starts slapd again (after `stop`) and waits until it answers.
    public func startDaemon() async throws {
        daemon = try DaemonProcess(
            "/usr/sbin/slapd",
            ["-f", directory + "/slapd.conf", "-h", "\(url)/ \(ldapsURL)/", "-d", "0"],
            errors: directory + "/slapd.log"
        )
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let probe = try await MosquittoBroker.runDetached(
                "/usr/bin/ldapsearch",
                ["-x", "-H", url, "-b", "", "-s", "base", "-o", "nettimeout=1"]
            )
            if probe.status == 0 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("slapd did not answer on \(url)\n--- log ---\n\(log)")
    }

    /// Stops slapd (SIGKILL: gone at once, as a crashed or unplugged server is).
    public func stop() {
        daemon?.stop()
        daemon = nil
    }

    public var log: String { (try? String(contentsOfFile: directory + "/slapd.log", encoding: .utf8)) ?? "" }

    /// Applies `ldif` as the directory's administrator: entries added (`add`), or changes.
    public func modify(_ ldif: String, add: Bool = false) async throws {
        let result = try await MosquittoBroker.runDetached(
            "/usr/bin/ldapmodify",
            ["-x", "-H", url, "-D", "cn=admin,\(Self.suffix)", "-w", "admin-secret"] + (add ? ["-a"] : []),
            input: ldif
        )
        guard result.status == 0 else { throw TestFailure("ldapmodify: \(result.output)") }
    }

    private func makeCertificates() async throws {
        func run(_ arguments: [String]) async throws {
            let result = try await MosquittoBroker.runDetached("/usr/bin/openssl", arguments)
            guard result.status == 0 else { throw TestFailure("openssl \(arguments.first ?? ""): \(result.output)") }
        }
        try await run([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=Swiftlet LDAP test CA", "-keyout", directory + "/ca.key", "-out", caFile,
        ])
        for (name, subject, san) in [
            ("server", "127.0.0.1", "IP:127.0.0.1,DNS:localhost"),
            ("wrong", "wrong.example.test", "DNS:wrong.example.test"),
        ] {
            try await run([
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=\(subject)",
                "-keyout", directory + "/\(name).key", "-out", directory + "/\(name).csr",
            ])
            try "subjectAltName=\(san)\n".write(toFile: directory + "/\(name).ext", atomically: true, encoding: .utf8)
            try await run([
                "x509", "-req", "-in", directory + "/\(name).csr", "-CA", caFile, "-CAkey", directory + "/ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", directory + "/\(name).ext", "-out",
                directory + "/\(name).pem",
            ])
        }
    }

    /// The people of the test directory: uid, name, number attributes, password.
    public static let named: [(uid: String, name: String, phone: String?, password: String)] = [
        ("anna", "Anna Andersson", "mobile: +46701111111", "anna-pw-1"),
        ("bertil", "Bertil Berg", "mobile: 070-222 22 22", "bertil-pw-1"),
        ("cecilia", "Cecilia Carlsson", "telephoneNumber: +46 (0)70 333 33 33", "cecilia-pw-1"),
        ("david", "David Dahl", nil, "david-pw-1"),
        ("erik", "Erik Ek", "mobile: +46705555555", "erik-pw-1"),
    ]

    static var people: String {
        var ldif = """
            dn: \(suffix)
            objectClass: dcObject
            objectClass: organization
            o: Example
            dc: example

            dn: ou=people,\(suffix)
            objectClass: organizationalUnit
            ou: people

            dn: ou=groups,\(suffix)
            objectClass: organizationalUnit
            ou: groups

            dn: ou=service,\(suffix)
            objectClass: organizationalUnit
            ou: service

            dn: \(service.dn)
            objectClass: person
            cn: swiftlet
            sn: service
            userPassword: \(service.password)


            """
        for person in named {
            ldif += """
                dn: uid=\(person.uid),ou=people,\(suffix)
                objectClass: inetOrgPerson
                uid: \(person.uid)
                cn: \(person.name)
                sn: \(person.name.split(separator: " ").last ?? "")
                displayName: \(person.name)
                mail: \(person.uid)@example.test
                userPassword: \(person.password)
                \(person.phone ?? "description: no number")


                """
        }
        for index in 1...fillers {
            let id = String(format: "%02d", index)
            ldif += """
                dn: uid=filler\(id),ou=people,\(suffix)
                objectClass: inetOrgPerson
                uid: filler\(id)
                cn: Filler \(id)
                sn: Filler
                mobile: +4670900\(String(format: "%04d", index))


                """
        }
        return ldif
    }

    static var groups: String {
        func dn(_ uid: String) -> String { "uid=\(uid),ou=people,\(suffix)" }
        let fillers = (1...Self.fillers).map { "member: \(dn(String(format: "filler%02d", $0)))" }.joined(
            separator: "\n"
        )
        return """
            dn: cn=escalation,ou=groups,\(suffix)
            objectClass: groupOfNames
            cn: escalation
            member: \(dn("erik"))
            member: \(dn("cecilia"))

            dn: cn=oncall,ou=groups,\(suffix)
            objectClass: groupOfNames
            cn: oncall
            member: \(dn("anna"))
            member: \(dn("bertil"))
            member: \(dn("david"))
            member: cn=escalation,ou=groups,\(suffix)

            dn: cn=swiftlet-admins,ou=groups,\(suffix)
            objectClass: groupOfNames
            cn: swiftlet-admins
            member: \(dn("anna"))

            dn: cn=swiftlet-readers,ou=groups,\(suffix)
            objectClass: groupOfNames
            cn: swiftlet-readers
            member: \(dn("bertil"))

            dn: cn=everyone,ou=groups,\(suffix)
            objectClass: groupOfNames
            cn: everyone
            \(fillers)

            dn: cn=ops,ou=groups,\(suffix)
            objectClass: posixGroup
            cn: ops
            gidNumber: 5000
            memberUid: erik
            memberUid: anna

            """
    }
}
