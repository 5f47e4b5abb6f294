import Foundation
import TestSupport
import Testing

@Suite("End to end: bad requests get SMSEagle's error texts and store nothing")
struct BadInputTests {
    @Test func badRequestsAreAnsweredWithTheDocumentedTextsAndNothingIsStored() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        let send = "/http_api/send_sms"

        let cases: [([(String, String)], String)] = [
            ([("access_token", "wrong"), ("to", "123456"), ("message", "x")], "Invalid access token"),
            ([("to", "123456"), ("message", "x")], "Invalid login or password"),
            ([("login", "api"), ("pass", "nope"), ("to", "123456"), ("message", "x")], "Invalid login or password"),
            ([("access_token", token), ("message", "x")], "Wrong parameters"),
            ([("access_token", token), ("to", "123456")], "Wrong parameters"),
            ([("access_token", token), ("to", "12ab56"), ("message", "x")], "Wrong parameters"),
            ([("access_token", token), ("to", "123456"), ("message", "")], "Wrong parameters"),
            (
                [("access_token", token), ("to", "123456"), ("message", "x"), ("date", "202602301200")],
                "Wrong parameters"
            ),
            (
                [("access_token", token), ("to", "123456"), ("message", "x"), ("highpriority", "10")],
                "Wrong parameters"
            ),
            ([("access_token", token), ("to", "123456"), ("message", "x"), ("unicode", "yes")], "Wrong parameters"),
            (
                [("access_token", token), ("to", "123456"), ("message", "x"), ("responsetype", "json")],
                "Wrong parameters"
            ),
            ([("access_token", token), ("to", "123456"), ("message", "x"), ("modem_no", "2")], "Wrong parameters"),
        ]
        for (query, expected) in cases {
            let answer = try await gateway.get(send, query)
            #expect(answer.status == 200)
            #expect(answer.body == expected, "for \(query.map(\.0))")
        }
        let xml = try await gateway.get(send, [("access_token", "wrong"), ("responsetype", "xml")])
        #expect(xml.body == "<xml>\n<error_text>Invalid access token</error_text>\n<status>error</status>\n</xml>")

        let unknown = try await gateway.get("/http_api/send_everything", [("access_token", token)])
        #expect(unknown.status == 404)

        let test = try await gateway.get(
            send,
            [("access_token", token), ("to", "123456"), ("message", "x"), ("test", "1")]
        )
        #expect(test.body == "OK; ID=0")

        for folder in ["outbox", "sentitems", "sendingerror", "inbox"] {
            let answer = try await gateway.get("/http_api/read_sms", [("access_token", token), ("folder", folder)])
            #expect(answer.body == "No data to display", "folder \(folder)")
        }
        let badFolder = try await gateway.get("/http_api/read_sms", [("access_token", token), ("folder", "trash")])
        #expect(badFolder.body == "Wrong parameters")
        #expect(try gateway.simulatorReceived().isEmpty)
        #expect(!gateway.log.contains(token), "the access token must never be logged")
    }

    /// Every parameter the reference names for a method, set to hostile values at once (SQL, NUL,
    /// 100 kB, invalid UTF-8, markup): the answer is a documented text or a stored literal, never an
    /// internal error, and the gateway keeps going with its tables intact.
    @Test(arguments: [
        "' OR 1=1; DROP TABLE outgoing; --", "\u{0}\u{0}abc", String(repeating: "A", count: 100_000), "%FF%FE%C0",
        "<xml>&amp;\"'</xml>", "-1", "99999999999999999999",
    ])
    func hostileValuesInEveryParameterOfEveryMethod(value: String) async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        var names: [String: Set<String>] = [:]
        for (method, query) in try ReferenceSamples.urls() {
            names[method, default: []].formUnion(FormParameterPairs.parse(query).map(\.0))
        }
        for (method, params) in try ReferenceSamples.bodies() {
            names[String(method.split(separator: ".").last!), default: []].formUnion(params.keys)
        }
        #expect(names.count >= 38)
        for (method, parameters) in names.sorted(by: { $0.key < $1.key }) {
            var form = parameters.subtracting(["access_token", "login", "pass", "responsetype"]).sorted().map {
                ($0, value)
            }
            form.append(("access_token", token))
            // "%FF%FE%C0" is sent as those octets: the form encoder would escape the percent signs.
            let body = GatewayProcess.encode(form, leading: "").replacing("%25FF%25FE%25C0", with: "%FF%FE%C0")
            let answer = try await gateway.post("/http_api/\(method)", body: body)
            // A form larger than the 256 KiB the API reads is refused as a whole (413), not cut.
            #expect(answer.status == (body.utf8.count > 256 * 1024 ? 413 : 200), "\(method)")
            #expect(
                !answer.body.contains("Internal error"),
                "\(method) with \(value.prefix(20)): \(answer.body.prefix(200))"
            )
        }
        #expect(gateway.process?.isRunning == true)
        let api = APIv1Client(gateway: gateway, token: token)
        #expect(Int(try await api("get_queue_length")) != nil)
        #expect(Int(try await api("get_sentitems_length")) != nil)
        #expect(!gateway.log.contains(token))
    }

    @Test func loginAndPasswordAuthenticateAndPostFormsAndIndexPhpPathsWork() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let set = try GatewayProcess.run(
            ["user", "set-password", "--data-dir", gateway.dataDirectory, "nagios"],
            input: "s3cret pass\n"
        )
        #expect(set.status == 0, "\(set.stderr)")

        let answer = try await gateway.post(
            "/index.php/http_api/send_sms",
            form: [("login", "nagios"), ("pass", "s3cret pass"), ("to", "+46701234567"), ("message", "HOST DOWN")]
        )
        #expect(answer.body.hasPrefix("OK; ID="))
        let wrong = try await gateway.get(
            "/index.php/http_api/get_queue_length",
            [("login", "nagios"), ("pass", "s3cret")]
        )
        #expect(wrong.body == "Invalid login or password")
        _ = try await eventually("the message at the simulator") {
            try gateway.simulatorReceived().first { $0["text"] as? String == "HOST DOWN" }
        }
    }

    @Test func unencodedPlusInANumberIsReadAsInternational() async throws {
        // PHP, and so SMSEagle, decodes '+' in a query as a space; clients still write to=+46….
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        let answer = try await gateway.get(
            "/http_api/send_sms?access_token=\(token)&to=+46701234567&message=Hello+there"
        )
        #expect(answer.body.hasPrefix("OK; ID="))
        let received = try await eventually("the message") { try gateway.simulatorReceived().first }
        #expect(received["recipient"] as? String == "+46701234567")
        #expect(received["text"] as? String == "Hello there")
    }
}
