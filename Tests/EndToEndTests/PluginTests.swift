import Foundation
import SwiftletDomain
import SwiftletStore
import TestSupport
import Testing

/// A plugin directory with the repository's `keywords`, `mqtt`, `email` and `voice` plugins and the SDK's
/// Swift example `swiftrelay` (as built), and the C examples `hello` and `relay` (compiled with gcc
/// from the header alone), as an admin would install them.
func stagedPluginDirectory() throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "swiftlet-e2e-plugins-\(UUID().uuidString)"
    ).path
    try FileManager.default.createDirectory(
        atPath: directory,
        withIntermediateDirectories: true,
        attributes: [.posixPermissions: 0o755]
    )
    let root = GatewayProcess.packageRoot.path
    let build = (GatewayProcess.binary as NSString).deletingLastPathComponent
    let libraries = [
        ("Plugins/Keywords/keywords.plugin.json", "libSwiftletKeywords.so"),
        ("Plugins/MQTT/mqtt.plugin.json", "libSwiftletMQTT.so"),
        ("Plugins/Email/email.plugin.json", "libSwiftletEmail.so"),
        ("Plugins/Voice/voice.plugin.json", "libSwiftletVoice.so"),
        ("Plugins/SNMP/snmp.plugin.json", "libSwiftletSNMP.so"),
        ("Plugins/LDAP/ldap.plugin.json", "libSwiftletLDAP.so"),
        ("Plugins/Sensors/sensors.plugin.json", "libSwiftletSensors.so"),
        ("Plugins/PixieRelay/pixie-relay.plugin.json", "libSwiftletPixieRelay.so"),
        ("PluginSDK/Examples/SwiftRelay/swiftrelay.plugin.json", "libSwiftletRelayExample.so"),
    ]
    for (manifest, library) in libraries {
        try FileManager.default.copyItem(
            atPath: root + "/" + manifest,
            toPath: directory + "/" + (manifest as NSString).lastPathComponent
        )
        try FileManager.default.copyItem(atPath: build + "/" + library, toPath: directory + "/" + library)
    }
    for name in ["hello", "relay"] {
        let example = root + "/PluginSDK/Examples/\(name)/"
        try FileManager.default.copyItem(
            atPath: example + name + ".plugin.json",
            toPath: directory + "/\(name).plugin.json"
        )
        let gcc = Process()
        gcc.executableURL = URL(fileURLWithPath: "/usr/bin/gcc")
        gcc.arguments = [
            "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-shared", "-fPIC", "-I",
            root + "/PluginSDK/include", "-Wl,--version-script=" + root + "/PluginSDK/plugin.exports",
            "-Wl,-z,nodelete", "-o", directory + "/lib\(name).so", example + name + ".c",
        ]
        try gcc.run()
        gcc.waitUntilExit()
        guard gcc.terminationStatus == 0 else { throw TestFailure("gcc could not build the C example \(name)") }
    }
    return directory
}

/// Whether the table `listing` has a row whose first columns are `columns` (however wide the columns are).
func hasRow(_ listing: String, _ columns: String...) -> Bool {
    listing.split(separator: "\n").contains { line in
        let fields = line.split(separator: " ").map(String.init)
        return Array(fields.prefix(columns.count)) == columns
    }
}

@Suite("plugins in a running gateway")
struct PluginEndToEndTests {
    func received(_ gateway: GatewayProcess, count: Int) async throws -> [[String: Any]] {
        try await eventually("\(count) message(s) received by the simulated network") {
            let list = try gateway.simulatorReceived()
            return list.count >= count ? list : nil
        }
    }

    func inject(_ gateway: GatewayProcess, from: String, _ text: String) throws {
        let result = try GatewayProcess.run(["sim", "inject", "--url", gateway.baseURL, "--from", from, text])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test(
        "keywords through the simulated modem: JOIN replies and subscribes, STOP unsubscribes, an unknown word does nothing; the C example answers PING; a missing plugin is reported and skipped"
    )
    func keywordsAndCExample() async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let gateway = try GatewayProcess()
        try await gateway.start(
            config: """
                plugin_directory: \(plugins)
                plugins:
                  keywords:
                    keywords:
                      - keyword: JOIN
                        subscribe: news
                        reply: "Welcome to the news. Send STOP to leave."
                      - keyword: STOP
                        unsubscribe: news
                        reply: "Bye."
                  hello:
                    reply: "PONG from C"
                  ghost:
                """
        )
        defer { gateway.stop() }
        try await gateway.waitForLog(
            saying: "plugin started",
            ["abi": "1.5", "plugin": "keywords", "version": "1.0.0"]
        )
        try await gateway.waitForLog(saying: "plugin started", ["abi": "1.1", "plugin": "hello", "version": "1.1.0"])
        try await gateway.waitForLog(
            saying: "plugin is enabled but cannot be loaded",
            ["plugin": "ghost", "reason": "no plugin 'ghost' in \(plugins)"]
        )

        let subscriber = "+46705550001"
        try inject(gateway, from: subscriber, "Hello there")
        try inject(gateway, from: subscriber, "join")
        let afterJoin = try await received(gateway, count: 1)
        #expect(afterJoin.map { $0["recipient"] as? String } == [subscriber])
        #expect(afterJoin.map { $0["text"] as? String } == ["Welcome to the news. Send STOP to leave."])

        let store = try SQLiteStore(directory: gateway.dataDirectory)
        #expect(try await store.group(named: "news")?.members.map(\.number.value) == [subscriber])

        try inject(gateway, from: subscriber, "STOP")
        let afterStop = try await received(gateway, count: 2)
        #expect(afterStop.last?["text"] as? String == "Bye.")
        #expect(try await store.group(named: "news")?.members.isEmpty == true)

        try inject(gateway, from: "+46705550002", "ping")
        let afterPing = try await received(gateway, count: 3)
        #expect(afterPing.last?["recipient"] as? String == "+46705550002")
        #expect(afterPing.last?["text"] as? String == "PONG from C")
        try await gateway.waitForLog("pong queued")

        // plugins list: the version each running plugin agreed on, before its manifest's range.
        let listed = try GatewayProcess.run([
            "plugins", "list", "--data-dir", gateway.dataDirectory, "--config",
            gateway.dataDirectory + "-swiftlet.yaml",
        ])
        #expect(hasRow(listed.stdout, "keywords", "1.0.0", "1.5", "(1.0–1.5)", "enabled"), "\(listed.stdout)")
        #expect(hasRow(listed.stdout, "hello", "1.1.0", "1.1", "(1.0–1.1)", "enabled"), "\(listed.stdout)")

        // The unknown word was handled before JOIN (events arrive in order): it got no reply.
        #expect(try gateway.simulatorReceived().count == 3)
        #expect(gateway.stop() == 0)
        #expect(gateway.logged("plugin stopped", ["plugin": "keywords"]))
        #expect(gateway.logged("plugin stopped", ["plugin": "hello"]))
    }

    @Test("plugins list, info, enable and disable, and a bad plugin section refused with file, line, key and reason")
    func adminCommands() async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "swiftlet-admin-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = directory + "/swiftlet.yaml"
        try "plugin_directory: \(plugins)\n".write(toFile: config, atomically: true, encoding: .utf8)

        let list = try GatewayProcess.run(["plugins", "list", "--config", config])
        #expect(list.status == 0)
        #expect(hasRow(list.stdout, "keywords", "1.0.0", "1.0–1.5", "available"), "\(list.stdout)")
        #expect(hasRow(list.stdout, "hello", "1.1.0", "1.0–1.1", "available"), "\(list.stdout)")
        #expect(hasRow(list.stdout, "relay", "1.0.0", "1.4", "available"), "\(list.stdout)")
        #expect(hasRow(list.stdout, "swiftrelay", "1.0.0", "1.4–1.5", "available"), "\(list.stdout)")

        let info = try GatewayProcess.run(["plugins", "info", "keywords", "--config", config])
        #expect(info.stdout.contains("capabilities: events, send_sms, phonebook_write"))
        #expect(info.stdout.contains("keywords[].subscribe"))
        #expect(info.stdout.range(of: "sha256: +[0-9a-f]{64}", options: .regularExpression) != nil)

        let enable = try GatewayProcess.run(["plugins", "enable", "keywords", "--config", config])
        #expect(enable.status == 0, "\(enable.stderr)")
        let dropIn = directory + "/plugins.d/keywords.yaml"
        #expect(FileManager.default.fileExists(atPath: dropIn))
        #expect(
            try GatewayProcess.run(["plugins", "list", "--config", config]).stdout.contains(
                "enabled (plugins.d/keywords.yaml)"
            )
        )
        #expect(try GatewayProcess.run(["config", "check", config]).stdout.contains("plugins: keywords 1.0.0"))

        let template = try String(contentsOfFile: dropIn, encoding: .utf8)
        let line = template.split(separator: "\n", omittingEmptySubsequences: false).count + 2
        try (template + "keywords:\n  - keyword: JOIN\n    reply: [1, 2]\n").write(
            toFile: dropIn,
            atomically: true,
            encoding: .utf8
        )
        let check = try GatewayProcess.run(["config", "check", config])
        #expect(check.status == 1)
        #expect(
            check.stderr.contains("\(dropIn):\(line): plugins.keywords.keywords[0].reply: must be a text"),
            "\(check.stderr)"
        )

        let disable = try GatewayProcess.run(["plugins", "disable", "keywords", "--config", config])
        #expect(disable.status == 0, "\(disable.stderr)")
        #expect(FileManager.default.fileExists(atPath: dropIn + ".disabled"))
        #expect(
            hasRow(
                try GatewayProcess.run(["plugins", "list", "--config", config]).stdout,
                "keywords",
                "1.0.0",
                "1.0–1.5",
                "available"
            )
        )

        let again = try GatewayProcess.run(["plugins", "enable", "keywords", "--config", config])
        #expect(again.stdout.contains("with the configuration it had before"))
        #expect(try String(contentsOfFile: dropIn, encoding: .utf8).contains("reply: [1, 2]"))

        let missing = try GatewayProcess.run(["plugins", "enable", "nosuch", "--config", config])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("there is no plugin 'nosuch' in \(plugins)"))
    }
}
