/// A TP address or SMSC address (3GPP TS 23.040, 9.1.2.5): a number, or an alphanumeric sender.
public struct Address: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// An international number; `digits` excludes the leading `+`.
        case international
        /// A number without a type of number (national, or as dialled).
        case unknown
        /// A text sender such as `Bank` (type of number 101).
        case alphanumeric
    }

    public let kind: Kind
    /// Digits (with `*`, `#`, `a`, `b`, `c` where present) for numbers; the text for alphanumeric senders.
    public let value: String

    public init(kind: Kind, value: String) {
        self.kind = kind
        self.value = value
    }

    /// Parses a number as users write it: `+46701234567` is international, `0701234567` is not.
    /// Spaces, dashes, dots and parentheses are ignored.
    public init(number: String) throws(PDUError) {
        var digits = number.filter { !" -.()".contains($0) }
        var kind = Kind.unknown
        if digits.hasPrefix("+") {
            kind = .international
            digits.removeFirst()
        }
        guard !digits.isEmpty, digits.count <= 20, digits.allSatisfy({ "0123456789*#".contains($0) }) else {
            throw .invalidAddress(number)
        }
        self.init(kind: kind, value: digits)
    }

    /// The number as written in logs and APIs: international numbers with a leading `+`.
    public var description: String { kind == .international ? "+" + value : value }

    var typeOfAddress: UInt8 {
        switch kind {
        case .international: 0x91
        case .unknown: 0x81
        case .alphanumeric: 0xD0
        }
    }

    /// Encodes as a TP address: digit count, type of address, semi-octets.
    func encodedTP() -> [UInt8] {
        if kind == .alphanumeric {
            let septets = GSM7Alphabet.encode(value) ?? []
            let packed = SeptetPacking.pack(septets)
            // The length counts semi-octets of the packed text.
            return [UInt8(min(packed.count * 2, 255)), typeOfAddress] + packed
        }
        return [UInt8(value.count), typeOfAddress] + Address.semiOctets(value)
    }

    /// Encodes as an SMSC address: octet count (including the type), type of address, semi-octets.
    func encodedSMSC() -> [UInt8] {
        let digits = Address.semiOctets(value)
        return [UInt8(digits.count + 1), typeOfAddress] + digits
    }

    static func semiOctets(_ digits: String) -> [UInt8] {
        let nibbles = digits.map { character -> UInt8 in
            switch character {
            case "*": 0xA
            case "#": 0xB
            case "a": 0xC
            case "b": 0xD
            case "c": 0xE
            default: character.wholeNumberValue.map(UInt8.init) ?? 0xF
            }
        }
        var octets: [UInt8] = []
        var index = 0
        while index < nibbles.count {
            let low = nibbles[index]
            let high: UInt8 = index + 1 < nibbles.count ? nibbles[index + 1] : 0xF
            octets.append(high << 4 | low)
            index += 2
        }
        return octets
    }

    static func digits(fromSemiOctets octets: ArraySlice<UInt8>, count: Int) -> String {
        let symbols = Array("0123456789*#abc")
        var digits = ""
        for octet in octets {
            for nibble in [octet & 0x0F, octet >> 4] where digits.count < count {
                if nibble < 0xF { digits.append(symbols[Int(nibble)]) }
            }
        }
        return digits
    }

    static func kind(ofTypeOfAddress toa: UInt8) -> Kind {
        switch (toa >> 4) & 0x07 {
        case 1: .international
        case 5: .alphanumeric
        default: .unknown
        }
    }

    /// Reads a TP address (length in semi-octets).
    static func readTP(_ reader: inout ByteReader, field: String) throws(PDUError) -> Address {
        let length = Int(try reader.octet(field + " length"))
        // TS 23.040 § 9.1.2.5: the whole field is at most 12 octets, so at most 10 octets of value.
        guard length <= 20 else {
            throw .invalidField(field + " length", "\(length) semi-octets is longer than an address")
        }
        let toa = try reader.octet(field + " type")
        let octets = try reader.octets((length + 1) / 2, field)
        let kind = kind(ofTypeOfAddress: toa)
        if kind == .alphanumeric {
            guard let septets = SeptetPacking.unpack(octets, count: length * 4 / 7) else {
                throw .truncated(field)
            }
            return Address(kind: .alphanumeric, value: GSM7Alphabet.decode(septets))
        }
        return Address(kind: kind, value: digits(fromSemiOctets: octets, count: length))
    }

    /// Reads the SMSC field that prefixes PDUs in `+CMGR`/`+CMGL` answers (length in octets).
    static func readSMSC(_ reader: inout ByteReader) throws(PDUError) -> Address? {
        let length = Int(try reader.octet("SMSC length"))
        guard length > 0 else { return nil }
        guard length <= 12 else { throw .invalidField("SMSC length", "\(length) octets is longer than an address") }
        let toa = try reader.octet("SMSC type")
        let octets = try reader.octets(length - 1, "SMSC address")
        return Address(kind: kind(ofTypeOfAddress: toa), value: digits(fromSemiOctets: octets, count: octets.count * 2))
    }
}
