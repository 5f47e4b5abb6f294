/// A network's USSD answer as a modem reports it: `+CUSD: <m>[,<str>[,<dcs>]]` (3GPP TS 27.007 7.15).
///
/// Modems disagree on how they write `<str>`: some give the packed GSM 7-bit octets in hex (Huawei),
/// some UCS-2 in hex (with or without `<dcs>`, sometimes with garbage after a NUL), most plain text
/// in the modem's character set. The decoder goes by `<dcs>` (a cell-broadcast data coding scheme,
/// TS 23.038 5) when given, else by what the string looks like.
public struct USSDAnswer: Sendable, Equatable {
    /// `<m>`: 0 no further action, 1 the network wants an answer, 2 the session was ended by the
    /// network, 3 another client answered, 4 not supported, 5 the network timed out.
    public let status: Int
    /// The decoded text; nil when the answer carries none.
    public let text: String?
    public let dataCodingScheme: Int?

    /// How the modem writes plain text (`AT+CSCS`): `.gsm` maps each octet through the GSM 7-bit
    /// table (so `{` is `ä`), `.ira` takes it as written.
    public enum CharacterSet: Sendable {
        case gsm
        case ira
    }

    /// Parses the part after `+CUSD:`; nil if it has no status.
    public init?(_ value: String, characterSet: CharacterSet = .ira) {
        let (fields, quoted) = Self.fields(value)
        guard let first = fields.first, let status = Int(first.filter { $0 != " " }) else { return nil }
        self.status = status
        dataCodingScheme = fields.count > 2 ? Int(fields[2].filter { $0 != " " }) : nil
        guard fields.count > 1 else {
            text = nil
            return
        }
        let raw = fields[1]
        text = Self.decode(raw, quoted: quoted, dcs: dataCodingScheme, characterSet: characterSet)
    }

    /// Splits `<m>,<str>,<dcs>`; `<str>` may itself hold commas when quoted.
    static func fields(_ value: String) -> ([String], Bool) {
        let trimmed = String(value.drop { $0 == " " })
        guard let firstComma = trimmed.firstIndex(of: ",") else { return ([trimmed], false) }
        let status = String(trimmed[..<firstComma])
        var rest = trimmed[trimmed.index(after: firstComma)...].drop { $0 == " " }
        if rest.first == "\"" {
            rest = rest.dropFirst()
            // The closing quote is the last one (the text may hold quotes); a missing one ends the line.
            guard let close = rest.lastIndex(of: "\"") else { return ([status, String(rest)], true) }
            let text = String(rest[..<close])
            let after = rest[rest.index(after: close)...]
            let dcs = after.drop { $0 == "," || $0 == " " }
            return (dcs.isEmpty ? [status, text] : [status, text, String(dcs)], true)
        }
        let parts = rest.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        return ([status] + parts, false)
    }

    static func decode(_ string: String, quoted: Bool, dcs: Int?, characterSet: CharacterSet) -> String {
        // 0x11: UCS-2 after a two-octet language indication (TS 23.038 5).
        let raw = dcs == 0x11 && string.count > 4 ? String(string.dropFirst(4)) : string
        let isHex = raw.count >= 2 && raw.count % 2 == 0 && raw.utf8.allSatisfy { Hex.digitValue($0) != nil }
        // A modem in UCS-2 mode (AT+CSCS="UCS2") writes UCS-2 hex whatever the coding scheme says.
        if isHex, raw.count % 4 == 0, let text = ucs2(raw), looksLikeText(text) { return text }
        if let dcs {
            switch alphabet(ofCBS: dcs) {
            case .ucs2:
                if isHex, let text = ucs2(raw) { return text }
            case .gsm7:
                if isHex, raw.count >= 8, let text = packedGSM7(raw) { return text }
            case .eightBit:
                break
            }
            return plain(raw, characterSet)
        }
        if isHex, raw.count >= 8, let text = packedGSM7(raw) { return text }
        return plain(raw, characterSet)
    }

    /// UCS-2 that decodes to printable characters nearly all below U+0800 (Latin, Greek, Cyrillic,
    /// Hebrew, Arabic…) is text; packed GSM 7-bit octets read as UCS-2 land all over the code space.
    static func looksLikeText(_ text: String) -> Bool {
        let scalars = text.unicodeScalars
        guard !scalars.isEmpty, scalars.allSatisfy({ $0.value >= 0x20 || $0 == "\n" || $0 == "\r" }) else {
            return false
        }
        return scalars.filter { $0.value < 0x0800 }.count * 10 >= scalars.count * 9
    }

    /// The alphabet of a cell-broadcast data coding scheme (TS 23.038 5).
    static func alphabet(ofCBS dcs: Int) -> Alphabet {
        switch dcs >> 4 {
        case 0x0, 0x2, 0x3: return .gsm7  // languages in the GSM 7-bit alphabet
        case 0x1: return dcs & 0x0F == 1 ? .ucs2 : .gsm7  // with a language indication
        case 0x4...0x7:  // general data coding
            switch (dcs >> 2) & 0x03 {
            case 1: return .eightBit
            case 2: return .ucs2
            default: return .gsm7
            }
        case 0xF: return dcs & 0x04 != 0 ? .eightBit : .gsm7
        default: return .gsm7
        }
    }

    /// UCS-2 hex, up to a NUL (some modems pad with garbage after it).
    static func ucs2(_ raw: String) -> String? {
        guard var bytes = Hex.decode(raw) else { return nil }
        if bytes.count % 2 == 1 { bytes.removeLast() }
        var units: [UInt16] = []
        var index = 0
        while index + 1 < bytes.count {
            let unit = UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
            if unit == 0 { break }
            units.append(unit)
            index += 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// Packed GSM 7-bit octets in hex; nil unless the result reads as text.
    static func packedGSM7(_ raw: String) -> String? {
        guard let octets = Hex.decode(raw) else { return nil }
        var count = octets.count * 8 / 7
        guard var septets = SeptetPacking.unpack(octets[...], count: count) else { return nil }
        // A final CR (0x0D) pads 7 spare bits in USSD (TS 23.038 6.1.2.3.1); a spare septet of 0 is no character.
        if let last = septets.last, last == 0x0D || last == 0x00, octets.count % 7 == 0 {
            septets.removeLast()
            count -= 1
        }
        let text = GSM7Alphabet.decode(septets)
        let printable = text.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\n" || $0 == "\r" }.count
        return printable * 10 >= text.unicodeScalars.count * 9 ? text : nil
    }

    static func plain(_ raw: String, _ characterSet: CharacterSet) -> String {
        switch characterSet {
        case .ira: raw
        case .gsm: GSM7Alphabet.decode(Array(raw.utf8).map { $0 & 0x7F })
        }
    }
}
