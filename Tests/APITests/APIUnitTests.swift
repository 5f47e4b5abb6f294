import Foundation
import Logging
import SwiftletDomain
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

@Suite("Addresses: networks, trusted proxies, the failed-login limiter")
struct AddressTests {
    @Test func networksContainTheirAddressesOnly() throws {
        let private10 = try #require(IPNetwork("10.0.0.0/8"))
        #expect(private10.contains("10.200.3.4"))
        #expect(!private10.contains("11.0.0.1"))
        #expect(!private10.contains("not an address"))
        let one = try #require(IPNetwork("192.0.2.7"))
        #expect(one.contains("192.0.2.7") && !one.contains("192.0.2.8"))
        let v6 = try #require(IPNetwork("fd00::/8"))
        #expect(v6.contains("fd12::1") && !v6.contains("fe80::1"))
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPNetwork("example.org") == nil)
        // An IPv4-mapped IPv6 address is the IPv4 address it carries.
        #expect(try #require(IPNetwork("127.0.0.0/8")).contains("::ffff:127.0.0.1"))
    }

    @Test func internalDestinationsAreNotPublic() {
        func isPublic(_ address: String) -> Bool { !IPNetwork.nonPublic.contains { $0.contains(address) } }
        for address in [
            "127.0.0.1", "127.9.9.9", "10.1.1.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
            "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fd00::1", "ff02::1",
            "::ffff:10.0.0.1",
        ] {
            #expect(!isPublic(address), "\(address) passed as public")
        }
        for address in ["8.8.8.8", "172.32.0.1", "192.0.2.1", "2001:db8::1", "1.1.1.1"] {
            #expect(isPublic(address), "\(address) refused")
        }
    }

    @Test func theClientBehindATrustedProxyIsTheForwardedAddress() throws {
        let proxy = [try #require(IPNetwork("127.0.0.1")), try #require(IPNetwork("10.0.0.0/8"))]
        // Not behind a trusted proxy: the header is ignored (anybody can write it).
        #expect(
            Authenticator.client(peer: "198.51.100.1", forwardedFor: ["203.0.113.9"], trusted: proxy) == "198.51.100.1"
        )
        #expect(Authenticator.client(peer: "127.0.0.1", forwardedFor: ["203.0.113.9"], trusted: []) == "127.0.0.1")
        // Behind it: the last hop that is not itself a trusted proxy; a forged first entry does not count.
        #expect(
            Authenticator.client(peer: "127.0.0.1", forwardedFor: ["6.6.6.6, 203.0.113.9", "10.1.1.1"], trusted: proxy)
                == "203.0.113.9"
        )
        #expect(Authenticator.client(peer: "127.0.0.1", forwardedFor: [], trusted: proxy) == "127.0.0.1")
        #expect(Authenticator.client(peer: "127.0.0.1", forwardedFor: ["garbage"], trusted: proxy) == "127.0.0.1")
    }

    @Test func theLimiterBlocksAKeyForOneWindow() {
        let limiter = AuthenticationLimiter(limit: 3, window: 60, logger: Logger(label: "test"))
        let start = Date()
        #expect(!limiter.recordFailure(["a"], now: start))
        #expect(!limiter.recordFailure(["a"], now: start))
        #expect(limiter.recordFailure(["a", "b"], now: start))
        #expect(limiter.isBlocked(["a"], now: start.addingTimeInterval(59)))
        #expect(!limiter.isBlocked(["b"], now: start))
        #expect(!limiter.isBlocked(["a"], now: start.addingTimeInterval(61)))
    }
}

@Suite("Form values that are not UTF-8")
struct FormUTF8Tests {
    @Test func octetsThatAreNotUTF8AreNamedNotReplaced() {
        let form = FormParameters(encoded: "to=%2B4670&message=Disk+p%E5+db1&name=%C3%A5sa")
        #expect(form.notUTF8 == ["message"])
        #expect(form["name"] == "åsa")
        #expect(form.notUTF8Problem == "message is not UTF-8 text (send UTF-8, percent-encoded)")
        // Raw octets of a form body, as received.
        let body = FormParameters(encodedOctets: Array("message=Gr".utf8) + [0xC3, 0xB6] + Array("n&x=".utf8) + [0xFF])
        #expect(body["message"] == "Grön")
        #expect(body.notUTF8 == ["x"])
        // A later valid value of the same name wins, and clears it; merging keeps the body's word.
        var merged = FormParameters(encoded: "message=%FF&message=ok")
        #expect(merged.notUTF8.isEmpty)
        merged.merge(FormParameters(encoded: "message=%FE"))
        #expect(merged.notUTF8 == ["message"])
        merged.merge(FormParameters(encoded: "message=fine"))
        #expect(merged.notUTF8.isEmpty)
    }
}
