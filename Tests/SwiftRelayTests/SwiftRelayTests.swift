import Foundation
import SwiftRelay
import SwiftletPluginTestKit
import Testing

/// The SDK's Swift provider example against the test kit's `FakeHost`, as PluginSDK/README.md shows
/// a plugin author testing a provider without a gateway.
@Suite("the Swift provider example with FakeHost")
struct SwiftRelayTests {
    func spoolFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("swiftrelay-\(UUID().uuidString)").path
    }

    @Test("the README's test: registered roles, an SMS accepted once per key, a refusal, and a metric per spooled SMS")
    func transport() async throws {
        let spool = spoolFile()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let host = FakeHost()
        let plugin = try host.makePlugin(
            SwiftRelay.self,
            configuration: #"{"spool": "\#(spool)", "refuse_prefix": "+4699"}"#
        )
        try await plugin.start()
        #expect(host.providers == [.transport: ["swiftspool"], .voice: ["swiftspool"], .directory: ["swiftstatic"]])

        let message = TransportSendRequest(id: 1, key: "k1", to: "+46701234567", text: "Hi")
        let answer = try await host.request(
            plugin,
            .transport,
            kind: ProviderRequestKind.transportSend,
            message,
            as: TransportAnswer.self
        )
        #expect(answer == .accepted(reference: "swiftspool-1"))
        // The same key again (after a gateway crash): accepted, not spooled twice.
        let again = try await host.request(
            plugin,
            .transport,
            kind: ProviderRequestKind.transportSend,
            message,
            as: TransportAnswer.self
        )
        #expect(again == answer)
        let lines = try String(contentsOfFile: spool, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
        #expect(host.metrics.map(\.name) == ["spooled_total"])

        var refused = message
        refused.key = "k2"
        refused.to = "+46990000001"
        let no = try await host.request(
            plugin,
            .transport,
            kind: ProviderRequestKind.transportSend,
            refused,
            as: TransportAnswer.self
        )
        #expect(no == .rejected("the relay refuses this number", permanent: true))
    }

    @Test(
        "the directory: a configured group resolves, an unknown name is not found; a kind it does not answer is refused"
    )
    func directory() async throws {
        let host = FakeHost()
        let plugin = try host.makePlugin(
            SwiftRelay.self,
            configuration: #"{"spool": "\#(spoolFile())", "groups": {"oncall": ["+46701110001"]}}"#
        )
        try await plugin.start()
        let entry = try await host.request(
            plugin,
            .directory,
            kind: ProviderRequestKind.directoryResolve,
            DirectoryRequest(name: "oncall"),
            as: DirectoryEntry.self
        )
        #expect(entry.numbers == ["+46701110001"])
        await #expect(throws: PluginError(.notFound, "the directory has nothing called 'nobody'")) {
            try await host.request(
                plugin,
                .directory,
                kind: ProviderRequestKind.directoryResolve,
                DirectoryRequest(name: "nobody"),
                as: DirectoryEntry.self
            )
        }
        await #expect(throws: PluginError(.unsupported, "this directory does not check credentials")) {
            try await host.request(
                plugin,
                .directory,
                kind: ProviderRequestKind.directoryVerify,
                DirectoryRequest(login: "anna", password: "secret"),
                as: DirectoryVerification.self
            )
        }
    }
}
