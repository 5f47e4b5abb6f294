import Foundation
import Testing

@testable import SMSCodec

@Suite("USSD answers as real modems write them")
struct USSDTests {
    func answer(_ file: String, _ characterSet: USSDAnswer.CharacterSet = .ira) throws -> USSDAnswer? {
        let text = try String(
            contentsOf: Fixtures.corpus.appendingPathComponent("at-ussd/\(file)"),
            encoding: .isoLatin1
        )
        let line = try #require(text.components(separatedBy: .newlines).first { $0.hasPrefix("+CUSD:") })
        return USSDAnswer(String(line.dropFirst(6)), characterSet: characterSet)
    }

    @Test func packedGSM7InHexWithAndWithoutQuotesAndCodingScheme() throws {
        let quoted = try answer("02-E160.dump")
        #expect(quoted?.status == 0)
        #expect(quoted?.dataCodingScheme == 15)
        #expect(quoted?.text == "Ihr Guthaben für die Nr.4915783647410 beträgt 5.78 Euro")
        let bare = try answer("01-E160.dump")
        #expect(bare?.dataCodingScheme == nil)
        #expect(bare?.text?.hasPrefix("Ihr Guthaben") == true)
        #expect(bare?.text?.hasSuffix("beträgt 7.95 Euro") == true)
    }

    @Test func ucs2InHexWhateverTheCodingSchemeSays() throws {
        #expect(try answer("issue109-E3276.dump")?.text == "Для справки о балансе наберите *105#. Услуга бесплатна.")
        // DCS 15, but the modem is in UCS-2 mode.
        #expect(
            try answer("Uissue358-Quectel_M35.dump")?.text?.hasPrefix("Havi keret: 0Ft. Feltöltött egyenleg") == true
        )
        // DCS 17: a language indication ("ar") first, and garbage after a NUL.
        let arabic = try answer("issue377-HE910-D.dump")
        #expect(arabic?.status == 2)
        #expect(arabic?.text == "رصيدك 107.93 د.ل،الصلاحية  2018-11-09")
    }

    @Test func plainTextInTheModemsCharacterSet() throws {
        #expect(try answer("issue178-dell.dump")?.text?.hasPrefix("On DATA Pack u have 3Gb 817Mb") == true)
        #expect(try answer("04-unknown.dump")?.text?.hasPrefix("Maaf, permintaan Anda") == true)
        #expect(try answer("04-unknown.dump")?.status == 2)
        // Written in the GSM alphabet (AT+CSCS="GSM"): `{` is `ä`.
        #expect(try answer("03-unknown.dump", .ira)?.text?.contains("Bitte w{hlen Sie") == true)
        #expect(try answer("03-unknown.dump", .gsm)?.text?.contains("Bitte wählen Sie") == true)
        #expect(try answer("03-unknown.dump")?.status == 1)  // the network waits for an answer
    }

    @Test func answersWithoutTextOrStatus() {
        #expect(USSDAnswer("4")?.text == nil)
        #expect(USSDAnswer("4")?.status == 4)
        #expect(USSDAnswer("") == nil)
        #expect(USSDAnswer("x,\"y\"") == nil)
        #expect(USSDAnswer("0,\"unterminated")?.text == "unterminated")
    }
}
