import NIOCore
import Testing

@testable import SwiftletGateway

@Suite("Raw octets in request lines")
struct RequestTargetEncoderTests {
    /// Feeds `input` in pieces of `size` octets; returns what the HTTP parser would be given.
    static func encode(_ input: [UInt8], pieces size: Int) -> [UInt8] {
        let encoder = RequestTargetEncoder()
        var output = ByteBuffer()
        var start = 0
        while start < input.count {
            var piece = ByteBuffer(bytes: input[start..<min(start + size, input.count)])
            encoder.process(&piece, into: &output)
            start += size
        }
        return Array(output.readableBytesView)
    }

    @Test func onlyRequestLinesAreEncodedWhereverTheReadsEnd() {
        let body: [UInt8] = Array("message=Gr".utf8) + [0xC3, 0xB6] + Array("n".utf8)
        let input =
            Array("GET /a?m=p".utf8) + [0xC3, 0xA5] + Array(" HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
            + Array("POST /b HTTP/1.1\r\nContent-Length: \(body.count)\r\nX-Name: J".utf8) + [0xC3, 0xB6]
            + Array("rg\r\n\r\n".utf8) + body
            + Array("\r\nGET /c?r=".utf8) + [0xC3, 0xB6] + Array(" HTTP/1.1\r\n\r\n".utf8)
        let expected =
            Array("GET /a?m=p%C3%A5 HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
            + Array("POST /b HTTP/1.1\r\nContent-Length: \(body.count)\r\nX-Name: J".utf8) + [0xC3, 0xB6]
            + Array("rg\r\n\r\n".utf8) + body
            + Array("\r\nGET /c?r=%C3%B6 HTTP/1.1\r\n\r\n".utf8)
        for size in [1, 2, 3, 7, 64, input.count] {
            #expect(Self.encode(input, pieces: size) == expected, "pieces of \(size)")
        }
    }

    @Test func aBodyOfUnknownLengthEndsTheWork() {
        let input =
            Array("POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n".utf8) + [0xC3, 0xB6, 0x41]
            + Array("\r\n0\r\n\r\nGET /c?r=".utf8) + [0xC3] + Array(" HTTP/1.1\r\n\r\n".utf8)
        // Everything after the chunked request's head passes untouched: the parser decides alone.
        #expect(Self.encode(input, pieces: 5) == input)
        let twice = Array("POST /b HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".utf8) + [0xC3]
        #expect(Self.encode(twice, pieces: 4) == twice)
    }
}
