import NIOCore

/// What a modem says: a line of text, or the `> ` prompt that asks for a PDU.
public enum ATLine: Sendable, Equatable {
    case line(String)
    case prompt
}

/// Splits a modem's byte stream into lines (on CR or LF, empty lines dropped) and recognises the
/// `> ` prompt, which has no line end. Control characters other than the line ends are removed.
public struct ATLineDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ATLine

    /// A line longer than this is cut: no modem answer is this long, so it is noise.
    static let maximumLineLength = 4096

    public init() {}

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let result = Self.next(&buffer) else { return .needMoreData }
        if let line = result { context.fireChannelRead(Self.wrapInboundOut(line)) }
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws
        -> DecodingState
    {
        try decode(context: context, buffer: &buffer)
    }

    /// The next event in `buffer`: `nil` if more data is needed, `.some(nil)` if bytes were consumed
    /// without producing an event.
    static func next(_ buffer: inout ByteBuffer) -> ATLine?? {
        let view = buffer.readableBytesView
        guard let first = view.first else { return nil }
        if first == UInt8(ascii: "\r") || first == UInt8(ascii: "\n") {
            buffer.moveReaderIndex(forwardBy: 1)
            return .some(nil)
        }
        if first == UInt8(ascii: ">") {
            guard view.count >= 2 else { return nil }
            if view[view.startIndex + 1] == UInt8(ascii: " ") {
                buffer.moveReaderIndex(forwardBy: 2)
                return .some(.prompt)
            }
        }
        guard let end = view.firstIndex(where: { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }) else {
            if view.count > maximumLineLength {
                buffer.moveReaderIndex(forwardBy: view.count)
                return .some(nil)
            }
            return nil
        }
        let length = end - view.startIndex
        let bytes = buffer.readBytes(length: length) ?? []
        let text = String(decoding: bytes.filter { $0 >= 0x20 && $0 != 0x7F }, as: UTF8.self)
            .trimmingSpaces()
        return .some(text.isEmpty ? nil : .line(text))
    }
}

extension String {
    func trimmingSpaces() -> String {
        var slice = Substring(self)
        while slice.first == " " { slice.removeFirst() }
        while slice.last == " " { slice.removeLast() }
        return String(slice)
    }
}
