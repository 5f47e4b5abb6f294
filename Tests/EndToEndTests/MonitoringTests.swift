import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// Monitoring over HTTP: the Prometheus exposition checked by Prometheus' own `promtool`, its
/// counters moving with messages sent and received, its optional bearer token, and the status
/// `swiftlet status` reads with the data directory's key.
@Suite("End to end: metrics and status")
struct MonitoringTests {
    /// `promtool check metrics` of `text`: its status and what it said.
    func promtool(_ text: String) async throws -> (status: Int32, output: String) {
        try await MosquittoBroker.runDetached("/usr/bin/promtool", ["check", "metrics"], input: text)
    }

    /// The value of the series `series` (name and labels exactly as exposed), if present.
    func value(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
            .flatMap { Double($0.dropFirst(series.count + 1)) }
    }

    @Test func metricsPassPromtoolAndMoveWithMessages() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let before = try await gateway.get("/metrics")
        #expect(before.status == 200)
        let lint = try await promtool(before.body)
        #expect(lint.status == 0 && lint.output.isEmpty, "promtool: \(lint.output)")
        #expect(value(before.body, #"swiftlet_messages_sent_total{modem="simulator"}"#) == 0)
        #expect(value(before.body, #"swiftlet_messages_queued_total{origin="apiv1"}"#) == 0)

        let api = try gateway.apiv1()
        for text in ["one", "two"] { _ = try await api("send_sms", [("to", "+46701234567"), ("message", text)]) }
        let token = try gateway.createToken()
        let v2 = try await gateway.request(
            "/api/v2/messages/sms",
            method: .POST,
            token: token,
            body: #"{"to": ["+46701234568"], "text": "three"}"#
        )
        #expect(v2.status == 200, "\(v2.body)")
        try gateway.inject(from: "+46709876543", "a reply")

        let after = try await eventually("three sent and one received in /metrics") {
            let text = try await gateway.get("/metrics").body
            return value(text, #"swiftlet_messages_sent_total{modem="simulator"}"#) == 3
                && value(text, #"swiftlet_messages_received_total{modem="simulator"}"#) == 1 ? text : nil
        }
        #expect(value(after, #"swiftlet_messages_queued_total{origin="apiv1"}"#) == 2)
        #expect(value(after, #"swiftlet_messages_queued_total{origin="apiv2"}"#) == 1)
        #expect(value(after, "swiftlet_send_latency_seconds_count") == 3)
        #expect(value(after, #"swiftlet_outgoing_messages{state="sent"}"#) == 3)
        #expect(value(after, "swiftlet_inbox_messages") == 1)
        #expect(value(after, #"swiftlet_modem_up{modem="simulator"}"#) == 1)
        #expect(value(after, #"swiftlet_modem_registration{modem="simulator",state="home"}"#) == 1)
        #expect((value(after, #"swiftlet_modem_signal_percent{modem="simulator"}"#) ?? 0) > 0)
        let lintAfter = try await promtool(after)
        #expect(lintAfter.status == 0 && lintAfter.output.isEmpty, "promtool: \(lintAfter.output)")

        // The same snapshot for a person at the terminal, and as JSON; no key, no status.
        let status = try GatewayProcess.run(["status", "--data-dir", gateway.dataDirectory, "--url", gateway.baseURL])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("simulator") && status.stdout.contains("Swiftlet Sim"), "\(status.stdout)")
        #expect(status.stdout.contains("last 24 h: sent 3, failed 0"), "\(status.stdout)")
        #expect(try await gateway.get("/status.json").status == 401)
        let other = try GatewayProcess()
        let refused = try GatewayProcess.run(["status", "--data-dir", other.dataDirectory, "--url", gateway.baseURL])
        #expect(refused.status == 1 && refused.stderr.contains("does not take the status key"), "\(refused.stderr)")
    }

    @Test func aConfiguredTokenGuardsTheMetrics() async throws {
        let gateway = try GatewayProcess()
        let secret = "scrape-me-9f2c71a0"
        try await gateway.start(config: "metrics:\n  token: \(secret)\n")
        defer { gateway.stop() }
        #expect(try await gateway.get("/metrics").status == 401)
        let wrong = try await gateway.request(
            "/metrics",
            method: .GET,
            headers: ["Authorization": "Bearer scrape-me-9f2c71a1"]
        )
        #expect(wrong.status == 401)
        let right = try await gateway.request("/metrics", method: .GET, headers: ["Authorization": "Bearer \(secret)"])
        #expect(right.status == 200 && right.body.contains("swiftlet_build_info"))
        #expect(!gateway.log.contains(secret), "the token is in the log")
    }

    @Test func metricsCanBeTurnedOff() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start(config: "metrics:\n  enabled: false\n")
        defer { gateway.stop() }
        #expect(try await gateway.get("/metrics").status == 404)
    }
}
