/// How a text is carried: its alphabet and its parts, each small enough for one SMS.
public struct SplitText: Hashable, Sendable {
    public let alphabet: Alphabet
    /// Septets (GSM 7-bit) or UTF-16 code units (UCS-2) of each part, in order.
    public let parts: [[UInt16]]
}

/// Chooses the alphabet of a text and splits it into parts (TS 23.040 9.2.3.24.1).
///
/// A single part holds 160 GSM 7-bit septets or 70 UCS-2 units; parts of a concatenated message hold
/// 153 septets or 67 units (the header takes the rest). An escape sequence (two septets) and a
/// surrogate pair (two units) are never split across parts.
public enum MessageSplitter {
    /// With a 16-bit concatenation reference, each part has one septet / UCS-2 unit less (152 / 66).
    public static func split(_ text: String, forceUCS2: Bool = false, sixteenBitReference: Bool = false) -> SplitText {
        let less = sixteenBitReference ? 1 : 0
        if !forceUCS2, let septets = GSM7Alphabet.encode(text) {
            let units = septets.map(UInt16.init)
            return SplitText(alphabet: .gsm7, parts: chunk(units, single: 160, multi: 153 - less) { $0 == 0x1B })
        }
        let units = UCS2.units(text)
        return SplitText(
            alphabet: .ucs2,
            parts: chunk(units, single: 70, multi: 67 - less) { (0xD800...0xDBFF).contains($0) }
        )
    }

    /// Cuts `units` into chunks; `isLead` marks a unit that must stay with the one after it.
    static func chunk(_ units: [UInt16], single: Int, multi: Int, isLead: (UInt16) -> Bool) -> [[UInt16]] {
        guard units.count > single else { return [units] }
        var parts: [[UInt16]] = []
        var start = 0
        while start < units.count {
            var end = min(start + multi, units.count)
            if end < units.count, isLead(units[end - 1]) { end -= 1 }
            parts.append(Array(units[start..<end]))
            start = end
        }
        return parts
    }
}
