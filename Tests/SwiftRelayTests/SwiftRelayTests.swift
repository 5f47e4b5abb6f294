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

/// A plugin whose configuration has no defaults of its own: the host must fill them in.
struct NeedsDefaults: Plugin {
    struct Configuration: Decodable, Sendable {
        var spool: String
        var digits: String
    }
    static let id = "swiftrelay"
    static let version = "1.0.0"
    let configuration: Configuration
    init(configuration: Configuration, host: any PluginHost) throws { self.configuration = configuration }
}

@Suite("FakeHost made from a manifest behaves like the gateway")
struct ManifestHostTests {
    static let manifest = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("PluginSDK/Examples/SwiftRelay/swiftrelay.plugin.json").path

    @Test(
        "the manifest's defaults are filled in, and a host call outside its capabilities is refused as the gateway refuses it"
    )
    func manifestHost() async throws {
        let host = try FakeHost(manifest: Self.manifest)
        let plugin = try host.makePlugin(NeedsDefaults.self, configuration: #"{"spool": "/tmp/x"}"#)
        #expect(plugin.configuration.digits == "1")
        #expect(throws: DecodingError.self) {
            try FakeHost().makePlugin(NeedsDefaults.self, configuration: #"{"spool": "/tmp/x"}"#)
        }

        let allowed = try host.makePlugin(SwiftRelay.self, configuration: #"{"spool": "/tmp/x"}"#)
        try await allowed.start()
        await #expect(
            throws: PluginError(.denied, "the manifest of 'swiftrelay' does not declare capability 'send_sms'")
        ) {
            try await host.send(OutgoingSMS(to: ["+46701234567"], text: "not allowed"))
        }

        // The same plugin with a manifest that does not declare the transport role.
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.manifest))
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["capabilities"] = ["voice", "directory", "status", "metrics", "timers"]
        let limited = FileManager.default.temporaryDirectory.appendingPathComponent("limited-\(UUID()).plugin.json")
        defer { try? FileManager.default.removeItem(at: limited) }
        try JSONSerialization.data(withJSONObject: object).write(to: limited)
        let strict = try FakeHost(manifest: limited.path)
        let refused = try strict.makePlugin(SwiftRelay.self, configuration: #"{"spool": "/tmp/x"}"#)
        await #expect(
            throws: PluginError(.denied, "the manifest of 'swiftrelay' does not declare capability 'transport'")
        ) {
            try await refused.start()
        }
    }

    @Test(
        "the configuration is checked against the manifest's schema with the gateway's checker: unknown keys, types, ranges and required keys are refused, nested defaults filled in"
    )
    func schemaChecked() throws {
        let host = try FakeHost(manifest: Self.manifest)
        func refusal(_ json: String) -> PluginError? {
            do {
                _ = try host.makePlugin(SwiftRelay.self, configuration: json)
                return nil
            } catch {
                return error as? PluginError
            }
        }
        #expect(
            refusal(#"{"spool": "/tmp/x", "spol": "typo"}"#)
                == PluginError(
                    .invalid,
                    "plugins.swiftrelay.spol: unknown key (known keys here: delay_ms, digits, groups, refuse_prefix, silent_prefix, spool, status_every_ms, status_file)"
                )
        )
        #expect(refusal(#"{}"#) == PluginError(.invalid, "plugins.swiftrelay.spool: required"))
        #expect(
            refusal(#"{"spool": "/tmp/x", "delay_ms": -1}"#)?.detail.hasPrefix("plugins.swiftrelay.delay_ms:") == true
        )
        #expect(
            refusal(#"{"spool": "/tmp/x", "delay_ms": "soon"}"#)?.detail.hasPrefix("plugins.swiftrelay.delay_ms:")
                == true
        )
        #expect(
            refusal(#"{"spool": "/tmp/x", "groups": {"oncall": "+46700000001"}}"#)?.detail.hasPrefix(
                "plugins.swiftrelay.groups.oncall"
            )
                == true
        )
        #expect(
            try host.makePlugin(NeedsDefaults.self, configuration: #"{"spool": "/tmp/x"}"#).configuration.digits == "1"
        )
    }
}
