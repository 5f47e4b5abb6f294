import NIOCore

/// Runs ``ATLineScanner`` on a channel's bytes: one ``ATLine`` per line or prompt.
public struct ATLineDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ATLine

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
        guard let (consumed, event) = ATLineScanner.next(buffer.readableBytesView) else { return nil }
        buffer.moveReaderIndex(forwardBy: consumed)
        return .some(event)
    }
}
