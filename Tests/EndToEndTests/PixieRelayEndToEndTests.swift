import Foundation
import SwiftletDomain
import SwiftletStore
import TestSupport
import Testing

/// The built gateway with the `pixie-relay` plugin: relaying through a second Swiftlet gateway's
/// Pixie API (the deployment `Plugins/PixieRelay/README.md` describes), and through the Pixie
/// server written for the tests (`pixie_server.py`) to be killed while posting.
@Suite("End to end: the Pixie cloud relay", .serialized)
struct PixieRelayEndToEndTests {
    static let number = "+46701234567"

    /// A site gateway relaying through `url` with `token`: the relay takes over when the modem is
    /// not ready (or a message waited an hour), and modem_no 2 routes to it.
    func siteConfiguration(_ plugins: String, url: String, token: String, use: String = "fallback") -> String {
        """
        plugin_directory: \(plugins)
        dispatcher:
          transport: pixie
          transport_use: \(use)
          transport_after: 1h
          transport_modem_no: 2
          retry_delay: 1s
        plugins:
          pixie-relay:
            url: \(url)
            token: \(token)
            sender: Site1
            poll_interval: 1
            timeout: 20
        rules:
          - name: route
            on: sms.incoming
            if: {field: text, equals: ROUTE}
            then:
              - send_sms: {to: ["\(Self.number)"], text: "Routed by a rule", modem_no: 2}

        """
    }

    /// Starts `site` with `config` and waits for its relay to be ready.
    func start(_ site: GatewayProcess, _ config: String) async throws {
        try await site.start(config: config)
        try await site.waitForLog(saying: "provider ready", ["role": "transport", "name": "pixie"])
    }

    /// The messages the simulated network of `gateway` received with `text`.
    func received(_ gateway: GatewayProcess, _ text: String) throws -> [[String: Any]] {
        try gateway.simulatorReceived().filter { $0["text"] as? String == text }
    }

    func send(_ api: APIv1Client, _ text: String, _ extra: [(String, String)] = []) async throws -> Int64 {
        let answer = try await api("send_sms", [("to", Self.number), ("message", text)] + extra)
        let id = try #require(answer.firstMatch(of: /ID=\[?(\d+)\]?/), "\(answer)").output.1
        return try #require(Int64(id))
    }

    func message(_ store: SQLiteStore, _ id: Int64) async throws -> OutgoingMessage? {
        try await store.outgoing(matching: MessageQuery(folder: .sentitems)).first { $0.id == id }
    }

    @Test(
        "relaying through a central Swiftlet: with the modem off an alarm leaves through the relay once and its delivery comes back; a reply reaches the site's inbox; with the modem back the modem sends; modem_no 2 routes to the relay"
    )
    func throughCentralSwiftlet() async throws {
        let central = try GatewayProcess()
        try await central.start()
        defer { central.stop() }
        let centralToken = try central.addUser("site1")

        let plugins = try stagedPluginDirectory()
        let site = try GatewayProcess()
        try await start(site, siteConfiguration(plugins, url: central.baseURL, token: centralToken))
        defer {
            site.stop()
            try? FileManager.default.removeItem(atPath: plugins)
        }
        let admin = try site.addUser("admin", admin: true)
        let api = try site.apiv1()
        let store = try SQLiteStore(directory: site.dataDirectory)

        // The modem ready: the modem sends, the relay is not used.
        _ = try await send(api, "Pump 1 normal")
        _ = try await eventually("the modem's message on the site's network") {
            try received(site, "Pump 1 normal").isEmpty ? nil : true
        }

        // The modem off: the alarm leaves through the central gateway, once.
        let off = try await site.apiv2("PUT", "/modem/state/1", token: admin, json: ["state": "disabled"])
        #expect(off.status == 200, "\(String(describing: off.body))")
        let alarm = try await send(api, "ALARM pump 3")
        _ = try await eventually("the alarm on the central gateway's network") {
            try received(central, "ALARM pump 3").isEmpty ? nil : true
        }
        let delivered = try await eventually("the alarm's delivery report back on the site") {
            try await message(store, alarm).flatMap { $0.delivery == .delivered ? $0 : nil }
        }
        #expect(delivered.modem == "transport:pixie")
        #expect(delivered.parts == 1)
        #expect(try received(central, "ALARM pump 3").count == 1)
        #expect(try received(site, "ALARM pump 3").isEmpty)
        let read = try await site.apiv2("GET", "/messages/sentitems/\(alarm)", token: admin)
        let shown = try #require(read.body as? [String: Any])
        #expect(shown["sent_by"] as? String == "transport:pixie" && shown["delivery"] as? String == "delivered")

        // A reply from the central gateway's network comes back into the site's inbox.
        try central.inject(from: Self.number, "ACK pump 3")
        let reply = try await eventually("the reply in the site's inbox") {
            try await store.incoming(matching: MessageQuery(folder: .inbox)).first { $0.text == "ACK pump 3" }
        }
        #expect(reply.sender == Self.number && reply.modem == "pixie-relay")

        // Routed by modem_no 2 while the modem is off, and later while it is on.
        let on = try await site.apiv2("PUT", "/modem/state/1", token: admin, json: ["state": "enabled"])
        #expect(on.status == 200)
        _ = try await eventually("the modem ready again") {
            site.log.components(separatedBy: "modem simulator ready on").count > 2 ? true : nil
        }
        _ = try await send(api, "Pump 3 normal")
        _ = try await eventually("the modem sends again") {
            try received(site, "Pump 3 normal").isEmpty ? nil : true
        }
        #expect(try received(central, "Pump 3 normal").isEmpty, "the relay is not used while the modem is ready")
        let routed = try await send(api, "Routed to the relay", [("modem_no", "2")])
        _ = try await eventually("the routed message on the central gateway's network") {
            try received(central, "Routed to the relay").isEmpty ? nil : true
        }
        #expect(try await message(store, routed)?.modem == "transport:pixie")
        #expect(try received(site, "Routed to the relay").isEmpty)
        try site.inject(from: Self.number, "ROUTE")
        _ = try await eventually("the rule's message on the central gateway's network") {
            try received(central, "Routed by a rule").isEmpty ? nil : true
        }
        #expect(try received(site, "Routed by a rule").isEmpty)
        let refused = try await api("send_sms", [("to", Self.number), ("message", "x"), ("modem_no", "3")])
        #expect(!refused.contains("OK"), "\(refused)")

        let metrics = try await site.get("/metrics").body
        #expect(metrics.contains(#"swiftlet_transport_parts_total{transport="transport:pixie"} 3"#), "\(metrics)")
        #expect(!site.log.contains(centralToken), "the relay's token is never logged")
    }

    @Test(
        "killed -9 while posting: after the restart the message is not posted again, and the relay's stream settles it as delivered"
    )
    func killedWhilePosting() async throws {
        let server = try PixiePeer()
        try await server.start()
        defer { server.stop() }
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let site = try GatewayProcess()
        let config = siteConfiguration(plugins, url: server.url, token: server.token, use: "primary")
        try await start(site, config)
        defer { site.stop() }
        let api = try site.apiv1()

        try server.next("hang:8")
        let id = try await send(api, "Fire in hall B")
        _ = try await eventually("the POST in flight") { try server.posts().isEmpty ? nil : true }
        site.kill()
        try await start(site, config)
        let store = try SQLiteStore(directory: site.dataDirectory)
        let settled = try await eventually(timeout: .seconds(40), "the message settled by the stream") {
            try await message(store, id).flatMap { $0.delivery == .delivered ? $0 : nil }
        }
        #expect(settled.state == .sent)
        let posts = try server.posts()
        #expect(posts.count == 1, "posted once: \(posts)")
        #expect(site.log.contains("it may have been sent, so it is not posted again"))
        #expect(try received(site, "Fire in hall B").isEmpty)
        // Nor did the (ready) modem send it, up to the end.
        site.stop()
        #expect(try await message(store, id)?.modem == "transport:pixie")
    }

    @Test(
        "over its monthly cap the relay takes only urgent messages: with the modem off the rest wait for it; costs and parts are kept per message"
    )
    func monthlyCap() async throws {
        let server = try PixiePeer()
        try await server.start()
        defer { server.stop() }
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let site = try GatewayProcess()
        try await start(
            site,
            siteConfiguration(plugins, url: server.url, token: server.token)
                .replacingOccurrences(
                    of: "  retry_delay: 1s\n",
                    with: "  retry_delay: 1s\n  transport_monthly_cap: 0.5\n  transport_urgent_priority: 8\n"
                )
        )
        defer { site.stop() }
        let admin = try site.addUser("admin", admin: true)
        let api = try site.apiv1()
        let store = try SQLiteStore(directory: site.dataDirectory)
        let off = try await site.apiv2("PUT", "/modem/state/1", token: admin, json: ["state": "disabled"])
        #expect(off.status == 200)
        // 0.34 each (the test server's price): two reach the cap of 0.5.
        for text in ["First", "Second"] {
            let id = try await send(api, text)
            let sent = try await eventually("\(text) through the relay") { try await message(store, id) }
            #expect(sent.modem == "transport:pixie" && sent.cost == 0.34 && sent.parts == 1, "\(sent)")
        }
        let plain = try await send(api, "Third, not urgent")
        let urgent = try await send(api, "Fourth, urgent", [("highpriority", "9")])
        let relayed = try await eventually("the urgent one through the relay") { try await message(store, urgent) }
        #expect(relayed.modem == "transport:pixie")
        _ = try await site.waitForLog("transport reached its monthly cap")
        try await Task.sleep(for: .seconds(2))
        let waiting = try await store.outgoing(matching: MessageQuery(folder: .outbox)).first { $0.id == plain }
        #expect(
            waiting?.state == .queued,
            "the message that is not urgent waits for a modem: \(String(describing: waiting))"
        )
        let posted = try server.posts().compactMap { ($0["body"] as? [String: Any])?["message"] as? String }
        #expect(posted == ["First", "Second", "Fourth, urgent"])

        let on = try await site.apiv2("PUT", "/modem/state/1", token: admin, json: ["state": "enabled"])
        #expect(on.status == 200)
        _ = try await eventually("the modem sends what waited") {
            try received(site, "Third, not urgent").isEmpty ? nil : true
        }
        let metrics = try await site.get("/metrics").body
        let cost = metrics.firstMatch(of: /swiftlet_transport_cost_total\{transport="transport:pixie"\} ([0-9.]+)/)
        #expect(abs((cost.flatMap { Double($0.output.1) } ?? 0) - 1.02) < 0.0001, "\(metrics)")
    }
}
