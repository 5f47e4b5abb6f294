import Foundation
import TestSupport
import Testing

/// The JSON-RPC request bodies printed in SMSEagle's APIv1 reference (`../shared/seeds`), with the
/// typographic quotes of the web page put back to ASCII. Bodies that are not JSON even then (one has
/// a missing comma) are left out.
enum ReferenceSamples {
    static let path = GatewayProcess.packageRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/seeds/001_bd78b1bbdaa5bd7b.txt").path

    /// The example URLs: method and query (spaces some examples have after `?` and `&` removed).
    static func urls() throws -> [(method: String, query: String)] {
        let text = try String(contentsOfFile: path, encoding: .utf8).replacing("& ", with: "&")
        return text.matches(of: /url-of-smseagle\/(?:index\.php\/)?http_api\/([a-z_]+)\? *([^ \n]*)/).map {
            (String($0.output.1), String($0.output.2))
        }
    }

    /// The methods not served yet; the tests check that it is exactly these.
    static let notYet: Set<String> = []

    /// The group and contacts the send examples name (`admins`, `johndoe`; one example sends to a
    /// contact called `admins`).
    static func preparePhonebook(_ api: APIv1Client) async throws {
        _ = try await api("contact_create", [("contactname", "admins"), ("number", "+481234568")])
        let contact = try await api("contact_create", [("contactname", "johndoe"), ("number", "+481234567")])
        let group = try await api("group_create", [("groupname", "admins"), ("public", "1")])
        let ids = [contact, group].compactMap { $0.firstMatch(of: /^OK; ID=(\d+)$/).map { String($0.output.1) } }
        #expect(ids.count == 2)
        _ = try await api("group_addcontact", [("group_id", ids[1]), ("contact_id", ids[0])])
    }

    static func bodies() throws -> [(method: String, params: [String: Any])] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let ascii = line.map { "“”″„".contains($0) ? "\"" : String($0) }.joined()
            guard ascii.hasPrefix("{\"method\""),
                let object = try? JSONSerialization.jsonObject(with: Data(ascii.utf8)) as? [String: Any],
                let method = object["method"] as? String, let params = object["params"] as? [String: Any]
            else { return nil }
            return (method, params)
        }
    }
}

@Suite("End to end: APIv1 over JSON-RPC")
struct JSONRPCTests {
    func rpc(
        _ gateway: GatewayProcess,
        _ method: String,
        _ params: [String: Any],
        path: String = "/jsonrpc/sms"
    ) async throws -> (status: Int, result: Any?) {
        let body = try JSONSerialization.data(withJSONObject: ["method": method, "params": params])
        let answer = try await gateway.post(path, json: String(decoding: body, as: UTF8.self))
        let object = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
        return (answer.status, object?["result"])
    }

    @Test func sendingAnswersInTheSimpleAndTheExtendedForm() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        let simple = try await rpc(
            gateway,
            "sms.send_sms",
            ["access_token": token, "to": "481234567", "message": "My message"]
        )
        #expect(simple.status == 200)
        #expect(
            (simple.result as? String)?.firstMatch(of: /^OK; ID=\d+$/) != nil,
            "\(String(describing: simple.result))"
        )

        let one = try await rpc(
            gateway,
            "sms.send_sms",
            ["access_token": token, "to": "481234567", "message": "x", "responsetype": "extended", "highpriority": 1]
        )
        let object = try #require(one.result as? [String: String])
        #expect(object["status"] == "ok")
        #expect(Int(object["message_id"] ?? "") != nil)

        let several = try await rpc(
            gateway,
            "sms.send_sms",
            ["access_token": token, "to": "481234567,481234568,481234569", "message": "x", "responsetype": "extended"]
        )
        let list = try #require(several.result as? [[String: String]])
        #expect(list.count == 3)
        #expect(list.allSatisfy { $0["status"] == "ok" && $0["message_id"] != nil })

        let wrongToken = try await rpc(gateway, "sms.send_sms", ["access_token": "nope", "to": "4812", "message": "x"])
        #expect(wrongToken.result as? String == "Invalid access token")
        let wrongTokenExtended = try await rpc(
            gateway,
            "sms.send_sms",
            ["access_token": "nope", "to": "4812", "message": "x", "responsetype": "extended"]
        )
        #expect(
            wrongTokenExtended.result as? [String: String] == ["error_text": "Invalid access token", "status": "error"]
        )
        let wrong = try await rpc(gateway, "sms.send_sms", ["access_token": token, "to": "481234567"])
        #expect(wrong.result as? String == "Wrong parameters")
        let xmlIsNotJSON = try await rpc(
            gateway,
            "sms.send_sms",
            ["access_token": token, "to": "4812", "message": "x", "responsetype": "xml"]
        )
        #expect(xmlIsNotJSON.result as? String == "Wrong parameters")
        #expect(gateway.log.contains(token) == false)
    }

    @Test func countersReadingAndDeletingAgreeWithEachOther() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        let api = APIv1Client(gateway: gateway, token: token)
        for text in ["one", "two", "three"] {
            _ = try await gateway.post("/simulator/incoming", form: [("from", "+46701234567"), ("text", text)])
        }
        _ = try await api("send_sms", [("to", "+46701234567"), ("message", "out")])
        try await eventually("three in the inbox, one sent") {
            let inbox = try await api("get_inbox_length")
            let sent = try await api("get_sentitems_length")
            return inbox == "3" && sent == "1" ? true : nil
        }
        #expect(try await api("get_sendingerror_length") == "0")
        #expect(try await api("get_inbox_length", [("responsetype", "xml")]).contains("<inbox_length>3</inbox_length>"))
        #expect(try await rpc(gateway, "sms.get_inbox_length", ["access_token": token]).result as? Int == 3)
        let extended = try await rpc(
            gateway,
            "sms.get_sentitems_length",
            ["access_token": token, "responsetype": "extended"]
        )
        #expect(extended.result as? [String: String] == ["sentitems_length": "1", "status": "ok"])
        let queue = try await rpc(gateway, "sms.get_queue_length", ["access_token": token, "responsetype": "extended"])
        #expect(queue.result as? [String: String] == ["queue_length": "0", "status": "ok"])

        let read = try await rpc(gateway, "sms.read_sms", ["access_token": token, "folder": "inbox"])
        let rows = try #require(read.result as? [[String: String]])
        #expect(rows.map { $0["TextDecoded"] } == ["one", "two", "three"])
        let ids = rows.compactMap { $0["ID"].flatMap { Int($0) } }
        #expect(ids.count == 3)

        let deleted = try await rpc(
            gateway,
            "sms.delete_sms",
            ["access_token": token, "folder": "inbox", "idfrom": "\(ids[0])", "idto": "\(ids[1])"]
        )
        #expect(deleted.result as? String == "OK")
        #expect(try await api("get_inbox_length") == "1")
        let bad = try await rpc(
            gateway,
            "sms.delete_sms",
            ["access_token": token, "folder": "inbox", "idfrom": "x", "responsetype": "extended"]
        )
        #expect(bad.result as? [String: String] == ["status": "error"])
        #expect(try await api("delete_sms", [("folder", "spam"), ("idfrom", "1"), ("idto", "2")]) == "Error")
        #expect(try await api("delete_sms", [("folder", "inbox"), ("idfrom", "1"), ("idto", "999999999")]) == "OK")
        #expect(
            try await rpc(gateway, "sms.read_sms", ["access_token": token, "folder": "inbox"]).result as? String
                == "No data to display"
        )
    }

    /// No modem here sends MMS: the reference's MMS request is refused at once, saying so, and
    /// nothing is stored (an `OK` would make the integration believe it was sent).
    @Test func anMMSIsRefusedClearlyWithoutAnMMSModem() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
        let params: [String: Any] = [
            "access_token": token, "to": "481234567", "message": "My message", "message_type": "mms",
            "attachments": [["content_type": "image/png", "content ": png]],
        ]
        let body = try JSONSerialization.data(withJSONObject: ["method": "sms.send_sms", "params": params])
        let answer = try await gateway.post("/jsonrpc/sms", json: String(decoding: body, as: UTF8.self))
        #expect(answer.body.contains("MMS cannot be sent: no modem of this gateway sends MMS"), "\(answer.body)")
        #expect(!answer.body.contains("OK"), "\(answer.body)")
        let api = APIv1Client(gateway: gateway, token: token)
        #expect(try await api("get_queue_length") == "0")
        #expect(try await api("read_sms", [("folder", "sendingerror")]) == "No data to display")
        #expect(try gateway.simulatorReceived().isEmpty)

        var wrongType = params
        wrongType["attachments"] = [["content_type": "application/pdf", "content": png]]
        #expect(try await rpc(gateway, "sms.send_sms", wrongType).result as? String == "Wrong parameters")
        var noAttachment = params
        noAttachment["attachments"] = nil
        #expect(try await rpc(gateway, "sms.send_sms", noAttachment).result as? String == "Wrong parameters")
        var fax = params
        fax["message_type"] = "fax"
        #expect(try await rpc(gateway, "sms.send_sms", fax).result as? String == "Wrong parameters")
    }

    /// A Python client using `requests` the way published SMSEagle integrations do.
    @Test func aClientWrittenForSMSEagleWorksUnchanged() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        let script = GatewayProcess.packageRoot.appendingPathComponent("Tests/Support/smseagle_client.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, gateway.baseURL, token]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let results = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((results["send_sms"] as? String)?.firstMatch(of: /^OK; ID=\d+$/) != nil)
        #expect((results["queue_length_xml"] as? [String: String])?["status"] == "ok")
        #expect((results["rpc_send"] as? String)?.hasPrefix("OK; ID=") == true)
        #expect((results["rpc_send_extended"] as? [[String: String]])?.count == 2)
        #expect(results["rpc_signal"] as? Int == 67)
        #expect(results["rpc_bad_token"] as? String == "Invalid access token")
        #expect((results["post_form"] as? String)?.hasPrefix("OK; ID=") == true)
        let sent = try await eventually("five messages at the network") {
            let list = try gateway.simulatorReceived()
            return list.count == 5 ? list : nil
        }
        #expect(sent.contains { $0["text"] as? String == "POSTed ä" })
    }

    @Test func transportErrorsAreClear() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        let malformed = try await gateway.post("/jsonrpc/sms", json: "{\"method\": \"sms.send_sms\", \"params\": ")
        #expect(malformed.status == 400)
        #expect(malformed.body == "{\"result\":\"Wrong parameters\"}")
        let unknown = try await rpc(gateway, "sms.launch_rocket", ["access_token": token])
        #expect(unknown.status == 404)
        #expect(unknown.result as? String == "Unknown method sms.launch_rocket")
        let legacyPath = try await rpc(
            gateway,
            "signal.get_gsmsignal",
            ["access_token": token],
            path: "/index.php/jsonrpc/sms"
        )
        #expect(legacyPath.result as? Int == 67)
    }

    /// Every JSON-RPC body the reference prints is answered with the answer the reference documents
    /// for that case (`sampleAnswers`); the methods not served yet are exactly `notYet`.
    @Test func everySampleBodyOfTheReferenceIsAnswered() async throws {
        let samples = try ReferenceSamples.bodies()
        #expect(samples.count >= 40)
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        try await ReferenceSamples.preparePhonebook(APIv1Client(gateway: gateway, token: token))
        var queued = 0
        var unserved: Set<String> = []
        for (method, params) in samples {
            var params = params
            params["access_token"] = token
            // The sample call lasts 30 s and would hold the modem for the samples after it.
            if params["duration"] != nil { params["duration"] = "1" }
            let (status, result) = try await rpc(gateway, method, params)
            let name = String(method.split(separator: ".").last!)
            if status == 404 {
                unserved.insert(name)
                continue
            }
            #expect(status == 200, "\(method)")
            guard let expected = Self.sampleAnswer(name, queued: queued) else {
                Issue.record("\(method): no documented answer in the table; it answered \(String(describing: result))")
                continue
            }
            #expect(expected.matches(result), "\(method) \(params): \(String(describing: result))")
            if case .created = expected, name.hasPrefix("send_") { queued += 1 }
        }
        #expect(unserved == ReferenceSamples.notYet)
    }

    /// What each reference sample must answer, in the order the samples run (after
    /// `ReferenceSamples.preparePhonebook`); each text is the one the reference prints for the case
    /// the sample is in (seed 001, the method's "Response" list).
    enum SampleAnswer {
        case text(String)
        case created  // "OK; ID=[ID of created …]"
        case count(ClosedRange<Int>)
        case rows(named: String)
        /// No message, or only the network's answers to the USSD sample (`from`): they arrive
        /// when the modem gets to that sample, which depends on this machine's speed.
        case nothingBut(from: String)

        func matches(_ result: Any?) -> Bool {
            switch self {
            case .nothingBut(let sender):
                result as? String == "No data to display"
                    || (result as? [[String: Any]])?.allSatisfy { $0["SenderNumber"] as? String == sender } == true
            case .text(let text): result as? String == text
            case .created: (result as? String)?.wholeMatch(of: /OK; ID=\d+/) != nil
            case .count(let range): (result as? Int).map(range.contains) ?? false
            case .rows(let name): ((result as? [[String: Any]])?.first?["name"] as? String) == name
            }
        }

        /// The same answer in the text form of `/http_api/` (rows as `;`-separated quoted values
        /// under a header line).
        func matches(text: String) -> Bool {
            switch self {
            case .text(let expected): text == expected
            case .created: text.wholeMatch(of: /OK; ID=\d+/) != nil
            case .count(let range): Int(text).map(range.contains) ?? false
            case .rows(let name):
                text.split(separator: "\n").dropFirst().first?.split(separator: ";").dropFirst().first == "\"\(name)\""
            case .nothingBut(let sender):
                text == "No data to display" || Self.senders(text).map { $0.allSatisfy { $0 == sender } } == true
            }
        }

        /// The SenderNumber of each row of a `read_sms` text answer; nil when there is no such column.
        static func senders(_ text: String) -> [String]? {
            let lines = text.split(separator: "\n").map { $0.split(separator: ";").map(String.init) }
            guard let column = lines.first?.firstIndex(of: "SenderNumber") else { return nil }
            return lines.dropFirst().map { column < $0.count ? $0[column].trimmingCharacters(in: ["\""]) : "" }
        }
    }

    /// What `method` must answer after the samples queued `queued` messages: the queue holds at
    /// most those (fewer once the modem has sent some: how many depends on this machine's speed).
    static func sampleAnswer(_ method: String, queued: Int) -> SampleAnswer? {
        method == "get_queue_length" ? .count(0...queued) : sampleAnswers[method]
    }

    static let sampleAnswers: [String: SampleAnswer] = [
        "send_sms": .created, "send_togroup": .created, "send_tocontact": .created,
        "send_binary_sms": .created, "send_ussd": .created,
        // The samples read an inbox with nothing but the answer to send_ussd's *101# (once the modem
        // got to it), and sent items by ids and dates no message has.
        "read_sms": .nothingBut(from: "*101#"),
        "delete_sms": .text("OK"),
        "get_inbox_length": .count(0...1),
        "get_sentitems_length": .count(0...11), "get_sendingerror_length": .count(0...0),
        "get_gsmsignal": .count(0...100),
        "call_with_termination": .text("OK"),
        "get_modem_state": .text("enabled"), "set_modem_state": .text("OK"),
        "group_create": .created,
        "group_read": .text("No data to display"),  // uid 12 has no groups
        "group_update": .text("OK"), "group_delete": .text("OK"),
        // The samples after group_delete name the group it deleted.
        "group_addcontact": .text("Group with the given id does not exists"),
        "group_removecontact": .text("Group with the given id does not exists"),
        "group_members_read": .text("Wrong or missing >>group_id<< parameter"),  // no group 11
        "contact_create": .created,
        "contact_read": .text("No data to display"),
        "contact_update": .text("Contact with the given id does not exists"),  // no contact 4
        "contact_delete": .text("Contact with the given id and name does not exists"),
        "set_contact_vacation_mode": .text("Contact with the given id and name does not exists"),
        "get_contact_vacation_mode": .text("Contact with the given id and name does not exists"),
        "shift_create": .created,
        "shift_read": .rows(named: "myshift"),
        // No shift 24; shift_delete's text alone has no "s" (reference: "does not exist").
        "shift_update": .text("Shift with the given id does not exists"),
        "shift_delete": .text("Shift with the given id does not exist"),
        "shift_addcontact": .text("Shift with the given id does not exists"),
        "shift_removecontact": .text("Shift with the given id does not exists"),
        "userid_read": .text("Wrong >>username<< parameter"),  // no user "myuser"
        "call_forward_read": .text("0"), "call_forward_set": .text("OK"),
        "set_outbox_modem_no": .text("Wrong modem number"),  // one modem: there is no modem 2
    ]

    /// Every example URL of the reference is answered by GET with the answer the reference documents
    /// (`sampleAnswers`, in text form).
    @Test func everyExampleURLOfTheReferenceIsAnswered() async throws {
        let examples = try ReferenceSamples.urls()
        #expect(examples.count >= 45)
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        try await ReferenceSamples.preparePhonebook(APIv1Client(gateway: gateway, token: token))
        var queued = 0
        var unserved: Set<String> = []
        for (method, query) in examples {
            var parameters = FormParameterPairs.parse(query)
            parameters = parameters.map { name, value in
                switch name {
                case "access_token": (name, token)
                case "duration": (name, "1")  // a 30 s call would hold the modem for the examples after it
                default: (name, value)
                }
            }
            let answer = try await gateway.get("/http_api/\(method)", parameters)
            if answer.status == 404 {
                unserved.insert(method)
                continue
            }
            #expect(answer.status == 200, "\(method)")
            // As PHP reads it, the last of repeated names wins: one example asks for modem 2, which
            // this gateway (one simulated modem) does not have.
            let modem = parameters.last { $0.0 == "modem_no" }?.1
            if parameters.contains(where: { $0.0 == "login" }) {
                #expect(answer.body == "Invalid login or password")
            } else if let modem, modem != "1" {
                #expect(["Wrong parameters", "Wrong modem number", "Modem not recognized"].contains(answer.body))
            } else if let expected = Self.sampleAnswer(method, queued: queued) {
                #expect(expected.matches(text: answer.body), "\(method)?\(query): \(answer.body)")
                if case .created = expected, method.hasPrefix("send_") {
                    queued += answer.body.count { $0 == "\n" } + 1
                }
            } else {
                Issue.record("\(method): no documented answer in the table; it answered \(answer.body)")
            }
        }
        #expect(unserved == ReferenceSamples.notYet.intersection(examples.map(\.method)))
    }
}

/// A query string split as written (values percent-decoded), for replaying the reference's examples.
enum FormParameterPairs {
    static func parse(_ query: String) -> [(String, String)] {
        query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let value = parts.count > 1 ? String(parts[1]).removingPercentEncoding ?? String(parts[1]) : ""
            return (String(parts[0]), value)
        }
    }
}
