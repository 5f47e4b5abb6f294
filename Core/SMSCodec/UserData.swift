/// Where a message part sits in a concatenated message (TS 23.040 9.2.3.24.1 and .8).
public struct Concatenation: Hashable, Sendable {
    public var reference: Int
    public var total: Int
    public var sequence: Int
    public var sixteenBitReference: Bool

    public init(reference: Int, total: Int, sequence: Int, sixteenBitReference: Bool = false) {
        self.reference = reference
        self.total = total
        self.sequence = sequence
        self.sixteenBitReference = sixteenBitReference
    }

    var informationElement: [UInt8] {
        if sixteenBitReference {
            return [0x08, 4, UInt8(reference >> 8 & 0xFF), UInt8(reference & 0xFF), UInt8(total), UInt8(sequence)]
        }
        return [0x00, 3, UInt8(reference & 0xFF), UInt8(total), UInt8(sequence)]
    }
}

/// Decoded TP-User-Data: the header's raw bytes, concatenation if present, and the payload.
public struct UserData: Hashable, Sendable {
    /// The user data header without its length octet; empty when there is none.
    public var header: [UInt8] = []
    public var concatenation: Concatenation?
    /// The text, for GSM 7-bit and UCS-2 messages.
    public var text: String?
    /// The payload octets for 8-bit (binary) messages.
    public var binary: [UInt8]?
    /// The PDU held less user data than its length said; `text`/`binary` is what there was.
    /// (Phones do send such PDUs; what arrived is better than nothing.)
    public var truncated = false

    static func decode(
        _ reader: inout ByteReader,
        length: Int,
        coding: DataCodingScheme,
        hasHeader: Bool
    ) throws(PDUError) -> UserData {
        let bytes = reader.rest()
        var result = UserData()
        guard length > 0 else {
            // No user data at all, even if TP-UDHI claims a header.
            result.text = coding.alphabet == .eightBit ? nil : ""
            result.binary = coding.alphabet == .eightBit ? [] : nil
            return result
        }
        var headerOctets = 0
        if hasHeader {
            guard let headerLength = bytes.first.map(Int.init) else { throw .truncated("user data header") }
            headerOctets = headerLength + 1
            guard headerOctets <= bytes.count else { throw .truncated("user data header") }
            result.header = Array(bytes[(bytes.startIndex + 1)..<(bytes.startIndex + headerOctets)])
            result.concatenation = parseConcatenation(result.header)
        }
        switch coding.alphabet {
        case .gsm7:
            guard length <= 160 + 20 else { throw .invalidField("user data length", "\(length) septets") }
            let headerSeptets = (headerOctets * 8 + 6) / 7
            let fillBits = headerSeptets * 7 - headerOctets * 8
            var textSeptets = length - headerSeptets
            guard textSeptets >= 0 else { throw .invalidField("user data length", "shorter than its header") }
            let body = bytes.dropFirst(headerOctets)
            let available = max(0, (body.count * 8 - fillBits) / 7)
            if textSeptets > available {
                textSeptets = available
                result.truncated = true
            }
            guard let septets = SeptetPacking.unpack(body, count: textSeptets, fillBits: fillBits) else {
                throw .truncated("user data")
            }
            result.text = GSM7Alphabet.decode(septets)
        case .ucs2, .eightBit:
            guard length >= headerOctets else { throw .invalidField("user data length", "shorter than its header") }
            var end = min(length, bytes.count)
            if coding.alphabet == .ucs2, (end - headerOctets) % 2 != 0 { end -= 1 }
            result.truncated = end < length
            let body = Array(bytes[(bytes.startIndex + headerOctets)..<(bytes.startIndex + end)])
            if coding.alphabet == .ucs2 {
                result.text = UCS2.decode(body)
            } else {
                result.binary = body
            }
        }
        return result
    }

    static func parseConcatenation(_ header: [UInt8]) -> Concatenation? {
        var index = 0
        var found: Concatenation?
        while index + 1 < header.count {
            let identifier = header[index]
            let length = Int(header[index + 1])
            let start = index + 2
            guard start + length <= header.count else { break }
            let value = header[start..<(start + length)]
            if identifier == 0x00, length == 3 {
                let v = Array(value)
                found = Concatenation(reference: Int(v[0]), total: Int(v[1]), sequence: Int(v[2]))
            } else if identifier == 0x08, length == 4 {
                let v = Array(value)
                found = Concatenation(
                    reference: Int(v[0]) << 8 | Int(v[1]),
                    total: Int(v[2]),
                    sequence: Int(v[3]),
                    sixteenBitReference: true
                )
            }
            index = start + length
        }
        guard let found, found.total > 0, (1...found.total).contains(found.sequence) else { return nil }
        return found
    }
}

/// UCS-2 as phones send it: UTF-16 big-endian (characters outside the BMP as surrogate pairs).
public enum UCS2 {
    public static func encode(_ text: String) -> [UInt8] {
        text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    public static func units(_ text: String) -> [UInt16] { Array(text.utf16) }

    /// Decodes big-endian UTF-16; an odd trailing octet is dropped and lone surrogates become U+FFFD.
    public static func decode(_ bytes: [UInt8]) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var index = 0
        while index + 1 < bytes.count {
            units.append(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]))
            index += 2
        }
        return String(decoding: units, as: UTF16.self)
    }
}
