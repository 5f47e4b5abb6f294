import Foundation
import TestSupport
import Testing

@Suite("End to end: the swiftlet command line")
struct CommandLineTests {
    @Test(
        "--version names the gateway, the Swift and the toolchain it was built with (Swift plugins need the same) and the plugin ABI"
    )
    func version() throws {
        let result = try GatewayProcess.run(["--version"])
        #expect(result.status == 0)
        let expected =
            /^swiftlet \d+\.\d+\.\d+ \(built with Swift \d+\.\d+, toolchain ([0-9a-f]{12}); plugin ABI 1\.0–1\.5\)\n$/
        let match = try #require(result.stdout.firstMatch(of: expected), "\(result.stdout)")
        // The commit is the one binutils reads in the executable's .comment (the toolchain's clang).
        let comment = try MosquittoBroker.run("/usr/bin/readelf", ["-p", ".comment", GatewayProcess.binary]).output
        #expect(comment.contains("/llvm-project.git \(match.1)"), "\(comment)")
    }

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

@Suite("End to end: swiftlet pdu")
struct PDUCommandTests {
    @Test func encodedPartsAreWhatGammuReadsAndDecodeJoinsThem() async throws {
        let text = String(repeating: "Kylrum B: 31°C. ", count: 6)  // UCS-2, 96 characters: 2 parts
        let encode = try GatewayProcess.run(["pdu", "encode", "--to", "+46701234567", "--reference", "77", text])
        #expect(encode.status == 0, "\(encode.stderr)")
        let pdus = encode.stdout.split(separator: "\n").map(String.init)
        #expect(pdus.count == 2)
        #expect(pdus.allSatisfy { $0.hasPrefix("00") })  // the empty SMSC field AT+CMGS expects

        let gammu = try await GammuOracle.decode(pdus)
        #expect(gammu.compactMap { $0["text"] as? String }.joined() == text)
        #expect(gammu.allSatisfy { $0["number"] as? String == "+46701234567" })

        let decode = try GatewayProcess.run(["pdu", "decode"] + pdus.reversed())
        #expect(decode.status == 0, "\(decode.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(decode.stdout.utf8)) as? [String: Any])
        #expect(json["type"] as? String == "submit")
        #expect(json["to"] as? String == "+46701234567")
        #expect(json["encoding"] as? String == "ucs2")
        #expect(json["text"] as? String == text)
        let concatenation = try #require(json["concatenation"] as? [String: Any])
        #expect(concatenation["reference"] as? Int == 77)
        #expect(concatenation["total"] as? Int == 2)
        #expect(concatenation["complete"] as? Bool == true)
    }

    @Test func optionsShowInThePDU() async throws {
        let encode = try GatewayProcess.run([
            "pdu", "encode", "--to", "+46701234567", "--flash", "--validity", "1d", "--status-report", "Now",
        ])
        let decode = try GatewayProcess.run([
            "pdu", "decode", encode.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
        ])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(decode.stdout.utf8)) as? [String: Any])
        #expect(json["class"] as? Int == 0)
        #expect(json["validity_minutes"] as? Int == 1440)
        #expect(json["status_report_requested"] as? Bool == true)
        #expect(json["text"] as? String == "Now")
        // The same PDU read by Gammu, not by our own decoder: class 0 (flash), one day's validity.
        let hex = encode.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let gammu = try #require(try await GammuOracle.decode([hex]).first)
        #expect(gammu["class"] as? Int == 0)
        #expect(gammu["validity"] as? String == "1440M")
        #expect(gammu["text"] as? String == "Now")
        #expect(gammu["number"] as? String == "+46701234567")
        // Gammu does not report TP-SRR; TS 23.040 9.2.2.2 puts it at bit 5 of the first octet after
        // the (empty) SMSC field.
        let firstOctet = try #require(UInt8(hex.dropFirst(2).prefix(2), radix: 16))
        #expect(hex.hasPrefix("00") && firstOctet & 0x20 != 0)
    }

    @Test func aDeliverFromARealPhoneDecodesWithItsTimestamp() throws {
        let decode = try GatewayProcess.run([
            "pdu", "decode", "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37",
        ])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(decode.stdout.utf8)) as? [String: Any])
        #expect(json["type"] as? String == "deliver")
        #expect(json["text"] as? String == "hellohello")
        #expect(json["timestamp"] as? String == "1999-03-29T15:16:59+02:00")
        #expect(json["smsc"] as? String == "+27381000015")
    }

    @Test func badInputIsRefusedClearly() throws {
        let notHex = try GatewayProcess.run(["pdu", "decode", "0011zz"])
        #expect(notHex.status == 1)
        #expect(notHex.stderr.contains("PDU 1 is not hexadecimal text"))
        let truncated = try GatewayProcess.run(["pdu", "decode", "07911326"])
        #expect(truncated.status == 1)
        #expect(truncated.stderr.contains("PDU 1: PDU ends inside"))
        let validity = try GatewayProcess.run(["pdu", "encode", "--to", "123", "--validity", "3 days", "x"])
        #expect(validity.status != 0)
        #expect(validity.stderr.contains("--validity: '3 days'"))
    }
}
