import NIOCore

/// A line of an SMTP session, without its line ending.
struct SMTPLine: Sendable {
    var bytes: [UInt8]
    /// Ended by LF alone, or holding a CR not followed by LF: the stuff of SMTP smuggling.
    var bare: Bool

    var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Splits the byte stream into lines, marks lines with bare CR or LF, and refuses overlong lines.
/// After a STARTTLS command it drops every byte until TLS is in place (`resume()`): plaintext
/// pipelined behind STARTTLS must not be read as if it came over TLS (CVE-2011-0411).
final class SMTPLineDecoder: ByteToMessageDecoder, @unchecked Sendable {
    typealias InboundOut = SMTPInput

    enum SMTPInput: Sendable {
        case line(SMTPLine)
        /// A line longer than the limit: the session answers and closes.
        case tooLong
    }

    let maximumLine: Int
    /// Only touched on the channel's event loop.
    private var discarding = false

    init(maximumLine: Int = 65_536) { self.maximumLine = maximumLine }

    /// TLS is in place: read again.
    func resume() { discarding = false }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if discarding {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            return .needMoreData
        }
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > maximumLine {
                discarding = true
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                context.fireChannelRead(wrapInboundOut(.tooLong))
            }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        var bytes = buffer.readBytes(length: length) ?? []
        buffer.moveReaderIndex(forwardBy: 1)
        if length > maximumLine {
            discarding = true
            context.fireChannelRead(wrapInboundOut(.tooLong))
            return .needMoreData
        }
        var bare = true
        if bytes.last == UInt8(ascii: "\r") {
            bytes.removeLast()
            bare = false
        }
        if bytes.contains(UInt8(ascii: "\r")) { bare = true }
        let line = SMTPLine(bytes: bytes, bare: bare)
        if !bare, bytes.count == 8, line.text.uppercased() == "STARTTLS" { discarding = true }
        context.fireChannelRead(wrapInboundOut(.line(line)))
        return .continue
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .needMoreData
    }
}
