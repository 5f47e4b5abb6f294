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
