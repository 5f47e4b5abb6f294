import Foundation
import TestSupport
import Testing

/// The e-mail plugin loaded by a running gateway with its simulated modem: mail in through swaks
/// becomes SMS on the simulated network, and the answering SMS goes out by mail to a real SMTP server.
@Suite("E-mail plugin in a running gateway")
struct EmailEndToEndTests {
    @Test("mail to three numbers gives exactly three SMS; the answer from one of them is mailed back to the sender")
    func roundTrip() async throws {
        let sink = try SMTPSink()
        try await sink.start()
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let port = MosquittoBroker.freePort()
        let gateway = try GatewayProcess()
        try await gateway.start(
            config: """
                plugin_directory: \(plugins)
                plugins:
                  email:
                    country_code: "46"
                    listener:
                      port: \(port)
                      domains: [sms.test]
                    smtp:
                      - name: relay
                        url: smtp://127.0.0.1:\(sink.port)
                        starttls: false
                        from: gateway@corp.test
                    sms2email:
                      - name: replies
                        mode: two_way
                        to: [helpdesk@corp.test]
                        contains: [way]
                rules:
                  - name: urgent-to-the-boss
                    on: sms.incoming
                    if:
                      - {field: text, matches: "^URGENT"}
                    then:
                      - email.send: {to: "boss@corp.test", subject: "Urgent SMS from {sender}", body: "{text}"}
                """
        )
        defer { gateway.stop() }
        try await gateway.waitForLog("SMTP listener on 127.0.0.1:\(port)")

        let sent = try await Swaks.send(
            port: port,
            [
                "--from", "noc@corp.test", "--to", "0701234567@sms.test,0701234568@sms.test,0701234569@sms.test",
                "--header", "Subject: ALARM", "--body", "Boiler 1 over 90 C",
            ]
        )
        #expect(sent.status == 0, "\(sent.transcript)")
        let received = try await eventually("three SMS on the simulated network") {
            let list = try gateway.simulatorReceived()
            return list.count >= 3 ? list : nil
        }
        try await Task.sleep(for: .seconds(1))
        #expect(try gateway.simulatorReceived().count == 3)
        #expect(
            Set(received.compactMap { $0["recipient"] as? String }) == ["+46701234567", "+46701234568", "+46701234569"]
        )
        #expect(received.allSatisfy { ($0["text"] as? String) == "ALARM\nBoiler 1 over 90 C" })

        let injected = try GatewayProcess.run([
            "sim", "inject", "--url", gateway.baseURL, "--from", "+46701234568", "On my way",
        ])
        #expect(injected.status == 0, "\(injected.stderr)")
        let mail = try await eventually("the answer by mail; log:\n\(gateway.log)") { sink.mails.first }
        #expect(mail.contains("X-Envelope-To: noc@corp.test"))
        #expect(mail.contains("Subject: SMS from +46701234568"))
        #expect(mail.contains("Reply-To: 46701234568@sms.test"))

        // The README's rule: the action email.send through the rule engine.
        try await gateway.waitForRule("urgent-to-the-boss")
        _ = try GatewayProcess.run([
            "sim", "inject", "--url", gateway.baseURL, "--from", "+46709999999", "URGENT call me",
        ])
        let urgent = try await eventually("the rule's mail; log:\n\(gateway.log)") {
            sink.mails.count == 2 ? sink.mails[1] : nil
        }
        #expect(urgent.contains("X-Envelope-To: boss@corp.test"))
        #expect(urgent.contains("Subject: Urgent SMS from +46709999999"))
        #expect(urgent.contains(Data("URGENT call me".utf8).base64EncodedString()))

        let list = try GatewayProcess.run([
            "plugins", "list", "--data-dir", gateway.dataDirectory, "--config",
            gateway.dataDirectory + "-swiftlet.yaml",
        ])
        #expect(list.stdout.contains("listening on 127.0.0.1:\(port)"), "\(list.stdout)\(list.stderr)")
    }
}
