import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// What published clients of SMSEagle's and brevis.one's APIs send, byte for byte, and what the
/// simulated network then received.
@Suite("End to end: published clients' requests")
struct PublishedClientTests {
    /// A Nagios/Icinga notification: CR LF line ends, 160 GSM 7-bit characters in all.
    static let nagiosAlert: String = {
        let head = "** PROBLEM Service Alert: db1/Disk is CRITICAL **\r\nHost: db1\r\nState: CRITICAL\r\nInfo: "
        return head + String(repeating: "x", count: 160 - head.unicodeScalars.count)
    }()

    @Test("a CR LF alert of 160 GSM 7-bit characters goes out as one GSM 7-bit SMS, over APIv1 and APIv2")
    func crlfAlertIsOneGSM7Part() async throws {
        #expect(Self.nagiosAlert.unicodeScalars.count == 160)
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.addUser("nagios", methods: "send_sms")
        // notify_eagle_sms.pl: uri_escape of the text, the rest as given.
        let escaped = Self.nagiosAlert.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let v1 = try await gateway.get(
            "/http_api/send_sms?access_token=\(token)&to=%2B46701234567&message=\(escaped)"
        )
        #expect(v1.body.hasPrefix("OK; ID="), "\(v1.body)")
        let v2 = try await gateway.apiv2(
            "POST",
            "/messages/sms",
            token: token,
            json: ["to": ["+46701234568"], "text": Self.nagiosAlert]
        )
        #expect(v2.status == 200, "\(String(describing: v2.body))")
        let received = try await eventually("both alerts at the network") {
            let list = try gateway.simulatorReceived()
            return list.count == 2 ? list : nil
        }
        for message in received {
            #expect(message["text"] as? String == Self.nagiosAlert)
            #expect(message["parts"] as? Int == 1, "\(message)")
            #expect(message["unicode"] as? Bool == false, "\(message)")
        }
    }

    @Test("raw UTF-8 in a URL sends; other octets are refused saying why, and the connection goes on")
    func rawUTF8InQueryStrings() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.addUser("script", methods: "send_sms,read_sms")
        func get(_ query: [UInt8]) async throws -> String {
            try await SecurityTests.raw(
                port: gateway.port,
                Array("GET /http_api/send_sms?access_token=\(token)&to=%2B46701234567&".utf8) + query
                    + Array(" HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n".utf8)
            )
        }
        // "Disk på db1 er full": å as the two raw octets of UTF-8, not percent-encoded.
        let utf8 = try await get(Array("message=Disk+p".utf8) + [0xC3, 0xA5] + Array("+db1+er+full&unicode=1".utf8))
        #expect(utf8.hasPrefix("HTTP/1.1 200"), "\(utf8)")
        #expect(utf8.contains("OK; ID="), "\(utf8)")
        // Latin-1 octets are not UTF-8: refused, naming the parameter.
        let latin1 = try await get(Array("message=Disk+p".utf8) + [0xE5] + Array("+db1".utf8))
        #expect(latin1.contains("Invalid parameter: message is not UTF-8 text"), "\(latin1)")
        // A space in the URL is still not HTTP: a 400 that says why, and a log line.
        let space = try await get(Array("message=two words".utf8))
        #expect(space.hasPrefix("HTTP/1.1 400"), "\(space)")
        #expect(space.contains("percent-encoded as %20"), "\(space)")
        _ = try await gateway.waitForLog("HTTP: request refused before routing")

        // On one connection: a form POST whose body holds raw UTF-8, then a GET with raw UTF-8.
        let body = Array("access_token=\(token)&to=%2B46701234568&message=Gr".utf8) + [0xC3, 0xB6] + Array("n".utf8)
        let both = try await SecurityTests.raw(
            port: gateway.port,
            Array(
                "POST /http_api/send_sms HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.count)\r\n\r\n"
                    .utf8
            ) + body
                + Array("GET /http_api/send_sms?access_token=\(token)&to=%2B46701234569&message=R".utf8) + [0xC3, 0xB6]
                + Array("d HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n".utf8)
        )
        #expect(both.components(separatedBy: "OK; ID=").count == 3, "\(both)")

        let received = try await eventually("three messages at the network") {
            let list = try gateway.simulatorReceived()
            return list.count == 3 ? list : nil
        }
        let texts = Dictionary(
            received.map { ($0["recipient"] as? String ?? "", $0) },
            uniquingKeysWith: { a, _ in a }
        )
        #expect(texts["+46701234567"]?["text"] as? String == "Disk på db1 er full")
        #expect(texts["+46701234567"]?["unicode"] as? Bool == true)
        #expect(texts["+46701234568"]?["text"] as? String == "Grön")
        #expect(texts["+46701234569"]?["text"] as? String == "Röd")
    }

    @Test("ring_call rings as SMSEagle's Nagios plugin and Uptime Kuma ask; tts_call says what it needs")
    func apiv1Calls() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.addUser("nagios", methods: "ring_call,tts_call,tts_adv_call")
        // notify_eagle_sms.pl --type ring: to and duration as given (an unescaped + arrives as a space).
        let nagios = try await gateway.get("/http_api/ring_call?access_token=\(token)&to=+46700000001&duration=1")
        #expect(nagios.body.contains("OK;"), "\(nagios.body)")
        // Uptime Kuma (APIv1): URLSearchParams, with a message even for a ring.
        let kuma = try await gateway.get(
            "/http_api/ring_call",
            [("access_token", token), ("to", "+46700000002"), ("duration", "1"), ("message", "Monitor down")]
        )
        #expect(kuma.body.hasPrefix("OK; ID="), "\(kuma.body)")
        // JSON-RPC, named as call_with_termination is.
        let rpc = try await gateway.post(
            "/jsonrpc/sms",
            json:
                #"{"method":"phone.ring_call","params":{"access_token":"\#(token)","to":"+46700000003","duration":"1"}}"#
        )
        #expect(rpc.body.contains("OK; ID="), "\(rpc.body)")
        let calls = try await eventually("three calls made") {
            let body = try await gateway.get("/simulator/calls").body
            let list = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]] ?? []
            return list.count == 3 ? list : nil
        }
        #expect(Set(calls.compactMap { $0["number"] as? String }) == ["+46700000001", "+46700000002", "+46700000003"])
        for (method, extra) in [("tts_call", [(String, String)]()), ("tts_adv_call", [("voice_id", "1")])] {
            let answer = try await gateway.get(
                "/http_api/\(method)",
                [("access_token", token), ("to", "+46700000004"), ("message", "Disk full"), ("duration", "10")]
                    + extra
            )
            #expect(!answer.body.contains("OK"), "\(method): \(answer.body)")
            #expect(answer.body.contains("need a voice plugin"), "\(method): \(answer.body)")
        }
        let noVoice = try await gateway.get(
            "/http_api/tts_adv_call",
            [("access_token", token), ("to", "+46700000004"), ("message", "Disk full")]
        )
        #expect(noVoice.body == "Wrong parameters", "voice_id is required: \(noVoice.body)")
        // Permissions: a user without ring_call may not ring.
        let smsOnly = try gateway.addUser("sms", methods: "send_sms")
        let refused = try await gateway.get("/http_api/ring_call?access_token=\(smsOnly)&to=46700000005")
        #expect(refused.body == "No permission to use this method", "\(refused.body)")
    }

    @Test(
        "the brevis.one JSON API: sign in, then send to a number, a user and a group, and ring; old tokens are refused"
    )
    func brevisJSONAPI() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.kill() }  // a ring holds the modem 30 s; a graceful stop would wait for it
        try gateway.addPasswordUser("icinga", password: "s3cret-pass")
        let api = try gateway.apiv1()
        let anna = try await api(
            "contact_create",
            [("contactname", "Anna"), ("number", "+46700000011"), ("public", "1")]
        )
        let group = try await api("group_create", [("groupname", "oncall"), ("public", "1")])
        let groupID = String(group.trimmingPrefix("OK; ID="))
        _ = try await api(
            "group_addcontact",
            [("group_id", groupID), ("contact_id", String(anna.trimmingPrefix("OK; ID=")))]
        )
        _ = try await api("contact_create", [("contactname", "Bo"), ("number", "+46700000012"), ("public", "1")])

        // notify-brevisone: an indented JSON sign-in (json.Encoder with SetIndent), then one request per message.
        let signIn = try await gateway.request(
            "/api/signin",
            method: .POST,
            token: nil,
            body: "{\n    \"username\": \"icinga\",\n    \"password\": \"s3cret-pass\"\n}\n"
        )
        #expect(signIn.status == 200, "\(signIn.body)")
        let session = try #require(try JSONSerialization.jsonObject(with: Data(signIn.body.utf8)) as? [String: Any])
        let jwt = try #require(session["jwt"] as? String)
        let expireAt = try #require(session["expireAt"] as? Int)
        #expect(expireAt > Int(Date().timeIntervalSince1970) + 600)

        func message(
            _ to: String,
            _ target: String,
            type: String = "default",
            token: String = jwt
        ) async throws -> (
            status: Int, body: String
        ) {
            try await gateway.request(
                "/api/messages",
                method: .POST,
                token: token,
                body:
                    #"{"recipients":[{"to":"\#(to)","target":"\#(target)"}],"text":"Hst:db1 - DOWN","provider":"sms","type":"\#(type)"}"#
                    + "\n"
            )
        }
        for (to, target) in [("+46700000010", "number"), ("Bo", "user"), ("oncall", "group"), (groupID, "group")] {
            let answer = try await message(to, target)
            #expect(answer.status == 200, "\(to) as \(target): \(answer.body)")
        }
        #expect(try await message("+46700000013", "number", type: "ring").status == 200)
        #expect(try await message("nobody", "group").status == 400)

        let received = try await eventually("four messages at the network") {
            let list = try gateway.simulatorReceived()
            return list.count == 4 ? list : nil
        }
        #expect(
            received.compactMap { $0["recipient"] as? String }.sorted() == [
                "+46700000010", "+46700000011", "+46700000011", "+46700000012",
            ]
        )
        #expect(received.allSatisfy { $0["text"] as? String == "Hst:db1 - DOWN" })
        _ = try await eventually("the ring") {
            try await gateway.get("/simulator/calls").body.contains("+46700000013") ? true : nil
        }

        // The form API's mode=user addresses a contact too.
        let legacy = try await gateway.get(
            "/api.php",
            [("username", "icinga"), ("password", "s3cret-pass"), ("text", "legacy"), ("to", "Bo"), ("mode", "user")]
        )
        #expect(legacy.body == "OK", "\(legacy.body)")

        // Refused: a wrong password, a forged token, and the token once the password changed.
        let wrong = try await gateway.request(
            "/api/signin",
            method: .POST,
            token: nil,
            body: #"{"username":"icinga","password":"guess"}"#
        )
        #expect(wrong.status == 401)
        let parts = jwt.split(separator: ".")
        let forged = parts[0] + "." + parts[1] + "." + String(parts[2].reversed())
        #expect(try await message("+46700000010", "number", token: String(forged)).status == 401)
        let set = try GatewayProcess.run(
            ["user", "set-password", "--data-dir", gateway.dataDirectory, "icinga"],
            input: "n3w-pass-word\n"
        )
        #expect(set.status == 0)
        let revoked = try await message("+46700000010", "number")
        #expect(revoked.status == 401, "\(revoked.body)")
        #expect(!gateway.log.contains("s3cret-pass"), "a password was logged")
        #expect(!gateway.log.contains(jwt), "a session token was logged")
    }

    @Test("APIv2: modem/signal is one object; a group name in to sends to its members; MMS is refused at once")
    func apiv2Answers() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let admin = try gateway.addUser("root", admin: true)
        // check_smseagle (NETWAYS) reads data["signal_strength"] from /modem/signal.
        let signal = try await gateway.apiv2("GET", "/modem/signal", token: admin)
        let object = try #require(signal.body as? [String: Any], "\(String(describing: signal.body))")
        #expect(object["modem_no"] as? Int == 1)
        #expect((object["signal_strength"] as? Int).map { (0...100).contains($0) } == true)

        // SMSEagle's Alertmanager adapter: a token that sends, a group name in `to`. APIv2 users see
        // their own phonebook, so the group is the adapter user's (made here over APIv1).
        let adapter = try gateway.addUser(
            "alertmanager",
            methods: "send_sms,contact_create,group_create,group_addcontact"
        )
        let admins = APIv1Client(gateway: gateway, token: admin)
        let own = APIv1Client(gateway: gateway, token: adapter)
        let anna = try await own(
            "contact_create",
            [("contactname", "Anna"), ("number", "+46700000021"), ("public", "0")]
        )
        let group = try await own("group_create", [("groupname", "oncall-group"), ("public", "0")])
        #expect(
            try await own(
                "group_addcontact",
                [
                    ("group_id", String(group.trimmingPrefix("OK; ID="))),
                    ("contact_id", String(anna.trimmingPrefix("OK; ID="))),
                ]
            ) == "OK"
        )
        let sent = try await gateway.apiv2(
            "POST",
            "/messages/sms",
            token: adapter,
            json: ["to": ["+46700000020", "oncall-group", "no-such-group"], "text": "[FIRING] HighLoad"]
        )
        #expect(sent.status == 200)
        let items = try #require(sent.body as? [[String: Any]])
        #expect(items.map { $0["number"] as? String } == ["+46700000020", "no-such-group", "+46700000021"])
        #expect(items.map { $0["status"] as? String } == ["queued", "error", "queued"])
        #expect((items[1]["message"] as? String)?.contains("groups") == true, "\(items[1])")
        _ = try await eventually("two messages at the network") {
            try gateway.simulatorReceived().count == 2 ? true : nil
        }

        // MMS: refused when asked, in each API's format; nothing is queued.
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
        let mms = try await gateway.apiv2(
            "POST",
            "/messages/mms",
            token: admin,
            json: [
                "to": ["+46700000022"], "text": "photo",
                "attachments": [["content_type": "image/png", "content": png]],
            ]
        )
        #expect(mms.status == 503, "\(String(describing: mms.body))")
        #expect(((mms.body as? [String: Any])?["message"] as? String)?.contains("MMS cannot be sent") == true)
        let rpc = try await gateway.post(
            "/jsonrpc/sms",
            json:
                #"{"method":"sms.send_sms","params":{"access_token":"\#(admin)","to":"+46700000022","message":"photo","message_type":"mms","attachments":[{"content_type":"image/png","content":"\#(png)"}]}}"#
        )
        #expect(rpc.body.contains("MMS cannot be sent"), "\(rpc.body)")
        #expect(!rpc.body.contains("OK"), "\(rpc.body)")
        let queue = try await admins("get_queue_length", [])
        #expect(queue == "0")
    }
}
