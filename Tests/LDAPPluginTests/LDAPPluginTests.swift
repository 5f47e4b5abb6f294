import Foundation
import SwiftletPluginSDK
import SwiftletPluginTestKit
import TestSupport
import Testing

@testable import LDAPPlugin

/// The plugin against a real slapd (TestSupport's `LDAPPeer`: memberof overlay, 5 entries per answer
/// for the service account, StartTLS and LDAPS with a CA of its own), with the SDK's FakeHost made
/// from the plugin's manifest as the gateway.
@Suite("LDAP directory against a real slapd")
struct LDAPPluginTests {
    init() {
        // As the gateway does (Gateway.run): libldap writes with write(2), and a server that went
        // away must be EPIPE for the plugin, not SIGPIPE for the process.
        signal(SIGPIPE, SIG_IGN)
    }

    static let manifest = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Plugins/LDAP/ldap.plugin.json").path

    /// The plugin for `peer` (StartTLS with its CA, the service account, paging by 3) with `extra` keys.
    func plugin(_ peer: LDAPPeer, host: FakeHost, url: String? = nil, _ extra: String = "") throws -> LDAPPlugin {
        let json = """
            {"url": "\(url ?? peer.url)", "ca_file": "\(peer.caFile)", "bind_dn": "\(LDAPPeer.service.dn)",
             "bind_password": "\(LDAPPeer.service.password)", "base_dn": "\(LDAPPeer.suffix)",
             "country_code": "46", "page_size": 3 \(extra)}
            """
        return try host.makePlugin(LDAPPlugin.self, configuration: json)
    }

    func started(_ peer: LDAPPeer, _ extra: String = "", url: String? = nil) async throws -> (LDAPPlugin, FakeHost) {
        let host = try FakeHost(manifest: Self.manifest)
        let ldap = try plugin(peer, host: host, url: url, extra)
        try await ldap.start()
        try await synced(host)
        return (ldap, host)
    }

    func synced(_ host: FakeHost, count: Int = 1) async throws {
        _ = try await eventually("synced; health: \(host.healthReports.map(\.detail))") {
            host.healthReports.filter { $0.health == .ok }.count >= count ? true : nil
        }
    }

    func numbers(_ ldap: LDAPPlugin, _ name: String) async throws -> Set<String>? {
        try await ldap.resolve(name).map { Set($0.numbers) }
    }

    @Test(
        "a sync over StartTLS reads everyone in pages past the server's size limit; a group reaches its members with numbers, nested and posix groups included, and the member without one is reported"
    )
    func syncAndResolve() async throws {
        let peer = try LDAPPeer()
        try await peer.start()
        let (ldap, host) = try await started(peer)
        defer { Task { await ldap.stop() } }
        // anna, bertil (national, made +46), david (no number), and escalation's erik and cecilia
        // (telephoneNumber with a trunk "(0)").
        #expect(
            try await numbers(ldap, "oncall") == ["+46701111111", "+46702222222", "+46705555555", "+46703333333"]
        )
        #expect(try await numbers(ldap, "OnCall") == (try await numbers(ldap, "oncall")))
        #expect(try await numbers(ldap, "everyone")?.count == LDAPPeer.fillers)
        #expect(try await numbers(ldap, "ops") == ["+46705555555", "+46701111111"])
        // People by login and by mail address.
        #expect(try await numbers(ldap, "anna") == ["+46701111111"])
        #expect(try await numbers(ldap, "erik@example.test") == ["+46705555555"])
        #expect(try await ldap.resolve("nobody-of-that-name") == nil)
        let warnings = host.logs.filter { $0.level == .warning }.map(\.message)
        #expect(warnings.contains { $0.contains("no usable number") && $0.contains("David Dahl") }, "\(warnings)")
        #expect(
            warnings.contains { $0.contains("directory group oncall: 1 of 5 members have no number") },
            "\(warnings)"
        )
        let groups = try await ldap.groups()
        #expect(groups.first { $0.name == "oncall" }?.members == 4)
        let health = try #require(host.healthReports.last)
        #expect(health.detail.contains("groups, \(LDAPPeer.named.count + LDAPPeer.fillers) people"), "\(health.detail)")
        // The sync is kept in the plugin's state.
        #expect(host.stateValues["snapshot"] == "1")
    }

    @Test("without paging the server's size limit stops the sync, and the health says so")
    func sizeLimitWithoutPaging() async throws {
        let peer = try LDAPPeer()
        try await peer.start()
        let host = try FakeHost(manifest: Self.manifest)
        let unpaged = try host.makePlugin(
            LDAPPlugin.self,
            configuration: """
                {"url": "\(peer.url)", "ca_file": "\(peer.caFile)", "bind_dn": "\(LDAPPeer.service.dn)",
                 "bind_password": "\(LDAPPeer.service.password)", "base_dn": "\(LDAPPeer.suffix)", "page_size": 0}
                """
        )
        try await unpaged.start()
        defer { Task { await unpaged.stop() } }
        let report = try await eventually("a health report") { host.healthReports.last }
        #expect(report.health == .down)
        #expect(report.detail.contains("Size limit exceeded"), "\(report.detail)")
    }

    @Test("names with filter syntax are values: they find nothing, in groups, people and logins")
    func injection() async throws {
        let peer = try LDAPPeer()
        try await peer.start()
        let (ldap, _) = try await started(peer, #", "logins": {"enabled": true, "default_role": "user"}"#)
        defer { Task { await ldap.stop() } }
        for name in ["*)(uid=*", "*", "onc*", "oncall)(cn=*", "oncall\\", "oncall\0", "*)(|(cn=*"] {
            #expect(try await ldap.resolve(name) == nil, "\(name)")
        }
        #expect(try await ldap.verify(login: "*", password: "anna-pw-1")?.valid == false)
        #expect(try await ldap.verify(login: "anna)(uid=*", password: "anna-pw-1")?.valid == false)
        #expect(LDAPEscaping.filterValue("*)(uid=*") == #"\2A\29\28uid=\2A"#)
        #expect(LDAPEscaping.filterValue("a\\b\0") == #"a\5Cb\00"#)
    }

    @Test("a group added after the sync is looked up live, with its members")
    func liveLookup() async throws {
        let peer = try LDAPPeer()
        try await peer.start()
        let (ldap, host) = try await started(peer)
        defer { Task { await ldap.stop() } }
        try await peer.modify(
            """
            dn: cn=night,ou=groups,\(LDAPPeer.suffix)
            objectClass: groupOfNames
            cn: night
            member: uid=erik,ou=people,\(LDAPPeer.suffix)
            member: cn=escalation,ou=groups,\(LDAPPeer.suffix)

            """,
            add: true
        )
        #expect(try await numbers(ldap, "night") == ["+46705555555", "+46703333333"])
        #expect(host.logs.contains { $0.message.contains("'night' looked up in the directory") })

        // The next sync says what changed.
        try await peer.modify(
            """
            dn: cn=oncall,ou=groups,\(LDAPPeer.suffix)
            changetype: modify
            delete: member
            member: uid=bertil,ou=people,\(LDAPPeer.suffix)

            """
        )
        await ldap.handle(Event(kind: LDAPPlugin.syncKind, json: Data("{}".utf8)))
        let changes = host.logs.map(\.message).filter { $0.hasPrefix("directory sync: ") }
        #expect(changes.contains("directory sync: group night added (2 members)"), "\(changes)")
        #expect(
            changes.contains("directory sync: group oncall: left uid=bertil,ou=people,\(LDAPPeer.suffix)"),
            "\(changes)"
        )
        #expect(try await numbers(ldap, "oncall")?.contains("+46702222222") == false)
    }

    @Test(
        "LDAPS with the directory's CA works; a certificate for another host name and one from another CA are refused"
    )
    func tls() async throws {
        let peer = try LDAPPeer()
        try await peer.start()
        let (ldaps, _) = try await started(peer, url: peer.ldapsURL)
        await ldaps.stop()
        // A server that is not there is not taken for a TLS failure.
        let absent = try FakeHost(manifest: Self.manifest)
        let nowhere = try plugin(peer, host: absent, url: "ldaps://127.0.0.1:\(MosquittoBroker.freePort())")
        try await nowhere.start()
        let gone = try await eventually("a health report") { absent.healthReports.last }
        #expect(gone.health == .down && gone.detail.contains("Can't contact LDAP server"), "\(gone.detail)")
        #expect(!gone.detail.contains("TLS"), "\(gone.detail)")
        await nowhere.stop()
        let wrong = try LDAPPeer(wrongHost: true)
        try await wrong.start()
        for (url, ca) in [(wrong.ldapsURL, wrong.caFile), (wrong.url, wrong.caFile), (peer.ldapsURL, wrong.caFile)] {
            let host = try FakeHost(manifest: Self.manifest)
            let refused = try host.makePlugin(
                LDAPPlugin.self,
                configuration: """
                    {"url": "\(url)", "ca_file": "\(ca)", "bind_dn": "\(LDAPPeer.service.dn)",
                     "bind_password": "\(LDAPPeer.service.password)", "base_dn": "\(LDAPPeer.suffix)"}
                    """
            )
            try await refused.start()
            let report = try await eventually("a health report for \(url)") { host.healthReports.last }
            #expect(report.health == .down, "\(url): \(report.detail)")
            #expect(report.detail.contains("the TLS handshake failed"), "\(url): \(report.detail)")
            await #expect(throws: PluginError.self) { try await refused.resolve("oncall") }
            await refused.stop()
        }
    }

    @Test(
        "the server stopped mid-run: the last sync is still used and the health says why; a restart while it is away starts from the kept sync; it syncs again when the server is back"
    )
    func serverAway() async throws {
        let peer = try LDAPPeer()
        try await peer.start()
        let (ldap, host) = try await started(peer)
        peer.stop()
        await ldap.handle(Event(kind: LDAPPlugin.syncKind, json: Data("{}".utf8)))
        let report = try #require(host.healthReports.last)
        #expect(report.health == .degraded)
        #expect(report.detail.contains("directory unreachable"), "\(report.detail)")
        #expect(try await numbers(ldap, "oncall")?.count == 4)
        await #expect(throws: PluginError.self) { try await ldap.resolve("not-synced") }
        await ldap.stop()

        // A new instance on the same state (the gateway restarted) while the server is still away.
        let restarted = try FakeHost(manifest: Self.manifest)
        for (key, value) in host.stateValues { try await restarted.setState(value, forKey: key) }
        let again = try plugin(peer, host: restarted)
        try await again.start()
        #expect(try await numbers(again, "oncall")?.count == 4)
        #expect(restarted.logs.contains { $0.message.hasPrefix("last sync of ") }, "\(restarted.logs)")
        try await peer.startDaemon()
        await again.handle(Event(kind: LDAPPlugin.syncKind, json: Data("{}".utf8)))
        // (The sync at start, while the server was away, may still be finishing: it is not run twice at once.)
        _ = try await eventually("synced again; health: \(restarted.healthReports.map(\.detail))") {
            restarted.healthReports.last?.health == .ok ? true : nil
        }
        await again.stop()
    }

    @Test(
        "logins: the directory password signs in with the role its groups give; a wrong or empty password, an unknown login and a person in no login group are refused"
    )
    func logins() async throws {
        let peer = try LDAPPeer()
        try await peer.start()
        let roles =
            #""admin_groups": ["swiftlet-admins", "late-admins"], "user_groups": ["escalation"], "read_only_groups": ["swiftlet-readers"]"#
        let (ldap, _) = try await started(peer, #", "logins": {"enabled": true, \#(roles)}"#)
        defer { Task { await ldap.stop() } }
        func role(_ login: String, _ password: String) async throws -> String? {
            let answer = try await ldap.verify(login: login, password: password)
            return answer?.valid == true ? answer?.role ?? "user" : nil
        }
        #expect(try await role("anna", "anna-pw-1") == "admin")
        #expect(try await role("bertil", "bertil-pw-1") == "read_only")
        #expect(try await role("cecilia", "cecilia-pw-1") == "user")  // escalation, nested in oncall
        #expect(try await role("david", "david-pw-1") == nil)  // in oncall only: no login group
        #expect(try await role("anna", "wrong") == nil)
        #expect(try await role("anna", "") == nil)
        #expect(try await role("nobody", "anna-pw-1") == nil)
        // A group made after the sync counts at once: the memberof overlay's memberOf, read at sign-in.
        try await peer.modify(
            """
            dn: cn=late-admins,ou=groups,\(LDAPPeer.suffix)
            objectClass: groupOfNames
            cn: late-admins
            member: uid=erik,ou=people,\(LDAPPeer.suffix)

            """,
            add: true
        )
        #expect(try await role("erik", "erik-pw-1") == "admin")

        // Bound by a DN template: the login is escaped into the DN, so it cannot name another entry.
        let host = try FakeHost(manifest: Self.manifest)
        let template = try plugin(
            peer,
            host: host,
            #", "logins": {"enabled": true, "user_dn": "uid={login},ou=people,\#(LDAPPeer.suffix)", \#(roles)}"#
        )
        #expect(try await template.verify(login: "anna", password: "anna-pw-1")?.role == "admin")
        let sneaky = try await template.verify(login: "anna,ou=people", password: "anna-pw-1")
        #expect(sneaky?.valid == false)
        #expect(LDAPEscaping.dnValue("anna,ou=people") == #"anna\,ou\=people"#)
        #expect(LDAPEscaping.dnValue(" #a ") == #"\ #a\ "#)
    }

    @Test("the configuration refuses plaintext with a password to another host, and filters without parentheses")
    func configuration() throws {
        let host = try FakeHost(manifest: Self.manifest)
        func refusal(_ json: String) -> String? {
            do {
                _ = try host.makePlugin(LDAPPlugin.self, configuration: json)
                return nil
            } catch {
                return "\(error)"
            }
        }
        let base = #""base_dn": "dc=x", "bind_dn": "cn=a,dc=x", "bind_password": "pw""#
        #expect(
            refusal(#"{"url": "ldap://ldap.example.com", "tls": "none", \#(base)}"#)?.contains("allow_plaintext")
                == true
        )
        #expect(
            refusal(#"{"url": "ldap://ldap.example.com", "tls": "none", "allow_plaintext": true, \#(base)}"#)?
                .contains("in clear to ldap.example.com") == true
        )
        #expect(refusal(#"{"url": "ldap://127.0.0.1:389", "tls": "none", "allow_plaintext": true, \#(base)}"#) == nil)
        #expect(refusal(#"{"url": "ldaps://h", "user_filter": "objectClass=person", \#(base)}"#) != nil)
        #expect(refusal(#"{"url": "http://h", \#(base)}"#)?.contains("not an ldap://") == true)
        #expect(refusal(#"{"url": "ldaps://h", "base_dn": "dc=x", "bind_dn": "cn=a,dc=x"}"#) != nil)
    }
}
