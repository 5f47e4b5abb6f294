import Foundation
import TestSupport
import Testing

@testable import SMSCodec

@Suite("Decoding what phones and networks send")
struct DecodingTests {
    @Test(arguments: [
        "Hello", "Ärende 42 åäö", "Temperatur 31°C ✓", "Emoji 😀 ok", String(repeating: "long ", count: 60),
    ])
    func deliverEncodedBySimulatorDecodesToTheSameMessage(text: String) async throws {
        let timestamp = SMSTimestamp(secondsSince1970: 1_795_000_000)
        let pdus = DeliverPDU.encode(
            text: text,
            from: try Address(number: "+46709876543"),
            serviceCentre: try Address(number: "+15550100000"),
            timestamp: timestamp
        )
        let parts = try pdus.map { hex -> DeliverPDU in
            guard case .deliver(let deliver) = try SMSPDU.decode(hex: hex) else { throw PDUError.invalidHex }
            return deliver
        }
        #expect(parts.compactMap(\.userData.text).joined() == text)
        #expect(parts.allSatisfy { $0.originator.description == "+46709876543" && $0.timestamp == timestamp })
        #expect(parts.first?.serviceCentre?.description == "+15550100000")
        // And as an independent decoder reads them: the simulator's messages are what phones send.
        let gammu = try await GammuOracle.decode(pdus)
        #expect(gammu.count == pdus.count)
        #expect(gammu.allSatisfy { $0["type"] as? String == "Deliver" && $0["number"] as? String == "+46709876543" })
        #expect(gammu.map { GammuText($0).trimmed }.joined() == text)
        if pdus.count > 1 {
            #expect(gammu.map { $0["part"] as? Int } == (1...pdus.count).map { $0 })
            #expect(gammu.allSatisfy { $0["parts"] as? Int == pdus.count })
        }
    }

    @Test func statusReportFromARealPhoneReencodesIdentically() throws {
        let hex = "07911614786007F006060B911634092142F4019071011000040190710110450400060000"  // at-sms/34.dump
        guard case .statusReport(let report) = try SMSPDU.decode(hex: hex) else {
            Issue.record("not a status report")
            return
        }
        #expect(report.messageReference == 6)
        #expect(report.recipient.description == "+61439012244")
        #expect(report.delivered)
        // The phone's report also carries the optional TP-PI, TP-PID and TP-DCS (060000); ours stops
        // after the mandatory fields.
        #expect(hex.hasPrefix(report.encoded()))
        #expect(hex.count - report.encoded().count == 6)
        #expect(report.tpduLength == report.encoded().count / 2 - 8)
    }

    @Test func alphanumericSendersDecode() async throws {
        let hex = DeliverPDU.encode(
            text: "Your code is 1234",
            from: Address(kind: .alphanumeric, value: "MyBank"),
            serviceCentre: try Address(number: "+15550100000"),
            timestamp: SMSTimestamp(secondsSince1970: 0)
        )[0]
        guard case .deliver(let deliver) = try SMSPDU.decode(hex: hex) else {
            Issue.record("not a deliver")
            return
        }
        #expect(deliver.originator == Address(kind: .alphanumeric, value: "MyBank"))
        #expect(try await GammuOracle.decode([hex]).first?["number"] as? String == "MyBank")
    }

    @Test func hostileInputNeverCrashesTheDecoder() {
        var generator = SeededGenerator(seed: 0x5eed)
        var decoded = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...60, using: &generator)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if (try? SMSPDU.decode(hex: Hex.encode(bytes))) != nil { decoded += 1 }
        }
        // Most random octets are not a PDU; what matters is that none of them trapped.
        #expect(decoded < 20_000)
        #expect(throws: PDUError.self) { try SMSPDU.decode(hex: "07911326") }
        #expect(throws: PDUError.self) { try SMSPDU.decode(hex: "zz") }
        #expect(throws: PDUError.self) { try SMSPDU.decode(hex: "0") }
    }
}

/// SplitMix64: repeatable random input.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
