import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Requests the HTTP/1 parser would refuse before any route sees them.
///
/// - Raw UTF-8 in a URL (`/http_api/send_sms?…&message=Disk+på+db1`) is refused by the parser
///   (llhttp), but clients that build URLs by hand send it, and SMSEagle (PHP behind a web server)
///   accepts it. ``RequestTargetEncoder`` percent-encodes those octets before the parser reads the
///   request line, so the APIs see `%C3%A5` and decode it as any other escape.
/// - What the parser still refuses (a space or a control character in the URL, a malformed header)
///   is answered 400 with a body that says why, and logged; ``MalformedRequestAnswer`` does that.
enum RequestLineRepair {
    /// The handlers to add after the HTTP codec; the encoder puts itself in front of the parser.
    static func handlers(logger: Logger) -> [any RemovableChannelHandler] {
        [MalformedRequestAnswer(logger: logger)]
    }

    /// What to tell a client whose request the parser refused.
    static func explanation(_ error: HTTPParserError) -> String {
        switch error {
        case .invalidURL, .invalidCharactersUsed, .invalidPath, .invalidQueryString, .invalidFragment:
            "the request line is not valid HTTP: a URL must not hold spaces or control characters "
                + "(percent-encode them, e.g. %20)"
        case .headerOverflow: "the request's headers are too large"
        case .invalidConstant:
            "the request line or a header line is not valid HTTP/1.1 (a space in the URL must be "
                + "percent-encoded as %20)"
        case .invalidHeaderToken, .lfExpected, .strictModeAssertion:
            "a header line is not valid HTTP/1.1"
        case .invalidContentLength, .unexpectedContentLength: "the Content-Length header is not valid"
        case .invalidChunkSize: "the chunked body is not valid"
        case .invalidMethod: "the request method is not valid HTTP"
        case .invalidVersion: "the HTTP version is not valid (HTTP/1.0 or HTTP/1.1)"
        default: "the request is not valid HTTP/1.1 (\(error))"
        }
    }
}

/// Percent-encodes every octet above 0x7F in a request line, and passes everything else through.
///
/// It follows the framing of each request so that only request lines are touched: the headers up to
/// the blank line, then exactly `Content-Length` octets of body. A request with `Transfer-Encoding`
/// (or a Content-Length it cannot read) makes it step aside for the rest of the connection; the
/// parser then decides alone, as without this handler.
final class RequestTargetEncoder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum State: Equatable {
        case requestLine(started: Bool)
        case headers
        case body(remaining: Int)
        case passThrough
    }

    private(set) var state = State.requestLine(started: false)
    /// The header line being read (up to 256 octets: only Content-Length and Transfer-Encoding matter).
    private var line: [UInt8] = []
    private var lineTooLong = false
    private var contentLength: Int?
    private var framingUnknown = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        if state == .passThrough {
            context.fireChannelRead(data)
            return
        }
        var output = context.channel.allocator.buffer(capacity: input.readableBytes)
        process(&input, into: &output)
        context.fireChannelRead(wrapInboundOut(output))
    }

    /// Moves `input` to `output`, encoding request lines; separate from the channel for tests.
    func process(_ input: inout ByteBuffer, into output: inout ByteBuffer) {
        while input.readableBytes > 0 {
            switch state {
            case .passThrough:
                output.writeBuffer(&input)
            case .body(let remaining):
                var slice = input.readSlice(length: min(remaining, input.readableBytes))!
                output.writeBuffer(&slice)
                let left = remaining - slice.writerIndex
                state = left > 0 ? .body(remaining: left) : .requestLine(started: false)
            case .requestLine(let started):
                let byte = input.readInteger(as: UInt8.self)!
                if byte >= 0x80 {
                    output.writeStaticString("%")
                    output.writeString(String(byte, radix: 16, uppercase: true))
                } else {
                    output.writeInteger(byte)
                }
                if byte == UInt8(ascii: "\n") {
                    // Empty lines before a request are skipped by the parser; so here.
                    if started { startHeaders() }
                } else if byte != UInt8(ascii: "\r") {
                    state = .requestLine(started: true)
                }
            case .headers:
                let byte = input.readInteger(as: UInt8.self)!
                output.writeInteger(byte)
                if byte == UInt8(ascii: "\n") {
                    endHeaderLine()
                } else if byte != UInt8(ascii: "\r") {
                    if line.count < 256 { line.append(byte) } else { lineTooLong = true }
                }
            }
        }
    }

    private func startHeaders() {
        state = .headers
        line.removeAll(keepingCapacity: true)
        lineTooLong = false
        contentLength = nil
        framingUnknown = false
    }

    private func endHeaderLine() {
        defer {
            line.removeAll(keepingCapacity: true)
            lineTooLong = false
        }
        guard !line.isEmpty else {
            // The blank line: the body follows, or the next request.
            if framingUnknown {
                state = .passThrough
            } else if let length = contentLength, length > 0 {
                state = .body(remaining: length)
            } else {
                state = .requestLine(started: false)
            }
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
        let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        switch name {
        case "content-length":
            if lineTooLong || contentLength != nil || value.isEmpty || value.count > 18
                || !value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            {
                framingUnknown = true
            } else {
                contentLength = Int(value)
            }
        case "transfer-encoding":
            framingUnknown = true
        default:
            break
        }
    }
}

/// Answers a request the HTTP parser refused with a 400 that says why, and logs it. Hummingbird
/// writes that 400 itself, with an empty body; this handler gives it one. It also puts a
/// ``RequestTargetEncoder`` in front of the parser.
final class MalformedRequestAnswer: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let logger: Logger
    /// The answer's body, from the parser's error until the 400 is written.
    private var refusal: String?
    private var answering = false

    init(logger: Logger) { self.logger = logger }

    func handlerAdded(context: ChannelHandlerContext) {
        try? context.pipeline.syncOperations.addHandler(RequestTargetEncoder(), position: .first)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? HTTPParserError, refusal == nil {
            let reason = RequestLineRepair.explanation(error)
            refusal = "Bad request: \(reason)\n"
            logger.notice(
                "HTTP: request refused before routing",
                metadata: [
                    "client": "\(context.channel.remoteAddress?.ipAddress ?? "unknown")", "reason": "\(reason)",
                    "parser": "\(error)",
                ]
            )
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard let refusal else {
            context.write(data, promise: promise)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status == .badRequest && head.headerFields[.contentLength] == "0":
            answering = true
            head.headerFields[.contentLength] = "\(refusal.utf8.count)"
            head.headerFields[.contentType] = "text/plain; charset=utf-8"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end(let trailers) where answering:
            context.write(wrapOutboundOut(.body(ByteBuffer(string: refusal))), promise: nil)
            context.write(wrapOutboundOut(.end(trailers)), promise: promise)
            self.refusal = nil
            answering = false
        default:
            context.write(data, promise: promise)
        }
    }
}
