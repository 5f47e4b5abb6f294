import Foundation
import SwiftletPluginSDK
import SwiftletPluginTestKit
import TestSupport
import Testing

@testable import PixieRelayPlugin

/// The relay with the SDK's FakeHost made from its manifest, against a Pixie-compatible server
/// written for the tests from seed 002 (`Tests/Support/pixie_server.py`), which the test steers.
@Suite("pixie-relay against a Pixie-compatible server", .serialized)
struct PixieRelayPluginTests {
    static let manifest = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Plugins/PixieRelay/pixie-relay.plugin.json").path

    init() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// A started relay on `host`, reading its stream only when the test says (`poll()`).
    func relay(
        _ server: PixiePeer,
        host: FakeHost,
        timeout: Int = 3,
        _ extra: String = ""
    ) async throws -> PixieRelayPlugin {
        let plugin = try host.makePlugin(
            PixieRelayPlugin.self,
            configuration: """
                {"url": "\(server.url)/", "token": "\(server.token)", "sender": "Alarms", "poll_interval": 3600,
                 "timeout": \(timeout)\(extra)}
                """
        )
        try await plugin.start()
        return plugin
    }

    func send(
        _ host: FakeHost,
        _ plugin: PixieRelayPlugin,
        id: Int,
        to: String = "+46701234567",
        text: String = "Fire in building 3",
        key: String? = nil
    ) async throws -> TransportAnswer {
        try await host.request(
            plugin,
            .transport,
            kind: ProviderRequestKind.transportSend,
            TransportSendRequest(id: id, key: key ?? "swiftlet-\(id)-1", to: to, text: text),
            as: TransportAnswer.self
        )
    }

    @Test(
        "a message is posted as Pixie documents it, once: accepted with the campaign id, parts and cost; offered again under its key it is not posted again; its status comes back once though the stream repeats itself"
    )
    func sendOnce() async throws {
        let server = try PixiePeer()
        try await server.start()
        defer { server.stop() }
        let host = try FakeHost(manifest: Self.manifest)
        let plugin = try await relay(server, host: host)
        #expect(host.providers[.transport] == ["pixie"])

        let answer = try await send(host, plugin, id: 1)
        #expect(answer == .accepted(reference: "172123", parts: 1, cost: 0.34, reports: true))
        let posts = try server.posts()
        #expect(posts.count == 1)
        let body = try #require(posts.first?["body"] as? [String: Any])
        #expect(body["sender"] as? String == "Alarms")
        #expect(body["message"] as? String == "Fire in building 3")
        #expect(body["recipients"] as? [String] == ["+46701234567"])
        #expect(posts.first?["content_type"] as? String == "application/json")

        // The gateway stopped before it recorded the answer: the same key again is not posted again.
        #expect(try await send(host, plugin, id: 1) == answer)
        #expect(try server.posts().count == 1)

        // 161 characters: two parts, billed as two.
        let long = String(repeating: "a", count: 161)
        #expect(
            try await send(host, plugin, id: 2, text: long)
                == .accepted(reference: "172124", parts: 2, cost: 0.68, reports: true)
        )

        try server.duplicates(true)
        await plugin.poll()
        await plugin.poll()
        let reports = host.deliveryReports
        #expect(reports.map(\.id) == [1, 2], "\(reports)")
        #expect(reports.allSatisfy { $0.status == .delivered })
        #expect(reports.map(\.key) == ["swiftlet-1-1", "swiftlet-2-1"])
        await plugin.stop()
    }

    @Test(
        "rejected and opted-out recipients fail for good with the relay's reason; a 500 is tried again later; a 429 with a short Retry-After is waited out and posted again; a long one rests the transport; a refused token puts it down"
    )
    func refusals() async throws {
        let server = try PixiePeer()
        try await server.start()
        defer { server.stop() }
        let host = try FakeHost(manifest: Self.manifest)
        let plugin = try await relay(server, host: host)

        let invalid = try await send(host, plugin, id: 1, to: "+46991234567")
        #expect(answerIs(invalid, permanent: true, saying: "invalid_number_format"), "\(invalid)")
        let optedOut = try await send(host, plugin, id: 2, to: "+46981234567")
        #expect(answerIs(optedOut, permanent: true, saying: "opted out"), "\(optedOut)")

        try server.next("500")
        let failed = try await send(host, plugin, id: 3)
        #expect(answerIs(failed, permanent: false, saying: "(500)"), "\(failed)")

        try server.next("429:2")
        let clock = ContinuousClock()
        let started = clock.now
        let waited = try await send(host, plugin, id: 4)
        #expect(waited.accepted, "\(waited)")
        #expect(clock.now - started >= .seconds(2))
        #expect(try server.posts().suffix(2).map { $0["response"] as? String } == ["429:2", "ok"])

        try server.next("429:60")
        let limited = try await send(host, plugin, id: 5)
        #expect(answerIs(limited, permanent: false, saying: "Retry-After 60"), "\(limited)")
        #expect(host.healthReports.last?.health == .down)
        let posted = try server.posts().count
        let resting = try await send(host, plugin, id: 6)
        #expect(answerIs(resting, permanent: false, saying: "wait"), "\(resting)")
        #expect(try server.posts().count == posted, "nothing is posted while the relay asked to wait")
        await plugin.stop()

        let other = try FakeHost(manifest: Self.manifest)
        let refused = try await relay(server, host: other)
        try server.next("401")
        let unauthorised = try await send(other, refused, id: 7)
        #expect(answerIs(unauthorised, permanent: false, saying: "refused the token"), "\(unauthorised)")
        #expect(other.healthReports.last?.health == .down)
        #expect(!other.logs.contains { $0.message.contains(server.token) }, "the token is never logged")
        await refused.stop()
    }

    @Test(
        "a POST whose answer never comes is uncertain: failed for good, never posted again (after a restart too), and settled by the stream's status"
    )
    func uncertain() async throws {
        let server = try PixiePeer()
        try await server.start()
        defer { server.stop() }
        let host = try FakeHost(manifest: Self.manifest)
        let plugin = try await relay(server, host: host)

        try server.next("hang:5")
        let answer = try await send(host, plugin, id: 1)
        #expect(answerIs(answer, permanent: true, saying: "uncertain"), "\(answer)")
        #expect(try await send(host, plugin, id: 1).accepted == false)
        #expect(try server.posts().count == 1, "an uncertain message is not posted again")

        // The gateway restarted: a new plugin on the same state does not post it either.
        await plugin.stop()
        let after = try await Self.restarted(host)
        let restarted = try await relay(server, host: after)
        let again = try await send(after, restarted, id: 1)
        #expect(answerIs(again, permanent: true, saying: "uncertain"), "\(again)")
        #expect(try server.posts().count == 1)

        // The relay took it after all: its status settles it.
        await restarted.poll()
        #expect(after.deliveryReports.map(\.status) == [.delivered])
        #expect(after.deliveryReports.first?.id == 1)
        await restarted.stop()
    }

    @Test(
        "a gateway killed while posting: the key recorded before the POST left makes the message uncertain when it is offered again"
    )
    func crashWhilePosting() async throws {
        let server = try PixiePeer()
        try await server.start()
        defer { server.stop() }
        let host = try FakeHost(manifest: Self.manifest)
        let plugin = try await relay(server, host: host, timeout: 20)
        try server.next("hang:3")
        let inFlight = Task { try await send(host, plugin, id: 9) }
        _ = try await eventually("the POST in flight") { try server.posts().isEmpty ? nil : true }
        // What a new process sees while the first is still posting: the key is on record.
        let after = try await Self.restarted(host)
        let second = try await relay(server, host: after)
        let answer = try await send(after, second, id: 9)
        #expect(answerIs(answer, permanent: true, saying: "being posted when the gateway stopped"), "\(answer)")
        #expect(try await inFlight.value.accepted)
        #expect(try server.posts().count == 1)
        await plugin.stop()
        await second.stop()
    }

    @Test(
        "received messages reach the inbox once, though the stream repeats them; one the gateway cannot take now is kept and handed on later"
    )
    func incoming() async throws {
        let server = try PixiePeer()
        try await server.start()
        defer { server.stop() }
        let host = try FakeHost(manifest: Self.manifest)
        let plugin = try await relay(server, host: host, #", "channel": "cloud""#)
        try server.duplicates(true)
        try server.receive(from: "+46701740605", text: "RESET PUMP 3")
        await plugin.poll()
        await plugin.poll()
        #expect(host.delivered.map(\.text) == ["RESET PUMP 3"])
        #expect(host.delivered.first?.from == "+46701740605" && host.delivered.first?.channel == "cloud")
        #expect(host.delivered.first?.sentAt != nil)

        try server.duplicates(false)
        host.failRequests(with: PluginError(.unavailable, "the inbox is busy"))
        try server.receive(from: "+46701740606", text: "ACK 12")
        await plugin.poll()
        host.failRequests(with: nil)
        #expect(host.delivered.count == 1)
        await plugin.poll()
        #expect(host.delivered.map(\.text) == ["RESET PUMP 3", "ACK 12"])
        await plugin.stop()
    }

    @Test("over HTTPS the relay's certificate is checked: an unknown one is refused before anything is sent")
    func certificates() async throws {
        let server = try PixiePeer()
        try await server.start(tls: true)
        defer { server.stop() }
        let host = try FakeHost(manifest: Self.manifest)
        let untrusted = try await relay(server, host: host)
        let refused = try await send(host, untrusted, id: 1)
        #expect(answerIs(refused, permanent: false, saying: "nothing was sent"), "\(refused)")
        #expect(try server.posts().isEmpty)
        await untrusted.stop()

        let other = try FakeHost(manifest: Self.manifest)
        let trusted = try await relay(server, host: other, #", "ca_file": "\#(server.certificate ?? "")""#)
        #expect(try await send(other, trusted, id: 2).accepted)
        #expect(try server.posts().count == 1)
        await trusted.stop()
    }

    @Test("a configuration that would leak the token or cannot work is refused, saying why")
    func refusedConfigurations() throws {
        let host = try FakeHost(manifest: Self.manifest)
        func refusal(_ json: String) -> String? {
            do {
                _ = try host.makePlugin(PixieRelayPlugin.self, configuration: json)
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal(#"{"url": "http://relay.example.com", "token": "t"}"#)?.contains("in the clear") == true)
        #expect(refusal(#"{"url": "http://relay.example.com", "token": "t", "allow_plaintext": true}"#) == nil)
        #expect(refusal(#"{"url": "https://relay.example.com"}"#)?.contains("token: required") == true)
        #expect(refusal(#"{"url": "ftp://relay.example.com", "token": "t"}"#)?.contains("not an http(s) URL") == true)
        #expect(
            refusal(#"{"url": "https://relay.example.com", "token": "t", "sender": "Larm å"}"#)?.contains("sender")
                == true
        )
        #expect(
            refusal(#"{"url": "https://relay.example.com", "token": "t", "token_file": "/x"}"#)?.contains("not both")
                == true
        )
        #expect(refusal(#"{"url": "https://app.pixie.se/api/v2/sms", "token": "t"}"#) == nil)
        #expect(
            refusal(#"{"url": "https://relay.example.com", "token": "t", "channel": "Cloud 1"}"#)?
                .contains("channel: 'Cloud 1' may hold only") == true
        )
    }

    @Test("status words and Retry-After as relays write them")
    func words() {
        #expect(PixieRelayPlugin.status("DELIVRD") == .delivered)
        #expect(PixieRelayPlugin.status("undelivered") == .failed)
        #expect(PixieRelayPlugin.status("sent") == .sent)
        #expect(PixieRelayPlugin.status("queued") == nil)
        #expect(PixieClient.seconds(retryAfter: "120") == 120)
        let inAMinute = Date().addingTimeInterval(60)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let seconds = PixieClient.seconds(retryAfter: formatter.string(from: inAMinute)) ?? 0
        #expect((58...61).contains(seconds), "\(seconds)")
        #expect(PixieClient.date("2023-06-15T10:23:55+0000") == Date(timeIntervalSince1970: 1_686_824_635))
    }

    /// A host for the plugin after a restart: the same manifest and the plugin's state as it is now.
    static func restarted(_ host: FakeHost) async throws -> FakeHost {
        let next = try FakeHost(manifest: manifest)
        for (key, value) in host.stateValues { try await next.setState(value, forKey: key) }
        return next
    }

    func answerIs(_ answer: TransportAnswer, permanent: Bool, saying text: String) -> Bool {
        !answer.accepted && answer.permanent == permanent && (answer.error ?? "").contains(text)
    }
}
