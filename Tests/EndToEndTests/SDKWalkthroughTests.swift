import Foundation
import TestSupport
import Testing

/// `PluginSDK/README.md`'s C walkthrough as a third-party author follows it: the manifest and the
/// code copied out of the README into an empty folder outside the repository, built with the
/// README's command line (its `/path/to/swiftlet` placeholder replaced, as the reader does), loaded
/// by a real gateway, and answering an SMS on the simulated network.
@Suite("End to end: the plugin SDK's walkthroughs, verbatim")
struct SDKWalkthroughTests {
    /// The fenced blocks of `language` in the section under `heading` (up to the next `## `
    /// heading) of the SDK's README, in order.
    static func blocks(_ language: String, in heading: String) throws -> [String] {
        let readme = try String(
            contentsOf: GatewayProcess.packageRoot.appendingPathComponent("PluginSDK/README.md"),
            encoding: .utf8
        )
        guard let section = readme.range(of: "\n" + heading + "\n") else {
            throw TestFailure("no section '\(heading)' in PluginSDK/README.md")
        }
        let end = readme.range(of: "\n## ", range: section.upperBound..<readme.endIndex)?.lowerBound ?? readme.endIndex
        var found: [String] = []
        var from = section.upperBound
        while let start = readme.range(of: "```" + language + "\n", range: from..<end),
            let close = readme.range(of: "\n```\n", range: start.upperBound..<end)
        {
            found.append(String(readme[start.upperBound..<close.lowerBound]) + "\n")
            from = close.upperBound
        }
        return found
    }

    static func block(_ language: String, after heading: String) throws -> String {
        guard let first = try blocks(language, in: heading).first else {
            throw TestFailure("no ```\(language) block under '\(heading)' in PluginSDK/README.md")
        }
        return first
    }

    /// A new empty folder, readable by the gateway's plugin checks.
    static func emptyFolder(_ prefix: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: folder,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755]
        )
        return folder
    }

    /// Runs a README's `sh` block in `folder`, its `/path/to/swiftlet` placeholder replaced.
    static func run(_ script: String, in folder: URL) async throws -> (status: Int32, output: String) {
        let script = script.replacingOccurrences(of: "/path/to/swiftlet", with: GatewayProcess.packageRoot.path)
        return try await MosquittoBroker.runDetached(
            "/bin/bash",
            ["-euo", "pipefail", "-c", "cd '\(folder.path)' && " + script]
        )
    }

    /// A gateway with the plugin directory `folder` and `hello` enabled, answering PING on its
    /// simulated network with `reply`.
    static func expectAnswer(from folder: URL, reply: String, abi: String) async throws {
        let gateway = try GatewayProcess()
        try await gateway.start(
            config: """
                plugin_directory: \(folder.path)
                plugins:
                  hello:
                    reply: "\(reply)"

                """
        )
        defer { gateway.stop() }
        try await gateway.waitForLog(saying: "plugin started", ["plugin": "hello", "abi": abi])
        let injected = try GatewayProcess.run([
            "sim", "inject", "--url", gateway.baseURL, "--from", "+46701234567", "PING",
        ])
        #expect(injected.status == 0, "\(injected.stderr)")
        let answer = try await eventually("the plugin's answer on the simulated network") {
            try gateway.simulatorReceived().first { $0["text"] as? String == reply }
        }
        #expect(answer["recipient"] as? String == "+46701234567", "\(answer)")
    }

    @Test("the C walkthrough, copied into an empty folder, builds with its command line and answers PING")
    func cWalkthrough() async throws {
        let folder = try Self.emptyFolder("c-plugin")
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
        let result = try await Self.run(try Self.block("sh", after: "## In C, from an empty folder"), in: folder)
        #expect(result.status == 0, "the README's build failed: \(result.output)")
        #expect(
            result.output.split(separator: "\n").filter { $0.contains(" T ") }.map { $0.split(separator: " ").last }
                == ["swiftlet_plugin_entry"],
            "only the entry symbol is exported: \(result.output)"
        )
        try await Self.expectAnswer(from: folder, reply: "Pong from C", abi: "1.0")
    }

    @Test(
        "the Swift walkthrough, copied into an empty folder, depends on the SDK package only, passes its FakeHost test, builds with its command lines and answers PING"
    )
    func swiftWalkthrough() async throws {
        let folder = try Self.emptyFolder("swift-plugin")
        defer { try? FileManager.default.removeItem(at: folder) }
        let swift = try Self.blocks("swift", in: "## In Swift, from an empty folder")
        try #require(swift.count == 4, "Package.swift, the plugin, the entry and the test: \(swift.count) blocks")
        let files = [
            "Package.swift", "Sources/HelloPlugin/Hello.swift", "Sources/HelloEntry/Entry.swift",
            "Tests/HelloPluginTests/HelloTests.swift",
        ]
        for (file, text) in zip(files, swift) {
            let url = folder.appendingPathComponent(file)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try text.replacingOccurrences(of: "/path/to/swiftlet", with: GatewayProcess.packageRoot.path)
                .write(to: url, atomically: true, encoding: .utf8)
        }
        try Self.block("json", after: "## The manifest").write(
            to: folder.appendingPathComponent("hello.plugin.json"),
            atomically: true,
            encoding: .utf8
        )
        let result = try await Self.run(try Self.block("sh", after: "## In Swift, from an empty folder"), in: folder)
        #expect(result.status == 0, "the README's commands failed: \(result.output)")
        // The package resolved nothing but the SDK: no gateway, no NIO.
        let resolved =
            (try? String(contentsOf: folder.appendingPathComponent("Package.resolved"), encoding: .utf8)) ?? ""
        #expect(!resolved.contains("swift-nio"), "\(resolved)")

        let plugins = try Self.emptyFolder("swift-plugin-dir")
        defer { try? FileManager.default.removeItem(at: plugins) }
        for file in [".build/release/libhello.so", "hello.plugin.json"] {
            try FileManager.default.copyItem(
                at: folder.appendingPathComponent(file),
                to: plugins.appendingPathComponent((file as NSString).lastPathComponent)
            )
        }
        try await Self.expectAnswer(from: plugins, reply: "Pong from Swift", abi: "1.5")
    }
}
