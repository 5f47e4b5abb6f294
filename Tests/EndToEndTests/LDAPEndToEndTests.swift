import Foundation
import TestSupport
import Testing

/// The built gateway with the `ldap` plugin against a real slapd (TestSupport's `LDAPPeer`, over
/// StartTLS with its CA): directory groups and people as recipients through mail, the APIs and
/// `plugins list`, and API logins checked by the directory with roles from its groups.
@Suite("End to end: LDAP directory")
struct LDAPEndToEndTests {
    /// A gateway with the ldap plugin (logins on) and the e-mail plugin's SMTP listener on `smtp`.
    func start(_ peer: LDAPPeer, smtp: Int) async throws -> (GatewayProcess, String) {
        let plugins = try stagedPluginDirectory()
        let gateway = try GatewayProcess()
        try await gateway.start(
            config: """
                plugin_directory: \(plugins)
                plugins:
                  ldap:
                    url: \(peer.url)
                    ca_file: \(peer.caFile)
                    bind_dn: \(LDAPPeer.service.dn)
                    bind_password: \(LDAPPeer.service.password)
                    base_dn: \(LDAPPeer.suffix)
                    country_code: "46"
                    page_size: 3
                    logins:
                      enabled: true
                      admin_groups: [swiftlet-admins]
                      read_only_groups: [swiftlet-readers]
                      user_groups: [escalation]
                  email:
                    country_code: "46"
                    listener:
                      port: \(smtp)
                      domains: [sms.test]
                rules:
                  - name: page
                    on: sms.incoming
                    if: {field: text, contains: PAGE}
                    then:
                      - send_sms: {contacts: [erik], groups: [escalation], text: "paged: {text}"}

                """
        )
        try await gateway.waitForLog("directory synced")
        try await gateway.waitForLog("SMTP listener on 127.0.0.1:\(smtp)")
        return (gateway, plugins)
    }

    /// An APIv1 call with login and password as form parameters, as SMSEagle's older clients send them.
    func apiv1(
        _ gateway: GatewayProcess,
        _ method: String,
        login: String,
        password: String,
        _ parameters: [(String, String)] = []
    ) async throws -> String {
        try await gateway.get("/index.php/http_api/\(method)", [("login", login), ("pass", password)] + parameters).body
    }

    @Test(
        "mail to oncall@ reaches every member with a number, nested group included; rules and the APIs name directory groups and people; plugins list shows the last sync"
    )
    func groupsAsRecipients() async throws {
        let peer = try LDAPPeer()
        try await peer.start()
        let smtp = MosquittoBroker.freePort()
        let (gateway, plugins) = try await start(peer, smtp: smtp)
        defer {
            gateway.stop()
            try? FileManager.default.removeItem(atPath: plugins)
        }
        let members: Set<String> = ["+46701111111", "+46702222222", "+46705555555", "+46703333333"]
        let sent = try await Swaks.send(
            port: smtp,
            ["--from", "noc@corp.test", "--to", "oncall@sms.test", "--header", "Subject: ALARM", "--body", "Pump 2"]
        )
        #expect(sent.status == 0, "\(sent.transcript)")
        let received = try await eventually("the on-call group's SMS on the simulated network") {
            let list = try gateway.simulatorReceived()
            return list.count >= members.count ? list : nil
        }
        #expect(Set(received.compactMap { $0["recipient"] as? String }) == members)
        #expect(gateway.log.contains("directory group oncall: 1 of 5 members have no number"), "\(gateway.log)")

        // A rule names a directory person as a contact and a directory group: each number once.
        try gateway.inject(from: "+46705550001", "PAGE boiler 3")
        let paged = try await eventually("the rule's SMS") {
            let list = try gateway.simulatorReceived().filter { ($0["text"] as? String)?.hasPrefix("paged:") == true }
            return list.count >= 2 ? list : nil
        }
        #expect(paged.compactMap { $0["recipient"] as? String }.sorted() == ["+46703333333", "+46705555555"])

        // The APIs that name groups and contacts by name: APIv1's groupname and contactname, and
        // APIv2's `to` (where SMSEagle's Alertmanager adapter puts group names).
        let api = try gateway.apiv1()
        let toGroup = try await api("send_togroup", [("groupname", "escalation"), ("message", "by APIv1 group")])
        #expect(toGroup.hasPrefix("OK; ID="), "\(toGroup)")
        let toContact = try await api("send_tocontact", [("contactname", "anna"), ("message", "by APIv1 contact")])
        #expect(toContact.hasPrefix("OK; ID="), "\(toContact)")
        let answer = try await gateway.apiv2(
            "POST",
            "/messages/sms",
            token: try gateway.createToken(user: "api"),
            json: ["to": ["ops"], "text": "by APIv2"]
        )
        #expect(answer.status == 200, "\(String(describing: answer.body))")
        let byAPI = try await eventually("the APIs' SMS") {
            let list = try gateway.simulatorReceived().filter { ($0["text"] as? String)?.hasPrefix("by API") == true }
            return list.count >= 5 ? list : nil
        }
        func recipients(_ text: String) -> [String] {
            byAPI.filter { $0["text"] as? String == text }.compactMap { $0["recipient"] as? String }.sorted()
        }
        #expect(recipients("by APIv1 group") == ["+46703333333", "+46705555555"])
        #expect(recipients("by APIv1 contact") == ["+46701111111"])
        #expect(recipients("by APIv2") == ["+46701111111", "+46705555555"])

        let listed = try GatewayProcess.run([
            "plugins", "list", "--data-dir", gateway.dataDirectory, "--config",
            gateway.dataDirectory + "-swiftlet.yaml",
        ])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("ok: last sync 20"), "\(listed.stdout)")
    }

    @Test(
        "APIv1 logins checked by the directory: an admin sends, a read-only member reads but may not send, a wrong password and a local user's name are refused"
    )
    func logins() async throws {
        let peer = try LDAPPeer()
        try await peer.start()
        let (gateway, plugins) = try await start(peer, smtp: MosquittoBroker.freePort())
        defer {
            gateway.stop()
            try? FileManager.default.removeItem(atPath: plugins)
        }
        let sent = try await apiv1(
            gateway,
            "send_sms",
            login: "anna",
            password: "anna-pw-1",
            [("to", "+46709999999"), ("message", "hello")]
        )
        #expect(sent.hasPrefix("OK; ID="), "\(sent)")
        #expect(
            try await apiv1(
                gateway,
                "send_sms",
                login: "anna",
                password: "wrong",
                [("to", "+46709999999"), ("message", "x")]
            ) == "Invalid login or password"
        )

        let refused = try await apiv1(
            gateway,
            "send_sms",
            login: "bertil",
            password: "bertil-pw-1",
            [("to", "+46709999999"), ("message", "x")]
        )
        #expect(refused == "No permission to use this method", "\(refused)")
        let read = try await apiv1(gateway, "get_queue_length", login: "bertil", password: "bertil-pw-1")
        #expect(Int(read) != nil, "\(read)")

        // A local user of the same name always wins: erik's directory password does not sign in as it.
        _ = try gateway.createToken(user: "erik")
        let local = try await apiv1(gateway, "get_queue_length", login: "erik", password: "erik-pw-1")
        #expect(local == "Invalid login or password", "\(local)")

        // The web interface signs in through the same check; its phonebook lists the directory's groups.
        let web = WebSession(gateway: gateway)
        defer { web.end() }
        let signIn = try await web.signIn("anna", "anna-pw-1")
        #expect(signIn.hasPrefix("303"), "\(signIn)")
        let phonebook = try await web.get("/phonebook")
        #expect(phonebook.contains("Directory groups"), "\(phonebook)")
        #expect(phonebook.contains("<td>oncall</td><td>ldap</td><td>4</td>"), "\(phonebook)")

        // The users the directory signed in are the gateway's users now, marked as the directory's.
        let users = try GatewayProcess.run(["user", "list", "--data-dir", gateway.dataDirectory])
        #expect(users.stdout.contains("\tanna\tadmin\t0 token(s)\tpassword of directory ldap\t*"), "\(users.stdout)")
        let bertil = try #require(users.stdout.split(separator: "\n").first { $0.contains("\tbertil\t") })
        #expect(bertil.contains("\tuser\t0 token(s)\tpassword of directory ldap\t"), "\(bertil)")
        #expect(bertil.contains("read_sms") && !bertil.contains("send_sms") && !bertil.hasSuffix("*"), "\(bertil)")
        // Neither a user's nor the service account's password is ever logged.
        #expect(!gateway.log.contains("anna-pw-1") && !gateway.log.contains(LDAPPeer.service.password))
    }
}
