import Foundation
import TestSupport
import Testing

/// The APIv1 methods that act on a modem, through a real gateway process and its simulated modem.
@Suite("End to end: USSD, calls, call forwarding and modem state through APIv1")
struct ModemAPITests {
    @Test func aUSSDAnswerArrivesInTheInboxFromTheCode() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start(config: "simulator:\n  ussd_answers:\n    \"*111#\": \"Saldo 5,00 EUR\"\n")
        defer { gateway.stop() }
        let token = try gateway.createToken()
        let answer = try await gateway.get("/http_api/send_ussd", [("access_token", token), ("to", "*111#")])
        #expect(answer.body.firstMatch(of: /^OK; ID=\d+$/) != nil, "\(answer.body)")
        let row = try await eventually("the USSD answer in the inbox") {
            let inbox = try await gateway.get("/http_api/read_sms", [("access_token", token), ("folder", "inbox")])
            return parseRows(inbox.body).first { $0["SenderNumber"] == "*111#" }
        }
        #expect(row["TextDecoded"] == "Saldo 5,00 EUR")
        // The answer is committed before the request is marked sent and logged: wait for the line.
        try await gateway.waitForLog("the answer is in the inbox")

        let refused = try await gateway.get("/http_api/send_ussd", [("access_token", token), ("to", "*111#\";ATH")])
        #expect(refused.body == "Wrong parameters")
        let xml = try await gateway.get(
            "/http_api/send_ussd",
            [("access_token", token), ("to", "*111#"), ("modem_no", "2"), ("responsetype", "xml")]
        )
        #expect(xml.body.contains("<error_text>Wrong parameters</error_text>"))
    }

    @Test func aCallIsMadeAndEndedAfterItsDuration() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let api = try gateway.apiv1()
        func call(_ parameters: [(String, String)]) async throws -> String {
            try await api("call_with_termination", parameters)
        }
        #expect(try await call([("to", "+46701234567"), ("duration", "1")]) == "OK")
        let calls = try await eventually("the call to end") {
            let calls = try await gateway.get("/simulator/calls")
            let list = try JSONSerialization.jsonObject(with: Data(calls.body.utf8)) as? [[String: Any]]
            return list?.first?["endedBy"] != nil ? list : nil
        }
        #expect(calls.map { $0["number"] as? String } == ["+46701234567"])
        #expect(calls.first?["endedBy"] as? String == "modem")

        #expect(
            try await call([("to", "+46701234567"), ("duration", "0")]) == "Wrong or missing >>duration<< parameter"
        )
        #expect(try await call([("to", "+46701234567")]) == "Wrong or missing >>duration<< parameter")
        #expect(try await call([("to", "x"), ("duration", "5")]) == "Wrong or missing >>to<< parameter")
        #expect(
            try await call([("to", "+46701234567"), ("duration", "5"), ("modem_no", "2")]) == "Modem not recognized"
        )
    }

    @Test func aModemDisabledThroughTheAPIStaysDisabledAcrossARestartAndKeepsItsMessages() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let method = try gateway.apiv1()
        #expect(try await method("get_modem_state") == "enabled")
        #expect(try await method("get_gsmsignal") == "67")  // the simulator's +CSQ: 21
        #expect(try await method("set_modem_state", [("status", "disabled")]) == "OK")
        #expect(try await method("get_modem_state", [("modem_no", "1")]) == "disabled")
        try await eventually("the modem to close") { try await method("get_gsmsignal") == "-1" ? true : nil }
        #expect(try await method("set_modem_state", [("status", "off")]) == "Wrong modem state")
        #expect(
            try await method("set_modem_state", [("status", "enabled"), ("modem_no", "2")]) == "Wrong modem number"
        )
        #expect(try await method("get_modem_state", [("modem_no", "0")]) == "Wrong modem number")
        #expect(try await method("get_gsmsignal", [("modem_no", "2")]) == "Wrong parameters")
        #expect(
            try await method("set_outbox_modem_no", [("current_modem_no", "1"), ("new_modem_no", "1")])
                == "Wrong modem state"
        )
        #expect(
            try await method("set_outbox_modem_no", [("current_modem_no", "1"), ("new_modem_no", "2")])
                == "Wrong modem number"
        )
        #expect(try await method("set_outbox_modem_no") == "Wrong parameters")

        let queued = try await method("send_sms", [("to", "+46701234567"), ("message", "held while disabled")])
        #expect(queued.hasPrefix("OK; ID="))
        gateway.stop()

        try await gateway.start()
        try await gateway.waitForLog(
            saying: "modem is disabled; its device stays closed until it is enabled",
            ["modem": "simulator"]
        )
        #expect(try await method("get_modem_state") == "disabled")
        #expect(try await method("get_queue_length") == "1")
        #expect(try gateway.simulatorReceived().isEmpty)

        #expect(
            try await method("set_modem_state", [("status", "enabled"), ("responsetype", "xml")]).contains(
                "<status>ok</status>"
            )
        )
        let received = try await eventually("the held message to go out") {
            try gateway.simulatorReceived().first { $0["text"] as? String == "held while disabled" }
        }
        #expect(received["recipient"] as? String == "+46701234567")
    }

    @Test func callForwardingIsSetAndRead() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let method = try gateway.apiv1()
        #expect(try await method("call_forward_read") == "0")
        #expect(try await method("call_forward_set", [("status", "1"), ("number", "+48123456789")]) == "OK")
        #expect(try await method("call_forward_read", [("modem_no", "1")]) == "1;+48123456789")
        let xml = try await method("call_forward_read", [("responsetype", "xml")])
        #expect(xml.contains("<call_forward_status>1;+48123456789</call_forward_status>"))
        #expect(try await method("call_forward_set", [("status", "1")]) == "Wrong parameters")
        #expect(try await method("call_forward_set", [("status", "2")]) == "Wrong parameters")
        #expect(try await method("call_forward_read", [("modem_no", "3")]) == "Wrong parameters")
        #expect(try await method("call_forward_set", [("status", "0")]) == "OK")
        #expect(try await method("call_forward_read") == "0")
        #expect(gateway.logged("APIv1: call forwarding set", ["modem_no": "1", "to": "+48123456789"]))
    }

    @Test func readingByModemNumber() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let api = try gateway.apiv1()
        _ = try await gateway.post("/simulator/incoming", form: [("from", "+46701234567"), ("text", "hello")])
        let rows = try await eventually("the message in the inbox") {
            let rows = parseRows(try await api("read_sms", [("folder", "inbox"), ("modem_no", "1")]))
            return rows.isEmpty ? nil : rows
        }
        #expect(rows.map { $0["RecipientID"] } == ["simulator"])
        #expect(try await api("get_inbox_length", [("modem_no", "1")]) == "1")
        #expect(try await api("get_queue_length", [("modem_no", "2")]) == "Wrong parameters")
        #expect(try await api("read_sms", [("folder", "inbox"), ("modem_no", "2")]) == "Wrong parameters")
    }
}
