import Foundation
import TestSupport
import Testing

/// The Python of `scripts/install-python-tools` (openapi-core, openapi-spec-validator, requests).
enum PythonTools {
    static var python: String {
        GatewayProcess.packageRoot.appendingPathComponent(".build/python-tools/bin/python").path
    }

    static func script(_ name: String) -> String {
        GatewayProcess.packageRoot.appendingPathComponent("Tests/Support/\(name)").path
    }
}

extension GatewayProcess {
    /// Adds an API user (all methods unless `methods` says otherwise) and returns a new token of it.
    func addUser(_ name: String, methods: String = "*", admin: Bool = false) throws -> String {
        var arguments = ["user", "add", "--data-dir", dataDirectory, name, "--methods", methods]
        if admin { arguments.append("--admin") }
        let result = try Self.run(arguments)
        #expect(result.status == 0, "user add failed: \(result.stderr)")
        return try createToken(user: name)
    }

    /// A JSON request with the token in the `access-token` header, as SMSEagle's APIv2 clients send it.
    func apiv2(
        _ method: String,
        _ path: String,
        token: String?,
        json: Any? = nil
    ) async throws -> (status: Int, body: Any?) {
        var arguments = ["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, baseURL + "/api/v2" + path]
        if let token { arguments += ["-H", "access-token: \(token)"] }
        if let json {
            let data = try JSONSerialization.data(withJSONObject: json)
            arguments += [
                "-H", "Content-Type: application/json", "--data-binary", String(decoding: data, as: UTF8.self),
            ]
        }
        let result = try await MosquittoBroker.runDetached("/usr/bin/curl", arguments)
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? 0
        let body = lines.dropLast().joined(separator: "\n")
        return (status, try? JSONSerialization.jsonObject(with: Data(body.utf8), options: .fragmentsAllowed))
    }

    /// Injects an SMS into the simulated modem, as the network would deliver it.
    func inject(from sender: String, _ text: String) throws {
        let result = try Self.run(["sim", "inject", "--url", baseURL, "--from", sender, text])
        #expect(result.status == 0, "sim inject failed: \(result.stderr)")
    }
}

@Suite("End to end: SMSEagle APIv2")
struct APIv2Tests {
    /// Token authentication is middleware on every token API: the document is public, every other
    /// route (under both APIv2 prefixes, Pixie's and the rules API) answers a missing or wrong token
    /// in its own format before any handler runs, and passes a valid one on.
    @Test func everyTokenAPIRefusesAndAdmitsAlike() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.addUser("ops")
        let admin = try gateway.addUser("root", admin: true)
        let base = gateway.baseURL
        for prefix in ["/api/v2", "/index.php/api/v2"] {
            #expect(try await gateway.get(prefix + "/openapi.json").status == 200, "\(prefix)")
            let none = try await gateway.curl("curl '\(base)\(prefix)/messages/inbox'")
            #expect(none.status == 401 && none.body.contains("An access token is required"), "\(prefix): \(none)")
            let wrong = try await gateway.curl("curl -H 'access-token: nope' '\(base)\(prefix)/messages/inbox'")
            #expect(wrong.status == 401 && wrong.body == #"{"message":"Invalid access token"}"#, "\(prefix): \(wrong)")
            let right = try await gateway.curl(
                "curl -H 'Authorization: Bearer \(token)' '\(base)\(prefix)/messages/inbox'"
            )
            // The handler's own answer: an empty inbox is "not found", as SMSEagle answers it.
            #expect(right.status == 404 && right.body.contains("Resource(s) not found"), "\(prefix): \(right)")
        }
        let pixie = try await gateway.curl("curl -X POST -d '{}' '\(base)/api/v2/sms'")
        #expect(pixie.status == 401 && pixie.body.contains("access token is required"), "\(pixie)")
        // The rules API: {"error": …}, the token also in the query, admins only.
        let rules = try await gateway.curl("curl '\(base)/swiftlet/v1/rules?access_token=nope'")
        #expect(rules.status == 401 && rules.body == #"{"error":"Invalid access token"}"#, "\(rules)")
        let user = try await gateway.curl("curl '\(base)/swiftlet/v1/rules?access_token=\(token)'")
        #expect(user.status == 403, "\(user)")
        let root = try await gateway.curl("curl -H 'access-token: \(admin)' '\(base)/swiftlet/v1/rules'")
        #expect(root.status == 200, "\(root)")
        let log = try String(contentsOfFile: gateway.logFile, encoding: .utf8)
        #expect(log.contains("api=rules API") && !log.contains(token), "the refusal is logged, the token is not")
    }

    @Test func everyAnswerIsAsTheOpenAPIDocumentSays() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let alice = try gateway.addUser("alice")
        let limited = try gateway.addUser("reader", methods: "read_sms")
        let admin = try gateway.addUser("root", admin: true)
        let api = APIv1Client(gateway: gateway, token: alice)
        let contact = try await api(
            "contact_create",
            [("contactname", "Anna"), ("number", "+48111222333"), ("public", "0")]
        )
        let group = try await api("group_create", [("groupname", "ops"), ("public", "0")])
        let contactID = String(contact.trimmingPrefix("OK; ID="))
        let groupID = String(group.trimmingPrefix("OK; ID="))
        #expect(try await api("group_addcontact", [("group_id", groupID), ("contact_id", contactID)]) == "OK")
        try gateway.inject(from: "+48999000111", "received before the check")
        try await eventually("the message in the inbox") {
            try await gateway.apiv2("GET", "/messages/inbox", token: alice).status == 200 ? true : nil
        }

        let result = try await MosquittoBroker.runDetached(
            "/usr/bin/env",
            [
                "CONTACT_ID=\(contactID)", "GROUP_ID=\(groupID)", "ADMIN_TOKEN=\(admin)", PythonTools.python,
                PythonTools.script("openapi_check.py"), gateway.baseURL, alice, limited,
            ]
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("104 exchanges checked against the OpenAPI document"), "\(result.output)")
        let log = try String(contentsOfFile: gateway.logFile, encoding: .utf8)
        #expect(!log.contains(alice) && !log.contains(limited) && !log.contains(admin), "a token was logged")
    }

    @Test func aClientWrittenLikeUptimeKumaSendsUnchanged() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        // Uptime Kuma's SMSEagle provider: text, encoding, priority and `to` split from a comma list;
        // it counts items whose status is "queued" and wants HTTP 200.
        let answer = try await gateway.apiv2(
            "POST",
            "/messages/sms",
            token: token,
            json: [
                "text": "[Uptime Kuma] db1 is down", "encoding": "standard", "priority": 0,
                "to": ["+48500100200", "+48500100201"],
            ]
        )
        #expect(answer.status == 200)
        let items = try #require(answer.body as? [[String: Any]])
        #expect(items.map { $0["status"] as? String } == ["queued", "queued"])
        #expect(items.map { $0["number"] as? String } == ["+48500100200", "+48500100201"])
        #expect(items.allSatisfy { $0["message"] as? String == "OK" && ($0["id"] as? Int ?? 0) > 0 })
        try await eventually("both reach the network") {
            try gateway.simulatorReceived().filter { $0["text"] as? String == "[Uptime Kuma] db1 is down" }.count == 2
                ? true : nil
        }
    }

    @Test func aTokenSeesOnlyItsOwnMessagesAndPhonebook() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let alice = try gateway.addUser("alice")
        let bob = try gateway.addUser("bob")
        let admin = try gateway.addUser("root", admin: true)
        let aliceV1 = APIv1Client(gateway: gateway, token: alice)
        let contact = try await aliceV1(
            "contact_create",
            [("contactname", "Anna"), ("number", "+48111222333"), ("public", "0")]
        )
        let contactID = try #require(Int(contact.trimmingPrefix("OK; ID=")))

        let sent = try await gateway.apiv2(
            "POST",
            "/messages/sms",
            token: alice,
            json: ["contacts": [contactID], "text": "mine"]
        )
        #expect(sent.status == 200)
        let id = try #require((sent.body as? [[String: Any]])?.first?["id"] as? Int)
        try await eventually("sent") {
            try await gateway.apiv2("GET", "/messages/sentitems/\(id)", token: alice).status == 200 ? true : nil
        }

        // Bob sees none of it, cannot delete it, and cannot send to Alice's contact.
        #expect(try await gateway.apiv2("GET", "/messages/sentitems", token: bob).status == 404)
        #expect(try await gateway.apiv2("GET", "/messages/sentitems/\(id)", token: bob).status == 404)
        #expect(try await gateway.apiv2("DELETE", "/messages/sentitems/\(id)", token: bob).status == 404)
        #expect(try await gateway.apiv2("GET", "/phonebook/contacts", token: bob).status == 404)
        let refused = try await gateway.apiv2(
            "POST",
            "/messages/sms",
            token: bob,
            json: ["contacts": [contactID], "text": "x"]
        )
        #expect(refused.status == 400)
        #expect((refused.body as? [String: Any])?["message"] as? String == "contacts: there is no contact \(contactID)")

        // Alice and the admin see it.
        #expect(try await gateway.apiv2("GET", "/messages/sentitems", token: alice).status == 200)
        let seen = try await gateway.apiv2("GET", "/messages/sentitems/\(id)", token: admin)
        #expect((seen.body as? [String: Any])?["created_by"] as? String == "alice")
        let contacts = try await gateway.apiv2("GET", "/phonebook/contacts", token: admin)
        #expect((contacts.body as? [[String: Any]])?.map { $0["name"] as? String } == ["Anna"])
        // The message is still there after Bob's attempt to delete it.
        #expect(try await gateway.apiv2("GET", "/messages/sentitems/\(id)", token: alice).status == 200)
    }
}

@Suite("End to end: APIv2 calls and phonebook changes")
struct APIv2CallsTests {
    @Test func aWakeUpCallIsQueuedAndTheModemMakesIt() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        let contact = try await gateway.apiv2(
            "POST",
            "/phonebook/contacts",
            token: token,
            json: ["name": "Anna", "number": "+46700000006"]
        )
        let contactID = try #require((contact.body as? [String: Any])?["id"] as? Int)
        let answer = try await gateway.apiv2(
            "POST",
            "/calls/ring",
            token: token,
            json: ["to": ["+46700000005"], "contacts": [contactID], "duration": 1]
        )
        #expect(answer.status == 200)
        let items = try #require(answer.body as? [[String: Any]])
        #expect(items.map { $0["number"] as? String } == ["+46700000005", "+46700000006"])
        #expect(items.allSatisfy { $0["status"] as? String == "queued" })
        let calls = try await eventually("both calls made") {
            let body = try await gateway.get("/simulator/calls").body
            let list = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]] ?? []
            return list.count == 2 ? list : nil
        }
        #expect(Set(calls.compactMap { $0["number"] as? String }) == ["+46700000005", "+46700000006"])
        // The calls are in sent items, as kind ring.
        let id = try #require(items.first?["id"] as? Int)
        let sent = try await eventually("the call in sentitems") {
            let answer = try await gateway.apiv2("GET", "/messages/sentitems/\(id)", token: token)
            return answer.status == 200 ? answer.body as? [String: Any] : nil
        }
        #expect(sent["kind"] as? String == "ring")

        // Text-to-speech needs a voice plugin; the answer says so.
        let tts = try await gateway.apiv2(
            "POST",
            "/calls/tts",
            token: token,
            json: ["to": ["+46700000005"], "text": "Fire"]
        )
        #expect(tts.status == 503)
        #expect(((tts.body as? [String: Any])?["message"] as? String)?.contains("voice plugin") == true)
    }

    @Test func aUserChangesOnlyItsOwnPhonebook() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let alice = try gateway.addUser("alice")
        let bob = try gateway.addUser("bob")
        let made = try await gateway.apiv2(
            "POST",
            "/phonebook/contacts",
            token: alice,
            json: ["name": "Anna", "number": "+46700000007"]
        )
        #expect(made.status == 201)
        let id = try #require((made.body as? [String: Any])?["id"] as? Int)
        #expect(
            try await gateway.apiv2("PUT", "/phonebook/contacts/\(id)", token: bob, json: ["name": "Mallory"]).status
                == 404
        )
        #expect(try await gateway.apiv2("DELETE", "/phonebook/contacts/\(id)", token: bob).status == 404)
        let changed = try await gateway.apiv2(
            "PUT",
            "/phonebook/contacts/\(id)",
            token: alice,
            json: ["name": "Anna B"]
        )
        #expect((changed.body as? [String: Any])?["name"] as? String == "Anna B")
        #expect((changed.body as? [String: Any])?["number"] as? String == "+46700000007")
        let group = try await gateway.apiv2("POST", "/phonebook/groups", token: alice, json: ["name": "oncall"])
        let groupID = try #require((group.body as? [String: Any])?["id"] as? Int)
        #expect(
            try await gateway.apiv2(
                "POST",
                "/phonebook/groups/\(groupID)/contacts",
                token: alice,
                json: ["contacts": [id]]
            ).status == 200
        )
        // Sending to the group reaches Anna.
        let sent = try await gateway.apiv2(
            "POST",
            "/messages/sms",
            token: alice,
            json: ["groups": [groupID], "text": "on call"]
        )
        #expect((sent.body as? [[String: Any]])?.map { $0["number"] as? String } == ["+46700000007"])
        #expect(
            try await gateway.apiv2(
                "POST",
                "/phonebook/groups/\(groupID)/contacts",
                token: bob,
                json: ["contacts": [id]]
            ).status == 404
        )
    }
}
