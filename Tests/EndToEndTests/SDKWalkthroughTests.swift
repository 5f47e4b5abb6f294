import Foundation
import TestSupport
import Testing

/// `PluginSDK/README.md`'s C walkthrough as a third-party author follows it: the manifest and the
/// code copied out of the README into an empty folder outside the repository, built with the
/// README's command line (its `/path/to/swiftlet` placeholder replaced, as the reader does), loaded
/// by a real gateway, and answering an SMS on the simulated network.
@Suite("End to end: the plugin SDK's walkthroughs, verbatim")
struct SDKWalkthroughTests {
    /// The first fenced block of `language` after the heading `heading` in the SDK's README.
    static func block(_ language: String, after heading: String) throws -> String {
        let readme = try String(
            contentsOf: GatewayProcess.packageRoot.appendingPathComponent("PluginSDK/README.md"),
            encoding: .utf8
        )
        guard let section = readme.range(of: "\n" + heading + "\n"),
            let start = readme.range(of: "```" + language + "\n", range: section.upperBound..<readme.endIndex),
            let end = readme.range(of: "\n```\n", range: start.upperBound..<readme.endIndex)
        else { throw TestFailure("no ```\(language) block after '\(heading)' in PluginSDK/README.md") }
        return String(readme[start.upperBound..<end.lowerBound]) + "\n"
    }

    @Test("the C walkthrough, copied into an empty folder, builds with its command line and answers PING")
    func cWalkthrough() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("c-plugin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: folder,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755]
        )
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.block("json", after: "## The manifest").write(
            to: folder.appendingPathComponent("hello.plugin.json"),
            atomically: true,
            encoding: .utf8
        )
        try Self.block("c", after: "## In C, from an empty folder").write(
            to: folder.appendingPathComponent("hello.c"),
            atomically: true,
            encoding: .utf8
        )
        let build = try Self.block("sh", after: "## In C, from an empty folder")
            .replacingOccurrences(of: "/path/to/swiftlet", with: GatewayProcess.packageRoot.path)
        let result = try await MosquittoBroker.runDetached(
            "/bin/bash",
            ["-euo", "pipefail", "-c", "cd '\(folder.path)' && " + build]
        )
        #expect(result.status == 0, "the README's build failed: \(result.output)")
        #expect(result.output.contains("swiftlet_plugin_entry"), "\(result.output)")
        #expect(
            result.output.split(separator: "\n").filter { $0.contains(" T ") }.count == 1,
            "only the entry symbol is exported: \(result.output)"
        )

        let gateway = try GatewayProcess()
        try await gateway.start(
            config: """
                plugin_directory: \(folder.path)
                plugins:
                  hello:
                    reply: "Pong from C"

                """
        )
        defer { gateway.stop() }
        try await gateway.waitForLog(saying: "plugin started", ["plugin": "hello", "abi": "1.0"])
        #expect(gateway.log.contains("hello from C"))
        let injected = try GatewayProcess.run([
            "sim", "inject", "--url", gateway.baseURL, "--from", "+46701234567", "PING",
        ])
        #expect(injected.status == 0, "\(injected.stderr)")
        let answer = try await eventually("the plugin's answer on the simulated network") {
            try gateway.simulatorReceived().first { $0["text"] as? String == "Pong from C" }
        }
        #expect(answer["recipient"] as? String == "+46701234567", "\(answer)")
    }
}
