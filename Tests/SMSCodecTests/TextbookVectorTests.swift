import Testing

@testable import SMSCodec

@Suite("PDU encoding against published vectors")
struct TextbookVectorTests {
    @Test func gsm7PackingOfHellohello() {
        let septets = GSM7Alphabet.encode("hellohello")!
        #expect(Hex.encode(SeptetPacking.pack(septets)) == "E8329BFD4697D9EC37")
        #expect(SeptetPacking.unpack(SeptetPacking.pack(septets)[...], count: 10) == septets)
    }

    @Test func submitToAnInternationalNumberWithRelativeValidity() throws {
        // The widely reproduced example of TS 23.040 SMS-SUBMIT: "hellohello" to +46708251358, 4 days.
        let pdus = SubmitPDU.encode(
            text: "hellohello",
            to: try Address(number: "+46708251358"),
            options: SubmitOptions(validity: ValidityPeriod(octet: 0xAA))
        )
        #expect(pdus == [EncodedPDU(hex: "0011000B916407281553F80000AA0AE8329BFD4697D9EC37", tpduLength: 23)])
        #expect(ValidityPeriod(octet: 0xAA).minutes == 4 * 1440)
    }

    @Test func submitWithoutValidityLeavesTheFieldOut() throws {
        let pdus = SubmitPDU.encode(text: "hellohello", to: try Address(number: "0701234567"))
        // TP-VPF = 00, national number (type 81), 10 digits.
        #expect(pdus.map(\.hex) == ["000100" + "0A81" + "7010325476" + "0000" + "0A" + "E8329BFD4697D9EC37"])
    }

    @Test func timestampWithPositiveZoneDecodes() throws {
        let timestamp = try SMSTimestamp.decode(Hex.decode("99309251619580")![...])
        #expect(
            timestamp
                == SMSTimestamp(year: 1999, month: 3, day: 29, hour: 15, minute: 16, second: 59, utcOffsetMinutes: 120)
        )
        #expect(try SMSTimestamp.decode(timestamp.encoded()[...]) == timestamp)
    }

    @Test func timestampRoundTripsThroughEpochSeconds() {
        let moment: Int64 = 1_795_000_000
        #expect(SMSTimestamp(secondsSince1970: moment).secondsSince1970 == moment)
        #expect(
            SMSTimestamp(secondsSince1970: 0)
                == SMSTimestamp(year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, utcOffsetMinutes: 0)
        )
    }

    @Test(arguments: [
        (5, 0), (60, 11), (12 * 60, 143), (24 * 60, 167), (2 * 1440, 168), (7 * 1440, 173), (4 * 10080, 194),
        (5 * 10080, 197), (63 * 10080, 255),
    ])
    func validityPeriodsRoundUpToWhatTheOctetCanSay(minutes: Int, octet: Int) {
        let period = ValidityPeriod(minutes: minutes)
        #expect(Int(period.octet) == octet)
        #expect(period.minutes >= minutes)
    }
}
