import Foundation
import TestSupport
import Testing

@Suite("End to end: a real gateway process with its simulated modem")
struct SendAndReceiveTests {
    @Test func sentMessageReachesTheSimulatedNetworkAndIsListedInSentitems() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()

        let answer = try await gateway.get(
            "/http_api/send_sms",
            [("access_token", token), ("to", "+46701234567"), ("message", "Server room 31°C")]
        )
        #expect(answer.status == 200)
        let id = try #require(answer.body.firstMatch(of: /^OK; ID=(\d+)$/)).output.1

        let received = try await eventually("the simulator to receive the message") {
            try gateway.simulatorReceived().first { $0["recipient"] as? String == "+46701234567" }
        }
        #expect(received["text"] as? String == "Server room 31°C")
        #expect(received["unicode"] as? Bool == true)  // "°" is not in the GSM 7-bit alphabet

        let row = try await eventually("message \(id) in sentitems") {
            let sent = try await gateway.get("/http_api/read_sms", [("access_token", token), ("folder", "sentitems")])
            return parseRows(sent.body).first { $0["ID"] == String(id) }
        }
        #expect(row["DestinationNumber"] == "+46701234567")
        #expect(row["TextDecoded"] == "Server room 31°C")
        #expect(["SendingOK", "DeliveryOK"].contains(row["Status"]))  // the report may not be in yet
        #expect(row["TPMR"] == "\((received["references"] as? [Int])?.first ?? -1)")
        let queue = try await gateway.get("/http_api/get_queue_length", [("access_token", token)])
        #expect(queue.body == "0")
        try await gateway.waitForLog(saying: "sent message", ["message.id": String(id), "to": "+46701234567"])
    }

    /// The reference's example: a WAP push (port-addressing header) with its data.
    @Test func aBinaryMessageReachesTheNetworkWithItsHeaderAndData() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let api = try gateway.apiv1()
        let data = "EA0601AE02056A0045C60C037777772E736D736561676C652E657500080103534D534561676C65000101"
        let answer = try await api(
            "send_binary_sms",
            [("to", "1234567"), ("udh", "0605040B8423F0"), ("data", data), ("class", "1")]
        )
        #expect(answer.firstMatch(of: /^OK; ID=\d+$/) != nil, "\(answer)")
        let received = try await eventually("the binary message at the network") {
            try gateway.simulatorReceived().first
        }
        #expect(received["recipient"] as? String == "1234567")
        #expect(received["header"] as? String == "05040B8423F0")
        #expect(received["data"] as? String == data)
        #expect(received["messageClass"] as? Int == 1)

        #expect(
            try await api("send_binary_sms", [("to", "1234567"), ("udh", "0705040B8423F0"), ("data", data)])
                == "Wrong or missing >>udh<< parameter"
        )
        #expect(
            try await api("send_binary_sms", [("to", "1234567"), ("data", "ABC")])
                == "Wrong or missing >>data<< parameter"
        )
        #expect(try await api("send_binary_sms", [("to", "1234567")]) == "Wrong or missing >>data<< parameter")
        let tooLong = String(repeating: "00", count: 135)
        #expect(
            try await api("send_binary_sms", [("to", "1234567"), ("udh", "0605040B8423F0"), ("data", tooLong)])
                == "Wrong or missing >>data<< parameter"
        )
        #expect(
            try await api("send_binary_sms", [("to", "1234567"), ("data", "00"), ("class", "4")]) == "Wrong parameters"
        )
    }

    @Test func validityWindowAndOidAreKept() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start(config: "time_zone: UTC\n")
        defer { gateway.stop() }
        let api = try gateway.apiv1()
        _ = try await api(
            "send_sms",
            [("to", "+46701234567"), ("message", "valid 1h"), ("validity", "1h"), ("oid", "ticket-4711")]
        )
        let received = try await eventually("the message at the network") { try gateway.simulatorReceived().first }
        #expect(received["validityMinutes"] as? Int == 60)
        _ = try await gateway.post("/simulator/incoming", form: [("from", "+46701234567"), ("text", "ack")])
        _ = try await gateway.post("/simulator/incoming", form: [("from", "+46709999999"), ("text", "stranger")])
        let inbox = try await eventually("both replies") {
            let rows = parseRows(try await api("read_sms", [("folder", "inbox")]))
            return rows.count == 2 ? rows : nil
        }
        #expect(inbox.map { $0["oid"] } == ["ticket-4711", ""])

        // A window that opens in two hours: the message waits in the outbox until then.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let now = Date()
        let opens = calendar.date(byAdding: .hour, value: 2, to: now)!
        let closes = calendar.date(byAdding: .hour, value: 3, to: now)!
        func clock(_ date: Date) -> String {
            let parts = calendar.dateComponents([.hour, .minute], from: date)
            return String(format: "%02d:%02d:00", parts.hour!, parts.minute!)
        }
        let held = try await api(
            "send_sms",
            [
                ("to", "+46701234567"), ("message", "later"), ("send_after", clock(opens)),
                ("send_before", clock(closes)),
            ]
        )
        #expect(held.hasPrefix("OK; ID="))
        let outbox = parseRows(try await api("read_sms", [("folder", "outbox")]))
        #expect(outbox.map { $0["TextDecoded"] } == ["later"])
        let due = String(try #require(outbox.first?["SendingDateTime"]).prefix(16))
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        formatter.timeZone = calendar.timeZone
        #expect(due == formatter.string(from: opens))

        #expect(
            try await api("send_sms", [("to", "+46701234567"), ("message", "x"), ("validity", "3x")])
                == "Wrong parameters"
        )
        #expect(
            try await api("send_sms", [("to", "+46701234567"), ("message", "x"), ("send_after", "25:00:00")])
                == "Wrong parameters"
        )
        #expect(
            try await api(
                "send_sms",
                [("to", "+46701234567"), ("message", "x"), ("oid", String(repeating: "o", count: 37))]
            ) == "Wrong parameters"
        )
    }

    @Test func deliveryReportsShowInSentitems() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start(
            config: "simulator:\n  delivery_report_delay: 500ms\n  undeliverable: [\"+46700000001\"]\n"
        )
        defer { gateway.stop() }
        let token = try gateway.createToken()
        _ = try await gateway.get(
            "/http_api/send_sms",
            [("access_token", token), ("to", "+46701234567,+46700000001"), ("message", "status?")]
        )
        let rows = try await eventually("both reports") {
            let sent = try await gateway.get("/http_api/read_sms", [("access_token", token), ("folder", "sentitems")])
            let rows = parseRows(sent.body)
            return rows.count == 2 && rows.allSatisfy({ $0["Status"] != "SendingOK" }) ? rows : nil
        }
        #expect(rows.map { $0["Status"] } == ["DeliveryOK", "DeliveryFailed"])
        #expect(rows.allSatisfy { $0["DeliveryDateTime"]?.isEmpty == false })
        #expect(gateway.logged("status report", ["delivery": "not delivered", "status": "0x41"]))
    }

    @Test func withoutDeliveryReportsSentitemsSaysSo() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start(config: "dispatcher:\n  delivery_reports: false\n")
        defer { gateway.stop() }
        let token = try gateway.createToken()
        _ = try await gateway.get(
            "/http_api/send_sms",
            [("access_token", token), ("to", "+46701234567"), ("message", "x")]
        )
        let row = try await eventually("the message in sentitems") {
            let sent = try await gateway.get("/http_api/read_sms", [("access_token", token), ("folder", "sentitems")])
            return parseRows(sent.body).first
        }
        #expect(row["Status"] == "SendingOKNoReport")
        #expect(row["DeliveryDateTime"] == "")
    }

    @Test func severalRecipientsGetOneMessageAndOneIDEach() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()

        let answer = try await gateway.get(
            "/http_api/send_sms",
            [("access_token", token), ("to", "+46701111111,+46702222222,0703333333"), ("message", "Drill at 10:00")]
        )
        let ids = answer.body.split(separator: "\n").map { String($0) }
        #expect(ids.count == 3)
        #expect(ids.allSatisfy { $0.hasPrefix("OK; ID=") })
        let recipients = try await eventually("three messages at the simulator") {
            let list = try gateway.simulatorReceived()
            return list.count == 3 ? Set(list.compactMap { $0["recipient"] as? String }) : nil
        }
        #expect(recipients == ["+46701111111", "+46702222222", "0703333333"])
    }

    /// `simulator.modems: 3` starts three simulated modems; a modem busy for a second with one message
    /// leaves the next to another, so three messages go out through all three.
    @Test func severalSimulatedModemsShareTheQueue() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start(config: "simulator:\n  modems: 3\n  send_delay: 1s\n")
        defer { gateway.stop() }
        try await eventually("three simulated modems ready") {
            gateway.log.components(separatedBy: " ready on /dev/pts/").count == 4 ? true : nil
        }
        let token = try gateway.createToken()
        let answer = try await gateway.get(
            "/http_api/send_sms",
            [("access_token", token), ("to", "+46701111111,+46702222222,+46703333333"), ("message", "Shared")]
        )
        #expect(answer.body.split(separator: "\n").count == 3)
        let modems = try await eventually(timeout: .seconds(20), "three messages at the simulated network") {
            let list = try gateway.simulatorReceived()
            return list.count == 3 ? list.compactMap { $0["modem"] as? String } : nil
        }
        #expect(Set(modems) == ["simulator", "simulator2", "simulator3"])
    }

    @Test func smsInjectedIntoTheSimulatorAppearsInTheInbox() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()

        let inject = try GatewayProcess.run([
            "sim", "inject", "--url", gateway.baseURL, "--from", "+46709876543", "ACK alarm 17 ✓",
        ])
        #expect(inject.status == 0, "\(inject.stderr)")

        let row = try await eventually("the message in the inbox") {
            let inbox = try await gateway.get("/http_api/read_sms", [("access_token", token), ("folder", "inbox")])
            return parseRows(inbox.body).first
        }
        #expect(row["SenderNumber"] == "+46709876543")
        #expect(row["TextDecoded"] == "ACK alarm 17 ✓")
        #expect(row["Coding"] == "Unicode_No_Compression")

        let filtered = try await gateway.get(
            "/http_api/read_sms",
            [("access_token", token), ("folder", "inbox"), ("from", "+46700000000")]
        )
        #expect(filtered.body == "No data to display")
        let xml = try await gateway.get(
            "/http_api/read_sms",
            [("access_token", token), ("folder", "inbox"), ("unread", "1"), ("responsetype", "xml")]
        )
        #expect(xml.body.contains("<TextDecoded>ACK alarm 17 ✓</TextDecoded>"))
        #expect(xml.body.hasSuffix("<status>ok</status>\n</xml>"))

        let incomplete = try await gateway.post("/simulator/incoming", form: [("from", "+4670")])
        #expect(incomplete.status == 400)
        let error = try JSONSerialization.jsonObject(with: Data(incomplete.body.utf8)) as? [String: String]
        #expect(error?["error"] == "form fields 'from' and 'text' are required")
    }

    @Test func longIncomingMessageWithPartsOutOfOrderArrivesAsOneMessage() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        let text = (1...40).map { "line \($0). " }.joined()  // 3 parts
        let inject = try GatewayProcess.run([
            "sim", "inject", "--url", gateway.baseURL, "--from", "+46709876543", "--shuffle", text,
        ])
        #expect(inject.status == 0, "\(inject.stderr)")
        let row = try await eventually("the joined message in the inbox") {
            let inbox = try await gateway.get("/http_api/read_sms", [("access_token", token), ("folder", "inbox")])
            return parseRows(inbox.body).first
        }
        #expect(row["TextDecoded"] == text)
        let inbox = try await gateway.get("/http_api/read_sms", [("access_token", token), ("folder", "inbox")])
        #expect(parseRows(inbox.body).count == 1)
    }

    @Test func longMessageIsSentInPartsAndJoinedByTheNetwork() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        let text = String(repeating: "Pump 3 pressure low. ", count: 12)  // 252 GSM characters: 2 parts

        _ = try await gateway.get(
            "/http_api/send_sms",
            [("access_token", token), ("to", "+4670555"), ("message", text)]
        )
        let received = try await eventually("the joined message") { try gateway.simulatorReceived().first }
        #expect(received["parts"] as? Int == 2)
        #expect(received["text"] as? String == text)
    }
}

/// A client that asks for `Connection: close` (scripts, `wrk -H`) is told the connection closes, as
/// HTTP/1.1 wants; a keep-alive client is not.
@Suite("End to end: HTTP connection handling")
struct ConnectionHandlingTests {
    @Test func connectionCloseIsAnsweredWithConnectionClose() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        let url = "\(gateway.baseURL)/http_api/send_sms?access_token=\(token)&to=%2B46701111111&message=Close"

        func headers(_ extra: [String]) throws -> String {
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-s", "-D", "-", "-o", "/dev/null"] + extra + [url]
            let output = Pipe()
            curl.standardOutput = output
            try curl.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            curl.waitUntilExit()
            return text.lowercased()
        }
        let closing = try headers(["-H", "Connection: close"])
        #expect(closing.hasPrefix("http/1.1 200"), "\(closing)")
        #expect(closing.contains("connection: close"), "\(closing)")
        let keeping = try headers([])
        #expect(keeping.hasPrefix("http/1.1 200"), "\(keeping)")
        #expect(!keeping.contains("connection: close"), "\(keeping)")
    }
}
