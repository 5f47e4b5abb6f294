import Foundation
import TestSupport
import Testing

@testable import SMSCodec

@Suite("Real modem answers (Gammu's test corpus) and Gammu's codec as an oracle")
struct CorpusTests {
    @Test func everyMessageReadFromRealPhonesDecodes() throws {
        let pdus = try Fixtures.pdus(in: "at-sms")
        #expect(pdus.count > 30)
        for (file, hex) in pdus {
            #expect(throws: Never.self, "\(file): \(hex)") { try SMSPDU.decode(hex: hex) }
        }
    }

    /// Gammu refuses every one of these (the corpus README: "Gammu is supposed to fail correctly on
    /// parsing those"); so must we, with an error value rather than a message made of garbage.
    @Test func malformedAnswersFromTheWildAreErrorsNotCrashes() async throws {
        let pdus = try Fixtures.pdus(in: "at-sms-failing")
        #expect(pdus.count == 10)
        for (file, hex) in pdus {
            #expect(throws: PDUError.self, "\(file): \(hex)") { try SMSPDU.decode(hex: hex) }
        }
        let gammu = try await GammuOracle.decode(pdus.map(\.hex))
        #expect(gammu.allSatisfy { $0["error"] != nil })
    }

    @Test func corpusDeliversDecodeToWhatGammuDecodes() async throws {
        let pdus = try Fixtures.pdus(in: "at-sms")
        let oracle = try await GammuOracle.decode(pdus.map(\.hex))
        #expect(oracle.count == pdus.count)
        var compared = 0
        for ((file, hex), expected) in zip(pdus, oracle) where expected["type"] as? String == "Deliver" {
            guard case .deliver(let deliver) = try SMSPDU.decode(hex: hex) else {
                Issue.record("\(file): Gammu reads a Deliver, we do not")
                continue
            }
            #expect(deliver.originator.description == expected["number"] as? String, "\(file)")
            if let text = deliver.userData.text, expected["coding"] as? String != "8bit" {
                #expect(GammuText(expected).matches(text), "\(file): \(text)")
                compared += 1
            }
        }
        #expect(compared > 10)  // the corpus holds 14 text messages
    }

    @Test(arguments: [
        ("+46701234567", "hellohello", false),
        ("0701234567", "Ärende 42: åäö ÅÄÖ é ü ß € [ok] {x} ~ ^ | \\", false),
        ("+15551234567", "Temperatur 31°C ✓", false),
        ("+15551234567", "plain text forced to UCS-2", true),
        ("+4915112345678", String(repeating: "Pump 3 pressure low. ", count: 12), false),
        ("+4915112345678", String(repeating: "Давление низкое. ", count: 6), false),
        ("+46701234567", "** PROBLEM **\r\nHost: db1\r\nState: DOWN", false),
        ("+46701234567", String(repeating: "PROBLEM db1\r\n", count: 20), false),
    ])
    func submitsWeSendDecodeIdenticallyInGammu(number: String, text: String, unicode: Bool) async throws {
        let pdus = SubmitPDU.encode(
            text: text,
            to: try Address(number: number),
            options: SubmitOptions(forceUCS2: unicode, concatenationReference: 7)
        )
        let decoded = try await GammuOracle.decode(pdus.map(\.hex))
        #expect(decoded.count == pdus.count)
        #expect(decoded.allSatisfy { $0["type"] as? String == "Submit" && $0["number"] as? String == number })
        // What Gammu read, joined, is what was asked to be sent.
        #expect(decoded.map { GammuText($0).trimmed }.joined() == text)
        let split = MessageSplitter.split(text, forceUCS2: unicode)
        let parts = split.parts.map { units in
            split.alphabet == .gsm7
                ? GSM7Alphabet.decode(units.map { UInt8($0) }) : String(decoding: units, as: UTF16.self)
        }
        #expect(parts.joined() == text)
        for (part, expected) in zip(parts, decoded) {
            #expect(GammuText(expected).matches(part), "Gammu decoded \(expected["text"] ?? "nothing")")
        }
        let coding = unicode || GSM7Alphabet.encode(text) == nil ? "Unicode_No_Compression" : "Default_No_Compression"
        #expect(decoded.allSatisfy { $0["coding"] as? String == coding })
        if pdus.count > 1 {
            #expect(decoded.map { $0["part"] as? Int } == (1...pdus.count).map { $0 })
            #expect(decoded.allSatisfy { $0["parts"] as? Int == pdus.count })
        }
    }
}

@Suite("What Gammu encodes, we decode")
struct GammuEncodesTests {
    @Test func textsEncodedByGammuDecodeToTheSameTextAndParts() async throws {
        let messages: [(number: String, text: String, unicode: Bool)] = [
            ("+46701234567", "hellohello", false),
            ("0701234567", "Ärende 42: åäö € [ok] {x}", false),
            ("+15551234567", "Temperatur 31°C ✓", true),
            ("+4915112345678", String(repeating: "Pump 3 pressure low. ", count: 12), false),
            ("+4915112345678", String(repeating: "Давление низкое. ", count: 6), true),
        ]
        let encoded = try await GammuOracle.encode(messages)
        #expect(encoded.count == messages.count)
        for (message, pdus) in zip(messages, encoded) {
            #expect(!pdus.isEmpty, "Gammu encoded nothing for \(message.text)")
            let parts = try pdus.map { hex -> SubmitPDU in
                guard case .submit(let submit) = try SMSPDU.decode(hex: hex) else { throw PDUError.invalidHex }
                return submit
            }
            #expect(parts.allSatisfy { $0.destination.description == message.number })
            let ordered = parts.sorted {
                ($0.userData.concatenation?.sequence ?? 0) < ($1.userData.concatenation?.sequence ?? 0)
            }
            #expect(ordered.compactMap(\.userData.text).joined() == message.text)
            if parts.count > 1 {
                #expect(Set(parts.compactMap { $0.userData.concatenation?.reference }).count == 1)
                #expect(parts.allSatisfy { $0.userData.concatenation?.total == parts.count })
            }
        }
    }
}

/// Gammu's decoder reports a GSM 7-bit text as long as its septet count, so each extension-table
/// character (two septets) adds one character of whatever follows in its buffer. Its encoder
/// produces the same octets as ours for such texts; only the decoded length is off.
struct GammuText {
    let text: String
    let gsm7: Bool

    init(_ decoded: [String: Any]) {
        text = decoded["text"] as? String ?? ""
        gsm7 = decoded["coding"] as? String == "Default_No_Compression"
    }

    /// Gammu's text without what its septet-count length adds: the longest prefix whose septets
    /// number no more than the decoded text's length.
    var trimmed: String {
        guard gsm7 else { return text }
        let length = text.unicodeScalars.count
        var septets = 0
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let count = GSM7Alphabet.septets(for: scalar)?.count ?? 1
            guard septets + count <= length else { break }
            septets += count
            result.append(scalar)
        }
        return String(result)
    }

    func matches(_ expected: String) -> Bool {
        guard gsm7 else { return text == expected }
        let escapes = expected.unicodeScalars.filter { GSM7Alphabet.septets(for: $0)?.count == 2 }.count
        return text.hasPrefix(expected) && text.unicodeScalars.count == expected.unicodeScalars.count + escapes
    }
}

@Suite("Sixteen-bit references and binary messages")
struct ReferenceAndBinaryTests {
    @Test func sixteenBitReferencesLeaveOneCharacterLessPerPartAndGammuReadsThem() async throws {
        let text = String(repeating: "0123456789", count: 31)  // 310 GSM characters
        let pdus = SubmitPDU.encode(
            text: text,
            to: try Address(number: "+46701234567"),
            options: SubmitOptions(concatenationReference: 0x1234, sixteenBitReference: true)
        )
        #expect(pdus.count == 3)  // 152 + 152 + 6
        let parts = try pdus.map { hex -> SubmitPDU in
            guard case .submit(let submit) = try SMSPDU.decode(hex: hex.hex) else { throw PDUError.invalidHex }
            return submit
        }
        #expect(parts.map { $0.userData.text?.count } == [152, 152, 6])
        #expect(parts.allSatisfy { $0.userData.concatenation?.reference == 0x1234 })
        #expect(parts.allSatisfy { $0.userData.concatenation?.sixteenBitReference == true })
        let gammu = try await GammuOracle.decode(pdus.map(\.hex))
        #expect(gammu.compactMap { $0["text"] as? String }.joined() == text)
        #expect(gammu.map { $0["part"] as? Int } == [1, 2, 3])
    }

    @Test func aBinaryMessageCarriesTheCallersHeaderAndDataAsGammuReadsThem() async throws {
        // SMSEagle's send_binary_sms example: a WAP push to port 2948.
        let header = Hex.decode("0605040B8423F0")!
        let data = Hex.decode("EA0601AE02056A0045C60C037777772E736D736561676C652E657500080103534D534561676C65000101")!
        let pdu = try SubmitPDU.encodeBinary(data: data, header: header, to: try Address(number: "+46701234567"))
        guard case .submit(let submit) = try SMSPDU.decode(hex: pdu.hex) else {
            Issue.record("not a submit")
            return
        }
        #expect(submit.coding.alphabet == .eightBit)
        #expect(submit.userData.header == header)
        #expect(submit.userData.binary == data)
        let gammu = try await GammuOracle.decode([pdu.hex])
        #expect(gammu.first?["coding"] as? String == "8bit")
        #expect(gammu.first?["text"] as? String == Hex.encode(data).lowercased())
        #expect(gammu.first?["number"] as? String == "+46701234567")
        #expect(throws: PDUError.self) {
            try SubmitPDU.encodeBinary(
                data: [UInt8](repeating: 0, count: 134),
                header: header,
                to: try Address(number: "1")
            )
        }
    }
}
