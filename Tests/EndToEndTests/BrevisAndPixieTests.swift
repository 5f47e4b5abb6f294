import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// The source documents of `../shared/seeds`.
enum Seeds {
    static func text(_ name: String) throws -> String {
        try String(
            contentsOfFile: GatewayProcess.packageRoot.deletingLastPathComponent()
                .appendingPathComponent("shared/seeds/\(name)").path,
            encoding: .utf8
        )
    }
}

extension GatewayProcess {
    /// Adds user `name` with `password` (and the given methods).
    func addPasswordUser(_ name: String, password: String, methods: String = "*") throws {
        #expect(try Self.run(["user", "add", "--data-dir", dataDirectory, name, "--methods", methods]).status == 0)
        let set = try Self.run(["user", "set-password", "--data-dir", dataDirectory, name], input: password + "\n")
        #expect(set.status == 0, "set-password failed: \(set.stderr)")
    }

    /// Runs a curl command line (as a shell would) and returns the status and the body.
    func curl(_ commandLine: String) async throws -> (status: Int, body: String) {
        let result = try await MosquittoBroker.runDetached("/bin/sh", ["-c", commandLine + " -s -w '\\n%{http_code}'"])
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }
}

@Suite("End to end: the brevis.one HTTP API")
struct BrevisTests {
    @Test func theDocumentedCurlExamplesSendUnchanged() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        try gateway.addPasswordUser("apiuser", password: "secret")
        // Every curl line of the brevis.one documentation, only the gateway's address put in.
        let examples = try Seeds.text("003_8be4206c583f4a62.txt").split(separator: "\n").filter {
            $0.hasPrefix("curl ")
        }
        .map { String($0).replacing("https://<IP SMS Gateway>", with: gateway.baseURL) }
        #expect(examples.count == 6)
        for example in examples {
            let answer = try await gateway.curl(example)
            #expect(answer.status == 200, "\(example): \(answer.body)")
            #expect(answer.body == "OK", "\(example)")
        }
        let received = try await eventually("six messages at the network") {
            let list = try gateway.simulatorReceived()
            return list.count == 6 ? list : nil
        }
        #expect(received.allSatisfy { $0["recipient"] as? String == "00491701234567" })
        #expect(received.filter { $0["text"] as? String == "Test" }.count == 4)
        // hexmode=true: the text is the hex of "Hallo dies ist eine Test SMS".
        #expect(received.filter { $0["text"] as? String == "Hallo dies ist eine Test SMS" }.count == 2)
    }

    @Test func errorsAnswerTheDocumentedTextsAndStatusCodes() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        try gateway.addPasswordUser("apiuser", password: "secret")
        try gateway.addPasswordUser("reader", password: "secret", methods: "read_sms")
        func call(_ query: String) async throws -> (status: Int, body: String) {
            try await gateway.curl("curl '\(gateway.baseURL)/api.php?\(query)'")
        }
        let login = "username=apiuser&password=secret"
        let cases: [(String, Int, String)] = [
            ("text=Test&to=0049170&username=apiuser", 400, "Error: Parameter miss."),
            ("to=0049170&\(login)", 400, "Error: Parameter miss."),
            (
                "text=Test&to=0049170&username=apiuser&password=wrong", 401,
                "401 Unauthorized - Username or Password wrong."
            ),
            (
                "text=Test&to=0049170&username=nobody&password=secret", 401,
                "401 Unauthorized - Username or Password wrong."
            ),
            (
                "text=Test&to=0049170&username=reader&password=secret", 403,
                "403 Forbidden - Your User has no right to send SMS over API."
            ),
            ("text=Test&to=no-number&\(login)", 400, "Error. See Gateway logs for more information."),
            ("text=Test&to=oncall&mode=group&\(login)", 400, "Error. See Gateway logs for more information."),
            ("text=Test&to=Anna&mode=contact&\(login)", 400, "Error. See Gateway logs for more information."),
            ("text=zz&to=0049170&hexmode=true&\(login)", 400, "Error. See Gateway logs for more information."),
            ("text=Test&to=0049170&list=white&\(login)", 400, "Error: Parameter miss."),
            (
                "text=Test&to=0049170&list=white&regex=%5E0046&\(login)", 400,
                "Error. See Gateway logs for more information."
            ),
            (
                "text=Test&to=0049170&list=black&regex=%5E0049&\(login)", 400,
                "Error. See Gateway logs for more information."
            ),
        ]
        for (query, status, text) in cases {
            let answer = try await call(query)
            #expect(answer.status == status, "\(query): \(answer.body)")
            #expect(answer.body == text, "\(query)")
        }
        #expect(try gateway.simulatorReceived().isEmpty, "a refused request sent something")
        let log = try String(contentsOfFile: gateway.logFile, encoding: .utf8)
        #expect(log.contains("reason=the blacklist leaves no recipient"), "the log says why")
        #expect(!log.contains("secret"), "a password was logged")
    }

    @Test func modesListsAndFlashSendAsDocumented() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        try gateway.addPasswordUser("apiuser", password: "secret")
        let api = try gateway.apiv1()
        let anna = try await api(
            "contact_create",
            [("contactname", "Anna"), ("number", "+46700000001"), ("public", "1")]
        )
        let bo = try await api("contact_create", [("contactname", "Bo"), ("number", "+46700000002"), ("public", "1")])
        let group = try await api("group_create", [("groupname", "oncall"), ("public", "1")])
        _ = try await api(
            "group_addcontact",
            [
                ("group_id", String(group.trimmingPrefix("OK; ID="))),
                ("contact_id", String(anna.trimmingPrefix("OK; ID="))),
            ]
        )
        // A group whose name is all digits: `to=112` is a group id if there is one, else a name.
        let digits = try await api("group_create", [("groupname", "112"), ("public", "1")])
        _ = try await api(
            "group_addcontact",
            [
                ("group_id", String(digits.trimmingPrefix("OK; ID="))),
                ("contact_id", String(bo.trimmingPrefix("OK; ID="))),
            ]
        )
        let login = "username=apiuser&password=secret"
        for query in [
            "text=group&to=oncall&mode=group", "text=contact&to=Bo&mode=contact",
            "text=digits&to=112&mode=group",
            "text=group-id&to=\(group.trimmingPrefix("OK; ID="))&mode=group",
            // An unknown mode is the default mode, number.
            "text=flash&to=%2B46700000003&mode=bogus&flash",
            // The whitelist lets +4670…4 through and keeps 0049… out.
            "text=listed&to=%2B46700000004,0049170&list=white&regex=%5E%5C%2B46",
        ] {
            let answer = try await gateway.curl("curl -X POST -d '\(query)&\(login)' '\(gateway.baseURL)/api.php'")
            #expect(answer.status == 200 && answer.body == "OK", "\(query): \(answer.body)")
        }
        let received = try await eventually("six messages at the network") {
            let list = try gateway.simulatorReceived()
            return list.count == 6 ? list : nil
        }
        func recipient(_ text: String) -> String? {
            received.first { $0["text"] as? String == text }?["recipient"] as? String
        }
        #expect(recipient("group") == "+46700000001")
        #expect(recipient("contact") == "+46700000002")
        #expect(recipient("digits") == "+46700000002")
        #expect(recipient("group-id") == "+46700000001")
        #expect(recipient("flash") == "+46700000003")
        #expect(received.first { $0["text"] as? String == "flash" }?["flash"] as? Bool == true)
        #expect(recipient("listed") == "+46700000004")

        // ring: a wake-up call instead of an SMS.
        let ring = try await gateway.curl(
            "curl '\(gateway.baseURL)/api.php?text=ignored&to=%2B46700000008&ring&\(login)'"
        )
        #expect(ring.status == 200 && ring.body == "OK")
        let calls = try await eventually("the call") {
            let body = try await gateway.get("/simulator/calls").body
            let list = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]] ?? []
            return list.isEmpty ? nil : list
        }
        #expect(calls.map { $0["number"] as? String } == ["+46700000008"])
        #expect(try gateway.simulatorReceived().count == 6, "ring sent an SMS too")
    }
}

@Suite("End to end: Pixie's REST API v2")
struct PixieTests {
    /// The request bodies of Pixie's documentation, verbatim, with real numbers for `+nnnnnnnnnnnn`.
    static func documentedBodies() throws -> [String] {
        let text = try Seeds.text("002_efa604439718619b.txt")
        return text.split(separator: "\n\t{\n", omittingEmptySubsequences: false).dropFirst().compactMap {
            (chunk: Substring) -> String? in
            guard let end = chunk.range(of: "\n\t}") else { return nil }
            return "{\n" + String(chunk[..<end.lowerBound]) + "\n}"
        }
        .filter { $0.contains("\"recipients\"") }
        .map { (body: String) -> String in
            var count = 0
            return body.replacing(/\+n{12}/) { _ in
                count += 1
                return "+4670000000\(count)"
            }
        }
    }

    @Test func theDocumentedRequestsSendAndCountParts() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        let bodies = try Self.documentedBodies()
        #expect(bodies.count == 3)
        var ids: [Int] = []
        for body in bodies {
            let answer = try await gateway.request("/api/v2/sms", method: .POST, token: token, body: body)
            #expect(answer.status == 200, "\(body): \(answer.body)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
            // Each text fits one SMS (GSM 7-bit or UCS-2), sent to two recipients.
            #expect(object["smsCount"] as? Int == 2, "\(answer.body)")
            #expect(object["totalCost"] as? Int == 0)
            ids.append(try #require(object["id"] as? Int))
        }
        let received = try await eventually("six messages at the network") {
            let list = try gateway.simulatorReceived()
            return list.count == 6 ? list : nil
        }
        let texts = Set(received.compactMap { $0["text"] as? String })
        #expect(
            texts == ["Hello from API!", "Hello from API. russian:русский, chinese:中國人🙂", "Grinning face: 😀 Heart ♥"]
        )
        #expect(received.filter { $0["unicode"] as? Bool == true }.count == 4)

        // A long text is counted per part and recipient: 200 GSM characters are 2 parts, to 3 numbers.
        let long = try await gateway.request(
            "/api/v2/sms",
            method: .POST,
            token: token,
            body:
                #"{"sender": "46700000000", "message": "\#(String(repeating: "a", count: 200))", "recipients": ["+46700000001", "+46700000002", "+46700000003"]}"#
        )
        #expect(long.body.contains("\"smsCount\":6"), "\(long.body)")
    }

    @Test func badRequestsAreRefusedClearly() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        let cases: [(String?, String, Int, String)] = [
            (nil, #"{"sender": "A", "message": "x", "recipients": ["+46700000001"]}"#, 401, "access token is required"),
            ("wrong", #"{"sender": "A", "message": "x", "recipients": ["+46700000001"]}"#, 401, "Invalid access token"),
            (token, #"{"sender": "A", "recipients": ["+46700000001"]}"#, 400, "message: required"),
            (token, #"{"sender": "A", "message": "x"}"#, 400, "recipients: required"),
            (token, #"{"sender": "Åsa", "message": "x", "recipients": ["+46700000001"]}"#, 400, "sender: a number"),
            (
                token,
                #"{"sender": "A", "message": "\#(String(repeating: "x", count: 1001))", "recipients": ["+4670"]}"#, 400,
                "longer than 1000"
            ),
            (token, #"{"sender": "A", "message": "x", "recipients": ["call me"]}"#, 400, "none is a telephone number"),
            (token, #"not json"#, 400, "The body is not valid JSON"),
        ]
        for (token, body, status, text) in cases {
            let answer = try await gateway.request("/api/v2/sms", method: .POST, token: token, body: body)
            #expect(answer.status == status, "\(body): \(answer.body)")
            #expect(answer.body.contains(text), "\(body): \(answer.body)")
        }
        #expect(try gateway.simulatorReceived().isEmpty)
    }

    @Test func theStreamHandsOutIncomingMessagesAndStatusesOnce() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let alice = try gateway.addUser("alice")
        let bob = try gateway.addUser("bob")
        func stream(_ token: String, _ query: String = "") async throws -> [[String: Any]] {
            let answer = try await gateway.request("/api/v2/sms/stream" + query, method: .GET, token: token)
            #expect(answer.status == 200, "\(answer.body)")
            return try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [[String: Any]])
        }

        let sent = try await gateway.request(
            "/api/v2/sms",
            method: .POST,
            token: alice,
            body: #"{"sender": "Alice", "message": "Pump 3 stopped", "recipients": ["+46700000001"]}"#
        )
        let id = try #require(
            (try JSONSerialization.jsonObject(with: Data(sent.body.utf8)) as? [String: Any])?["id"] as? Int
        )
        try gateway.inject(from: "+46700000009", "RESET PUMP 3")

        // Alice gets the reply and her message's sent and delivered statuses, each once, in order.
        let items = try await eventually("the reply and both statuses") {
            let list = try await stream(alice)
            return list.isEmpty ? nil : list
        }
        var all = items
        try await eventually("the rest") {
            all += try await stream(alice)
            return all.count >= 3 ? true : nil
        }
        let incoming = try #require(all.first { $0["kind"] as? String == "incoming" })
        #expect(incoming["sender"] as? String == "+46700000009")
        #expect(incoming["text"] as? String == "RESET PUMP 3")
        #expect((incoming["timestamp"] as? String)?.firstMatch(of: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/) != nil)
        let statuses = all.filter { $0["kind"] as? String == "outgoing" }
        #expect(statuses.map { $0["status"] as? String } == ["sent", "delivered"])
        #expect(statuses.allSatisfy { $0["id"] as? Int == id && $0["recipient"] as? String == "+46700000001" })
        #expect(all.count == 3)
        #expect(try await stream(alice).isEmpty, "handed out twice")

        // Reading again from an event on gives the same items without moving Alice's place.
        let first = try #require(all.first?["eventId"] as? Int)
        #expect(try await stream(alice, "?after=\(first - 1)").count == 3)
        #expect(try await stream(alice).isEmpty)

        // Bob sees the reply (it came to the gateway), not Alice's statuses.
        let bobs = try await stream(bob)
        #expect(bobs.map { $0["kind"] as? String } == ["incoming"])
    }
}

@Suite("End to end: failed logins count across the APIs")
struct SharedLimiterTests {
    @Test func guessesSpreadOverTheAPIsAreCountedTogether() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        try gateway.addPasswordUser("apiuser", password: "secret")
        for attempt in 0..<10 {
            if attempt.isMultiple(of: 2) {
                let answer = try await gateway.curl(
                    "curl '\(gateway.baseURL)/api.php?text=x&to=0049170&username=apiuser&password=guess\(attempt)'"
                )
                #expect(answer.status == 401)
            } else {
                // The tenth failure blocks the address, and its answer says so.
                let expected = attempt == 9 ? 429 : 401
                #expect(try await gateway.apiv2("GET", "/messages/inbox", token: "guess\(attempt)").status == expected)
            }
        }
        // The address is now blocked everywhere for a minute: wrong tokens and every password are
        // answered "too many failed attempts" (the right password too) ...
        let blocked = try await gateway.apiv2("GET", "/messages/inbox", token: "guess-more")
        #expect(blocked.status == 429)
        #expect("\(String(describing: blocked.body))".contains("Too many failed attempts"))
        let password = try await gateway.curl(
            "curl '\(gateway.baseURL)/api.php?text=x&to=0049170&username=apiuser&password=secret'"
        )
        #expect(password.status == 429, "\(password)")
        // ... but a valid token still passes, in every API.
        #expect(try await gateway.apiv2("GET", "/modem/signal", token: token).status == 200)
        let pixie = try await gateway.request("/api/v2/sms/stream", method: .GET, token: token)
        #expect(pixie.status == 200)
        #expect(try await APIv1Client(gateway: gateway, token: token)("get_gsmsignal") != "Invalid access token")
        #expect(gateway.log.contains("too many failed authentications; refusing for one window"))
        #expect(gateway.log.contains("key=address:127.0.0.1"))
    }
}
