/// What a modem says: a line of text, or the `> ` prompt that asks for a PDU.
public enum ATLine: Sendable, Equatable {
    case line(String)
    case prompt
}

/// Splits a modem's bytes into lines (on CR or LF, empty lines dropped) and recognises the `> `
/// prompt, which has no line end. Control characters other than the line ends are removed.
///
/// Pure and free of I/O types, so it can be fuzzed on its own; ``ATLineDecoder`` runs it on a channel.
public enum ATLineScanner {
    /// A line longer than this is cut: no modem answer is this long, so it is noise.
    static let maximumLineLength = 4096

    /// The next event at the start of `bytes`: nil if more bytes are needed; otherwise how many bytes
    /// it took and the event, if any (line ends and noise are consumed without one).
    public static func next(_ bytes: some Collection<UInt8>) -> (consumed: Int, event: ATLine?)? {
        guard let first = bytes.first else { return nil }
        if first == UInt8(ascii: "\r") || first == UInt8(ascii: "\n") { return (1, nil) }
        if first == UInt8(ascii: ">") {
            guard bytes.count >= 2 else { return nil }
            if bytes[bytes.index(after: bytes.startIndex)] == UInt8(ascii: " ") { return (2, .prompt) }
        }
        guard let end = bytes.firstIndex(where: { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }) else {
            return bytes.count > maximumLineLength ? (bytes.count, nil) : nil
        }
        let line = bytes[bytes.startIndex..<end]
        let text = String(decoding: line.filter { $0 >= 0x20 && $0 != 0x7F }, as: UTF8.self).trimmingSpaces()
        return (line.count, text.isEmpty ? nil : .line(text))
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
