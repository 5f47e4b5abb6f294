import Foundation
import TestSupport
import Testing

/// The `curl` lines of the `sh` blocks of `docs/api/*.md` run against a fresh gateway.
@Suite("End to end: the API pages' examples")
struct DocsExamplesTests {
    /// Each `curl` command of the `sh` blocks, continuation lines joined, in page order.
    static func examples(_ text: String) -> [String] {
        var commands: [String] = []
        var inBlock = false
        var pending = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                inBlock = line == "```sh"
                continue
            }
            guard inBlock else { continue }
            pending += line.hasSuffix("\\") ? String(line.dropLast()) : String(line)
            if !line.hasSuffix("\\") {
                if pending.hasPrefix("curl ") { commands.append(pending) }
                pending = ""
            }
        }
        return commands
    }

    @Test func everyCurlExampleWorksAgainstAFreshGateway() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        try gateway.addPasswordUser("apiuser", password: "secret", methods: "send_sms")
        let directory = GatewayProcess.packageRoot.appendingPathComponent("docs/api")
        let pages = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".md") }
            .sorted()
        var count = 0
        for page in pages {
            let text = try String(contentsOf: directory.appendingPathComponent(page), encoding: .utf8)
            for example in Self.examples(text) {
                let command = example.replacing("http://127.0.0.1:8080", with: gateway.baseURL)
                // Some examples read what an earlier one queued; it may take a moment to be sent.
                _ = try await eventually(timeout: .seconds(15), "\(page): \(example) to answer 2xx") {
                    let result = try await MosquittoBroker.runDetached(
                        "/usr/bin/env",
                        ["TOKEN=\(token)", "/bin/sh", "-c", command + " --fail-with-body -s -S"]
                    )
                    return result.status == 0 ? result : nil
                }
                count += 1
            }
        }
        #expect(count >= 15, "the examples were not found")
    }
}
