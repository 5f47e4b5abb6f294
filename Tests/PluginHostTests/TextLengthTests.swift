import Testing

@testable import SwiftletPluginSDK

@Suite("Plugin texts are counted as the gateway counts them")
struct TextLengthTests {
    @Test func clipCountsCodePointsAndKeepsCharactersWhole() {
        // "\r\n" is one Character but two code points, as the gateway (and SMSEagle) counts.
        #expect(OutgoingSMS.clip("ab\r\ncd", to: 4) == "ab\r\n")
        #expect(OutgoingSMS.clip("ab\r\ncd", to: 3) == "ab")
        // An emoji with its skin-tone modifier (two code points) is kept whole or left out.
        #expect(OutgoingSMS.clip("ok 👍🏽", to: 4) == "ok ")
        #expect(OutgoingSMS.clip("ok 👍🏽", to: 5) == "ok 👍🏽")
        // The ellipsis counts towards the limit; a text within the limit is unchanged.
        let long = String(repeating: "x", count: 1600)
        let clipped = OutgoingSMS.clip(long, ellipsis: "…")
        #expect(clipped.unicodeScalars.count == OutgoingSMS.maximumLength)
        #expect(clipped.hasSuffix("…"))
        #expect(OutgoingSMS.clip("short") == "short")
        let crlf = String(repeating: "a\r\n", count: 600)  // 600 Characters, 1800 code points
        #expect(OutgoingSMS.clip(crlf).unicodeScalars.count == 1530)
    }
}
