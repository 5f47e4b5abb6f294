import Foundation
import Testing

@testable import SwiftletAPI

@Suite("APIv1 parameter handling")
struct APIUnitTests {
    @Test func formValuesAreDecodedAsPHPDoes() {
        let form = FormParameters(encoded: "to=%2B4670&message=Hello+w%C3%B6rld%21&x=a%ZZ&to=123&empty")
        #expect(form["to"] == "123")
        #expect(form["message"] == "Hello wörld!")
        #expect(form["x"] == "a%ZZ")
        #expect(form["empty"] == "")
    }

    @Test func numbersWithAnUnencodedPlusAreInternational() {
        #expect(APIv1.number(" 46701234567") == "+46701234567")
        #expect(APIv1.number("0701234567") == "0701234567")
    }

    @Test func datesAreCheckedForRealCalendarDays() throws {
        let dates = SMSEagleDate(timeZone: TimeZone(identifier: "UTC")!)
        let date = try #require(dates.parse("202611221530", withSeconds: false))
        #expect(dates.format(date) == "2026-11-22 15:30:00")
        #expect(dates.parse("202602301200", withSeconds: false) == nil)
        #expect(dates.parse("20261122153000", withSeconds: false) == nil)
        #expect(dates.parse("20261122153059", withSeconds: true).map(dates.format) == "2026-11-22 15:30:59")
        #expect(dates.parse("2026112215305x", withSeconds: true) == nil)
    }

    @Test func xmlAnswersEscapeText() {
        let reply = APIv1Reply.rows([[("TextDecoded", "a < b & \"c\"")]])
        #expect(reply.xml.contains("<TextDecoded>a &lt; b &amp; &quot;c&quot;</TextDecoded>"))
        #expect(APIv1Reply.rows([[("A", "say \"hi\""), ("B", "x")]]).text == "A;B\n\"say \"\"hi\"\"\";\"x\"")
    }
}
