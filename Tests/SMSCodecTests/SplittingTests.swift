import TestSupport
import Testing

@testable import SMSCodec

@Suite("Choosing the alphabet and splitting into parts")
struct SplittingTests {
    @Test func gsmExtensionCharactersCountAsTwoSeptets() {
        #expect(GSM7Alphabet.encode("€[]{}\\~^|")?.count == 18)
        #expect(MessageSplitter.split(String(repeating: "€", count: 80)).parts.map(\.count) == [160])
    }

    @Test func aTextOf160GSMCharactersIsOnePartAnd161AreTwo() {
        #expect(MessageSplitter.split(String(repeating: "a", count: 160)).parts.map(\.count) == [160])
        #expect(MessageSplitter.split(String(repeating: "a", count: 161)).parts.map(\.count) == [153, 8])
    }

    @Test func anEscapeSequenceIsNeverSplitAcrossParts() {
        let split = MessageSplitter.split(String(repeating: "€", count: 81))  // 162 septets
        #expect(split.parts.map(\.count) == [152, 10])
        #expect(split.parts.allSatisfy { $0.last != 0x1B })
    }

    @Test func charactersOutsideTheGSMAlphabetChooseUCS2() {
        #expect(MessageSplitter.split("Temperatur 31°C").alphabet == .ucs2)
        #expect(MessageSplitter.split("Hej åäö ÅÄÖ é ü €").alphabet == .gsm7)
        #expect(MessageSplitter.split("plain", forceUCS2: true).alphabet == .ucs2)
    }

    @Test func ucs2SplitsAt67UnitsAndNeverSplitsASurrogatePair() {
        let text = String(repeating: "ж", count: 66) + "😀" + String(repeating: "ж", count: 10)
        let split = MessageSplitter.split(text)
        #expect(split.parts.map(\.count) == [66, 12])
        #expect(split.parts.allSatisfy { !(0xD800...0xDBFF).contains($0.last!) })
        #expect(MessageSplitter.split(String(repeating: "ж", count: 70)).parts.count == 1)
        #expect(MessageSplitter.split(String(repeating: "ж", count: 71)).parts.map(\.count) == [67, 4])
    }

    @Test func concatenatedPartsCarryTheSameReferenceAndTheirSequence() throws {
        let pdus = SubmitPDU.encode(
            text: String(repeating: "x", count: 200),
            to: try Address(number: "+15551234567"),
            options: SubmitOptions(concatenationReference: 42)
        )
        let decoded = try pdus.map { pdu -> SubmitPDU in
            guard case .submit(let submit) = try SMSPDU.decode(hex: pdu.hex) else { throw PDUError.invalidHex }
            return submit
        }
        #expect(
            decoded.map { $0.userData.concatenation } == [
                Concatenation(reference: 42, total: 2, sequence: 1),
                Concatenation(reference: 42, total: 2, sequence: 2),
            ]
        )
        #expect(decoded.compactMap(\.userData.text).joined() == String(repeating: "x", count: 200))
    }

    @Test func flashMessagesAreClassZero() throws {
        let pdu = SubmitPDU.encode(text: "now", to: try Address(number: "123"), options: SubmitOptions(flash: true))[0]
        guard case .submit(let submit) = try SMSPDU.decode(hex: pdu.hex) else {
            Issue.record("not a submit")
            return
        }
        #expect(submit.coding.messageClass == .flash)
    }
}

/// The alphabet and part count of texts whose Unicode scalars and Swift `Character`s disagree, checked
/// against Gammu choosing by itself (SMSEagle sends through Gammu).
@Suite("Splitting agrees with Gammu where characters and code points differ")
struct SplittingAgreesWithGammuTests {
    static let texts: [String] = [
        "a\r\nb",  // CR LF: one Character, two GSM 7-bit septets
        String(repeating: "PROBLEM\r\n", count: 17) + "1234567",  // 160 septets with CR LF
        String(repeating: "PROBLEM\r\n", count: 18),  // 162: two parts
        "e\u{301}te",  // decomposed é: U+0301 is not GSM 7-bit
        "\u{E9}te",  // precomposed é is
        "ok 👍🏽",  // emoji with a modifier: UCS-2, two surrogate pairs
        String(repeating: "😀", count: 70),  // 140 UTF-16 units: pairs are not split (33 + 33 + 4)
        String(repeating: "a", count: 66) + "😀" + "a",  // a pair across the 67-unit boundary
        String(repeating: "€", count: 80),  // 160 septets of escapes: one part
        String(repeating: "€", count: 81),  // 162: two parts, no escape split
        "Temperatur 31°C\r\n✓",
    ]

    @Test func alphabetAndPartsAreGammus() async throws {
        let gammu = try await GammuOracle.split(Self.texts)
        #expect(gammu.count == Self.texts.count)
        for (text, expected) in zip(Self.texts, gammu) {
            let split = MessageSplitter.split(text)
            let coding = split.alphabet == .gsm7 ? "Default_No_Compression" : "Unicode_No_Compression"
            #expect(coding == expected.coding, "\(text.debugDescription)")
            #expect(split.parts.count == expected.parts, "\(text.debugDescription)")
        }
    }

    @Test func crlfCountsAsTwoSeptets() {
        #expect(GSM7Alphabet.encode("a\r\nb") == [0x61, 0x0D, 0x0A, 0x62])
        #expect(GSM7Alphabet.decode([0x61, 0x0D, 0x0A, 0x62]) == "a\r\nb")
        #expect(GSM7Alphabet.decode([0x61, 0x0D, 0x0A, 0x62]).unicodeScalars.count == 4)
    }
}
