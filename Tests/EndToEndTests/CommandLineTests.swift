import Foundation
import Testing

@Suite("End to end: the swiftlet command line")
struct CommandLineTests {
    @Test func configCheckNamesFileLineKeyAndReason() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-config-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let bad = directory + "/bad.yaml"
        try "http:\n  listen: 127.0.0.1:8080\ndispatcher:\n  leese: 30s\n".write(
            toFile: bad,
            atomically: true,
            encoding: .utf8
        )
        let result = try GatewayProcess.run(["config", "check", bad])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(bad):4: dispatcher.leese: unknown key"))

        let good = directory + "/good.yaml"
        try "modems:\n  - device: /dev/ttyUSB2\n    baud: 115200\n".write(
            toFile: good,
            atomically: true,
            encoding: .utf8
        )
        let ok = try GatewayProcess.run(["config", "check", good])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("modem1 on /dev/ttyUSB2"))

        let serve = try GatewayProcess.run(["serve", "--config", bad, "--data-dir", directory + "/data"])
        #expect(serve.status != 0)
        #expect(serve.stderr.contains("dispatcher.leese"))
    }

    @Test func sendQueuesThroughTheDomainAndARunningGatewaySendsIt() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let result = try GatewayProcess.run([
            "send", "--data-dir", gateway.dataDirectory, "--to", "+46701234567", "Backup finished",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("OK; ID="))
        let received = try await eventually("the CLI's message at the simulator") {
            try gateway.simulatorReceived().first
        }
        #expect(received["text"] as? String == "Backup finished")

        let invalid = try GatewayProcess.run(["send", "--data-dir", gateway.dataDirectory, "--to", "nobody", "x"])
        #expect(invalid.status != 0)
        #expect(invalid.stderr.contains("'nobody' is not a telephone number"))
    }

    @Test func firstRunLogsACurlCommandThatSendsAnSMS() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let line = try await gateway.waitForLog("send a first SMS: ")
        let command = String(line[line.range(of: "curl ")!.lowerBound...])
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", command + " --silent"]
        let output = Pipe()
        shell.standardOutput = output
        try shell.run()
        let body = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        shell.waitUntilExit()
        #expect(body.hasPrefix("OK; ID="), "curl printed: \(body)")
        let received = try await eventually("the first SMS at the simulator") { try gateway.simulatorReceived().first }
        #expect(received["text"] as? String == "Hello from Swiftlet")
    }
}
