import KeywordsPlugin
import SwiftletPluginTestKit
import Testing

@Suite("keywords plugin, against the test kit's fake host")
struct KeywordsTests {
    static let configuration = """
        {"keywords": [
            {"keyword": "JOIN", "subscribe": "news", "reply": "Welcome {from}. Send STOP to leave."},
            {"keyword": "stop", "unsubscribe": "news", "reply": "Bye."},
            {"keyword": "HELP", "forward": ["+46700000099"], "forward_text": "Help wanted by {from}: {rest}"}
        ]}
        """

    func started(_ configuration: String = configuration) async throws -> (FakeHost, Keywords) {
        let host = FakeHost()
        let plugin = try host.makePlugin(Keywords.self, configuration: configuration)
        try await plugin.start()
        return (host, plugin)
    }

    @Test("JOIN, in any case, subscribes the sender and replies; STOP unsubscribes and replies")
    func joinAndStop() async throws {
        let (host, plugin) = try await started()
        #expect(host.subscriptions == ["sms.incoming"])

        await plugin.handle(host.incomingSMS(from: "+46701234567", text: "  join the list please"))
        #expect(host.members(of: "news") == ["+46701234567"])
        #expect(host.sent.map(\.to) == [["+46701234567"]])
        #expect(host.sent.map(\.text) == ["Welcome +46701234567. Send STOP to leave."])

        await plugin.handle(host.incomingSMS(from: "+46701234567", text: "Stop"))
        #expect(host.members(of: "news") == [])
        #expect(host.sent.map(\.text).last == "Bye.")
    }

    @Test("a message whose first word is no keyword changes nothing and gets no answer")
    func unknownKeyword() async throws {
        let (host, plugin) = try await started()
        await plugin.handle(host.incomingSMS(from: "+46701234567", text: "JOINING later"))
        await plugin.handle(host.incomingSMS(from: "+46701234567", text: "hello JOIN"))
        #expect(host.sent.isEmpty)
        #expect(host.members(of: "news") == nil)
    }

    @Test("HELP forwards with the rest of the text and sends no reply")
    func forward() async throws {
        let (host, plugin) = try await started()
        await plugin.handle(host.incomingSMS(from: "+46701234567", text: "help  my pump is down "))
        #expect(host.sent.map(\.to) == [["+46700000099"]])
        #expect(host.sent.map(\.text) == ["Help wanted by +46701234567: my pump is down"])
    }

    @Test("no automatic reply to alphanumeric senders (operators, services), but the subscription still happens")
    func noReplyToServices() async throws {
        let (host, plugin) = try await started()
        await plugin.handle(host.incomingSMS(from: "Telia", text: "JOIN"))
        #expect(host.sent.isEmpty)
        #expect(host.members(of: "news") == ["Telia"])
        #expect(host.logs.contains { $0.message.contains("not a phone number") })
    }

    @Test("replies to one sender are limited per hour, so two auto-responders cannot loop")
    func replyLimit() async throws {
        let (host, plugin) = try await started(
            #"{"keywords": [{"keyword": "PING", "reply": "PONG"}], "max_replies_per_hour": 2}"#
        )
        for _ in 0..<4 { await plugin.handle(host.incomingSMS(from: "+46701234567", text: "ping")) }
        await plugin.handle(host.incomingSMS(from: "+46709999999", text: "ping"))
        #expect(host.sent.map(\.to) == [["+46701234567"], ["+46701234567"], ["+46709999999"]])
    }

    @Test("a failing host is logged, and the next message is handled")
    func hostFailure() async throws {
        let (host, plugin) = try await started()
        host.failRequests(with: PluginError(.unavailable, "store is busy"))
        await plugin.handle(host.incomingSMS(from: "+46701234567", text: "JOIN"))
        #expect(host.logs.contains { $0.level == .error && $0.message.contains("store is busy") })
        host.failRequests(with: nil)
        await plugin.handle(host.incomingSMS(from: "+46701234567", text: "JOIN"))
        #expect(host.members(of: "news") == ["+46701234567"])
    }

    @Test("configuration mistakes are refused with the reason")
    func badConfiguration() {
        let host = FakeHost()
        #expect(throws: PluginError(.invalid, "keywords: 'join' is configured twice")) {
            try host.makePlugin(
                Keywords.self,
                configuration: #"{"keywords": [{"keyword": "JOIN"}, {"keyword": "join"}]}"#
            )
        }
        #expect(throws: PluginError(.invalid, "keywords: 'TWO WORDS' is not one word")) {
            try host.makePlugin(Keywords.self, configuration: #"{"keywords": [{"keyword": "TWO WORDS"}]}"#)
        }
    }
}
