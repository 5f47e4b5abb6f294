import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// Webhooks against a real HTTP receiver that fails, is down, and answers slowly.
@Suite("End to end: webhooks")
struct WebhookTests {
    /// Retries fast enough for a test; an attempt times out after 1 s.
    static let config = """
        webhooks:
          first_retry: 200ms
          max_retry_interval: 1s
          timeout: 1s
          allowed_networks: [127.0.0.1]
        simulator:
          delivery_report_delay: 100ms
        """

    static let secret = "a-webhook-secret-of-some-length"

    /// Adds a webhook for `token`'s user; returns its id and secret.
    static func addWebhook(
        _ gateway: GatewayProcess,
        token: String,
        _ body: [String: Any]
    ) async throws -> (id: Int, secret: String) {
        let answer = try await gateway.apiv2("POST", "/webhooks", token: token, json: body)
        #expect(answer.status == 201, "\(String(describing: answer.body))")
        let object = try #require(answer.body as? [String: Any])
        return (try #require(object["id"] as? Int), try #require(object["secret"] as? String))
    }

    /// The requests the receiver answered 2xx, by idempotency key, and every request by key.
    static func byKey(_ requests: [[String: Any]]) -> [String: [[String: Any]]] {
        Dictionary(grouping: requests) { (($0["headers"] as? [String: String])?["Idempotency-Key"]) ?? "" }
    }

    static func accepted(_ requests: [[String: Any]]) -> [[String: Any]] {
        requests.filter { ($0["status"] as? Int) == 200 }
    }

    static func body(_ request: [String: Any]) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(((request["body"] as? String) ?? "").utf8)) as? [String: Any])
            ?? [:]
    }

    /// Checks every request's signature with Python's hmac (an implementation of its own): prints
    /// how many verified, or the first that did not.
    static func verifySignatures(_ log: String, secret: String) async throws -> String {
        let program = """
            import hmac, hashlib, json, sys, time
            count = 0
            for line in open(sys.argv[1]):
                r = json.loads(line)
                header = r["headers"]["X-Swiftlet-Signature"]
                fields = dict(part.split("=", 1) for part in header.split(","))
                payload = r["body"] if r["method"] == "POST" else r["path"].split("?", 1)[1]
                expected = hmac.new(sys.argv[2].encode(), (fields["t"] + "." + payload).encode(), hashlib.sha256).hexdigest()
                if not hmac.compare_digest(expected, fields["v1"]) or abs(time.time() - int(fields["t"])) > 300:
                    print("BAD", line); sys.exit(1)
                count += 1
            print("verified", count)
            """
        return try await MosquittoBroker.runDetached("/usr/bin/python3", ["-c", program, log, secret]).output
    }

    @Test func everyEventArrivesInOrderThroughFailuresAnOutageAndARestart() async throws {
        let receiver = WebhookReceiver()
        // The first two requests fail with 500, the third is held 3 s (past the 1 s timeout).
        try await receiver.start(["--fail-first", "2", "--slow-first", "1", "--slow-seconds", "3"])
        defer { receiver.stop() }
        let gateway = try GatewayProcess()
        try await gateway.start(config: Self.config)
        let token = try gateway.addUser("alice")
        let hook = try await Self.addWebhook(gateway, token: token, ["url": receiver.url, "secret": Self.secret]).id

        let api = APIv1Client(gateway: gateway, token: token)
        for text in ["first", "second", "third"] {
            #expect(try await api("send_sms", [("to", "+46700000001"), ("message", text)]).hasPrefix("OK; ID="))
        }
        try gateway.inject(from: "+46700000009", "a reply")
        // 3 messages × queued, sent, delivered, and the reply: 10 events.
        try await eventually(timeout: .seconds(30), "ten events accepted") {
            Set(Self.accepted(receiver.requests).compactMap { Self.body($0)["idempotency_key"] as? String }).count == 10
                ? true : nil
        }

        // The receiver went down: events wait, with their attempts and errors visible, across a restart.
        receiver.stop()
        #expect(try await api("send_sms", [("to", "+46700000002"), ("message", "during the outage")]).hasPrefix("OK"))
        let pending = try await eventually("a failed attempt visible") {
            let answer = try await gateway.apiv2("GET", "/webhooks/\(hook)/deliveries?state=pending", token: token)
            let list = answer.body as? [[String: Any]] ?? []
            return list.contains { ($0["attempts"] as? Int ?? 0) >= 2 && $0["last_error"] is String } ? list : nil
        }
        #expect(pending.allSatisfy { $0["next_attempt_at"] is String })
        let logBefore = try String(contentsOfFile: gateway.logFile, encoding: .utf8)
        #expect(
            gateway.logged("webhook: attempt failed; retrying", ["attempt": "1", "error": "HTTP 500"]),
            "the log says what failed"
        )
        #expect(!logBefore.contains(Self.secret), "the secret was logged")
        #expect(gateway.stop() == 0)
        try await receiver.start()
        try await gateway.start(config: Self.config)
        defer { gateway.stop() }
        try await eventually(timeout: .seconds(30), "the outage's three events accepted after the restart") {
            Set(Self.accepted(receiver.requests).compactMap { Self.body($0)["idempotency_key"] as? String }).count == 13
                ? true : nil
        }

        let requests = receiver.requests
        let keys = Self.byKey(requests)
        // Retried attempts carry the same key and the same event; at least the 2 failures and the slow one repeated.
        #expect(requests.count >= 13 + 3)
        for (key, attempts) in keys {
            #expect(!key.isEmpty)
            #expect(Set(attempts.map { Self.body($0)["event_id"] as? Int ?? -1 }).count == 1, "\(key)")
        }
        // Each message's events were accepted in order: queued, sent, delivered.
        let accepted = Self.accepted(requests).map(Self.body)
        var firstAcceptance: [String: Int] = [:]
        for (index, body) in accepted.enumerated() {
            firstAcceptance[body["idempotency_key"] as? String ?? ""] =
                firstAcceptance[body["idempotency_key"] as? String ?? ""] ?? index
        }
        let outgoing = Dictionary(grouping: accepted.filter { $0["to"] != nil }) { $0["message_id"] as? Int ?? 0 }
        #expect(outgoing.count == 4)
        for (id, events) in outgoing {
            let ordered = events.sorted {
                firstAcceptance[$0["idempotency_key"] as! String]! < firstAcceptance[$1["idempotency_key"] as! String]!
            }
            var seen: [String] = []
            for event in ordered where !seen.contains(event["status"] as? String ?? "") {
                seen.append(event["status"] as? String ?? "")
            }
            #expect(seen == ["queued", "sent", "delivered"], "message \(id): \(seen)")
        }
        let reply = try #require(accepted.first { $0["type"] as? String == "message.received" })
        #expect(reply["sender"] as? String == "+46700000009")
        #expect(reply["text"] as? String == "a reply")

        #expect(try await Self.verifySignatures(receiver.log, secret: Self.secret) == "verified \(requests.count)\n")
        let listed = try await gateway.apiv2("GET", "/webhooks/\(hook)", token: token)
        let deliveries = (listed.body as? [String: Any])?["deliveries"] as? [String: Int]
        #expect(deliveries == ["pending": 0, "delivered": 13, "failed": 0], "\(String(describing: listed.body))")
    }

    /// The gateway dies (kill -9) while a delivery is in flight: after the restart the same event
    /// goes again, with the same `Idempotency-Key` and event, so the receiver can drop a duplicate.
    @Test func aDeliveryInFlightAtAKillIsSentAgainWithTheSameKey() async throws {
        let receiver = WebhookReceiver()
        // The first request is held 20 s: it is still in flight when the gateway is killed.
        try await receiver.start(["--slow-first", "1", "--slow-seconds", "20"])
        defer { receiver.stop() }
        let config = Self.config.replacing("timeout: 1s", with: "timeout: 30s")
        let gateway = try GatewayProcess()
        try await gateway.start(config: config)
        let token = try gateway.addUser("alice")
        _ = try await Self.addWebhook(
            gateway,
            token: token,
            ["url": receiver.url, "secret": Self.secret, "events": ["queued"]]
        )
        let api = APIv1Client(gateway: gateway, token: token)
        #expect(try await api("send_sms", [("to", "+46700000001"), ("message", "in flight")]).hasPrefix("OK; ID="))
        let first = try await eventually("the first attempt at the receiver") { receiver.requests.first }
        gateway.kill()

        try await gateway.start(config: config)
        defer { gateway.stop() }
        let again = try await eventually(timeout: .seconds(30), "the event accepted after the restart") {
            Self.accepted(receiver.requests).first
        }
        func header(_ request: [String: Any], _ name: String) -> String? {
            (request["headers"] as? [String: String])?[name]
        }
        #expect(header(again, "Idempotency-Key") != nil)
        #expect(header(again, "Idempotency-Key") == header(first, "Idempotency-Key"))
        #expect(Self.body(again)["event_id"] as? Int == Self.body(first)["event_id"] as? Int)
        #expect(Self.body(again)["text"] as? String == "in flight")
        for request in [first, again] {
            #expect(header(request, "X-Swiftlet-Event") == "queued")
            #expect(header(request, "X-Swiftlet-Delivery-Attempt") == "1")  // attempts are counted when answered
        }
        #expect(receiver.requests.count == 2)
        #expect(try await Self.verifySignatures(receiver.log, secret: Self.secret) == "verified 2\n")
    }

    @Test func aReceiverThatNeverAcceptsIsGivenUpOnVisibly() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start(["--always-fail"])
        defer { receiver.stop() }
        let gateway = try GatewayProcess()
        try await gateway.start(config: Self.config.replacing("timeout: 1s", with: "timeout: 1s\n  give_up_after: 1s"))
        defer { gateway.stop() }
        let token = try gateway.addUser("alice")
        let hook = try await Self.addWebhook(
            gateway,
            token: token,
            ["url": receiver.url, "events": ["sent", "delivered"]]
        )
        .id
        #expect(
            try await APIv1Client(gateway: gateway, token: token)(
                "send_sms",
                [("to", "+46700000001"), ("message", "x")]
            ).hasPrefix("OK")
        )
        let failed = try await eventually(timeout: .seconds(30), "both given up on") {
            let list =
                try await gateway.apiv2("GET", "/webhooks/\(hook)/deliveries?state=failed", token: token).body
                as? [[String: Any]]
            return list?.count == 2 ? list : nil
        }
        // The sent event was given up on first, and only then was delivered tried: in order.
        #expect(failed.map { $0["event"] as? String } == ["delivered", "sent"])
        #expect(failed.allSatisfy { $0["last_error"] as? String == "HTTP 503" })
        let log = try String(contentsOfFile: gateway.logFile, encoding: .utf8)
        #expect(log.contains("gave up on event"))
        let firstDelivered = receiver.requests.firstIndex { Self.body($0)["status"] as? String == "delivered" } ?? -1
        let lastSent = receiver.requests.lastIndex { Self.body($0)["status"] as? String == "sent" } ?? Int.max
        #expect(firstDelivered > lastSent, "a later event of the message went out before the earlier was settled")
    }

    /// `a=1&b=2` (percent-encoded) as a dictionary.
    static func form(_ text: String) -> [String: String] {
        Dictionary(
            text.split(separator: "&").map { pair -> (String, String) in
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                return (parts[0], parts.count > 1 ? parts[1].removingPercentEncoding ?? "" : "")
            },
            uniquingKeysWith: { first, _ in first }
        )
    }

    @Test func theSMSEagleFormatByGetAndPostAndWhoSeesWhat() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { receiver.stop() }
        let posts = WebhookReceiver()
        try await posts.start()
        defer { posts.stop() }
        let gateway = try GatewayProcess()
        try await gateway.start(config: Self.config)
        defer { gateway.stop() }
        let alice = try gateway.addUser("alice")
        let bob = try gateway.addUser("bob")
        let hook = try await Self.addWebhook(
            gateway,
            token: bob,
            [
                "url": receiver.url + "?site=1", "format": "smseagle", "method": "GET", "apikey": "k3y",
                "events": ["incoming", "sent"],
            ]
        )
        // Alice's own webhook, SMSEagle's fields as a POST form, for her statuses and received messages.
        let aliceHook = try await Self.addWebhook(
            gateway,
            token: alice,
            ["url": posts.url, "format": "smseagle", "events": ["incoming", "sent"]]
        )
        #expect(
            try await APIv1Client(gateway: gateway, token: alice)(
                "send_sms",
                [("to", "+46700000001"), ("message", "alice's")]
            ).hasPrefix("OK")
        )
        try gateway.inject(from: "+46700000009", "Hej då")
        let request = try await eventually(timeout: .seconds(30), "the received message at the receiver") {
            receiver.requests.first
        }
        #expect(request["method"] as? String == "GET")
        let query = try #require(
            (request["path"] as? String)?.split(separator: "?", maxSplits: 1).last.map(String.init)
        )
        let fields = Self.form(query)
        #expect(fields["site"] == "1")
        #expect(fields["sender"] == "+46700000009")
        #expect(fields["text"] == "Hej då")
        #expect(fields["apikey"] == "k3y")
        #expect(fields["msgid"].flatMap(Int.init) != nil)
        #expect(fields["timestamp"]?.firstMatch(of: /^\d{14}$/) != nil)
        #expect(try await Self.verifySignatures(receiver.log, secret: hook.secret) == "verified 1\n")

        // Alice's POSTs: her message's status (no apikey was set) and the reply, as form bodies.
        let forms = try await eventually(timeout: .seconds(30), "both POSTs") {
            posts.requests.count == 2 ? posts.requests : nil
        }
        #expect(forms.allSatisfy { $0["method"] as? String == "POST" })
        #expect(
            forms.allSatisfy {
                ($0["headers"] as? [String: String])?["Content-Type"] == "application/x-www-form-urlencoded"
            }
        )
        // Alice's message is not Bob's business: her status event has been delivered (to her), and
        // his webhook still has the reply only.
        try await Task.sleep(for: .seconds(1))
        #expect(receiver.requests.count == 1, "\(receiver.requests)")
        let bodies = forms.map { Self.form($0["body"] as? String ?? "") }
        let sent = try #require(bodies.first { $0["status"] == "sent" })
        #expect(sent["to"] == "+46700000001")
        #expect(sent["text"] == "alice's")
        #expect(sent["apikey"] == nil)
        let reply = try #require(bodies.first { $0["sender"] != nil })
        #expect(reply["sender"] == "+46700000009")
        #expect(reply["text"] == "Hej då")
        #expect(try await Self.verifySignatures(posts.log, secret: aliceHook.secret) == "verified 2\n")
    }

    @Test func badWebhooksAreRefused() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.addUser("alice")
        let reader = try gateway.addUser("sender", methods: "send_sms")
        for (body, message) in [
            (["url": "ftp://example.org/x"], "url: required"),
            (["url": "http://127.0.0.1/x", "events": ["opened"]], "events: 'opened'"),
            (["url": "http://127.0.0.1/x", "format": "xml"], "format: 'xml'"),
            (["url": "http://127.0.0.1/x", "method": "GET"], "method: POST, or GET"),
            (["url": "http://127.0.0.1/x", "secret": "short"], "secret: at least 16"),
        ] as [([String: Any], String)] {
            let answer = try await gateway.apiv2("POST", "/webhooks", token: token, json: body)
            #expect(answer.status == 400)
            #expect(
                ((answer.body as? [String: Any])?["message"] as? String)?.hasPrefix(message) == true,
                "\(String(describing: answer.body))"
            )
        }
        #expect(
            try await gateway.apiv2("POST", "/webhooks", token: reader, json: ["url": "http://127.0.0.1/x"]).status
                == 403
        )
        #expect(try await gateway.apiv2("GET", "/webhooks", token: token).status == 404)
        #expect(try await gateway.apiv2("GET", "/webhooks/1/deliveries", token: token).status == 404)
    }
}
