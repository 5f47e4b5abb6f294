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
            guard answer.status == 200 else { continue }
            #expect(
                try Self.isDocumented(answer.body, method: method, parameters: parameters),
                "\(method) with \(value.prefix(20).debugDescription): \(answer.body.prefix(200))"
            )
        }
        #expect(gateway.process?.isRunning == true)
        let api = APIv1Client(gateway: gateway, token: token)

        // Where the value is a legal name or text, it is stored as sent and read back unchanged (a
        // name has up to 255 characters and no control characters; a text up to 1530 characters).
        func post(_ method: String, _ form: [(String, String)]) async throws -> String {
            let body = GatewayProcess.encode(form + [("access_token", token)], leading: "")
            return try await gateway.post("/http_api/\(method)", body: body).body
        }
        let contact = try await post("contact_create", [("contactname", value), ("number", "+46701234567")])
        if value.contains("\u{0}") || value.count > 255 {
            #expect(try Self.isDocumented(contact, method: "contact_create", parameters: ["contactname"]), "\(contact)")
        } else {
            #expect(contact.hasPrefix("OK; ID="), "\(contact)")
            let contacts = parseRows(try await api("contact_read", [("public", "1")]))
            #expect(contacts.map { $0["Name"] } == [value])
        }
        let message = try await post("send_sms", [("to", "+46701234567"), ("message", value)])
        if value.contains("\u{0}") || value.count > 1530 {
            #expect(try Self.isDocumented(message, method: "send_sms", parameters: ["message"]), "\(message)")
        } else {
            #expect(message.hasPrefix("OK; ID="), "\(message)")
            let id = String(message.dropFirst("OK; ID=".count))
            let sent = try await eventually("message \(id) in sent items") {
                let rows = try await api("read_sms", [("folder", "sentitems"), ("idfrom", id), ("idto", id)])
                return rows == "No data to display" ? nil : parseRows(rows)
            }
            #expect(sent.map { $0["TextDecoded"] } == [value])
        }
        #expect(Int(try await api("get_queue_length")) != nil)
        #expect(Int(try await api("get_sentitems_length")) != nil)
        #expect(!gateway.log.contains(token))
    }

    /// Whether `answer` is one the reference documents for a request to `method` with `parameters`:
    /// a text it prints (a line of seed 001, without its "Response (when …):" prefix), its
    /// `Wrong [or missing] >>name<< parameter` family for a parameter that was sent, a count from
    /// a counting method, or the refusal of octets that are not UTF-8 (Core/API/README.md).
    static func isDocumented(_ answer: String, method: String, parameters: Set<String>) throws -> Bool {
        let printed = try referenceTexts()
        if printed.contains(answer) { return true }
        if method.hasPrefix("get_"), method.hasSuffix("_length") { return Int(answer) != nil }
        if let match = answer.wholeMatch(of: /(?:Wrong|Wrong or missing|Missing) >>(\w+)<< parameter/) {
            return parameters.contains(String(match.output.1))
        }
        if let match = answer.wholeMatch(
            of: /Invalid parameter: (\w+) is not UTF-8 text \(send UTF-8, percent-encoded\)/
        ) {
            return parameters.contains(String(match.output.1))
        }
        return false
    }

    static func referenceTexts() throws -> Set<String> {
        let lines = try String(contentsOfFile: ReferenceSamples.path, encoding: .utf8).split(separator: "\n")
        return Set(
            lines.map { line in
                let text = line.replacing(#/^Response \([^)]*\): /#, with: "").trimmingCharacters(in: .whitespaces)
                return text.replacing("’", with: "'")
            }
        )
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
