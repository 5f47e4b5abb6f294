/// The alphabet of a message's user data.
public enum Alphabet: String, Hashable, Sendable {
    case gsm7
    case eightBit
    case ucs2
}

/// The message class (TS 23.038, 4); class 0 is a "flash" message shown at once and not stored.
public enum MessageClass: Int, Hashable, Sendable {
    case flash = 0
    case mobileEquipment = 1
    case sim = 2
    case terminalEquipment = 3
}

/// TP-Data-Coding-Scheme (3GPP TS 23.038, 4).
public struct DataCodingScheme: Hashable, Sendable {
    public var alphabet: Alphabet
    public var messageClass: MessageClass?
    public var compressed = false

    public init(alphabet: Alphabet, messageClass: MessageClass? = nil) {
        self.alphabet = alphabet
        self.messageClass = messageClass
    }

    public init(octet: UInt8) {
        let classBits = MessageClass(rawValue: Int(octet & 0x03))
        switch octet >> 4 {
        case 0x0...0x3:  // general data coding
            compressed = octet & 0x20 != 0
            alphabet = Self.alphabet(bits: (octet >> 2) & 0x03)
            messageClass = octet & 0x10 != 0 ? classBits : nil
        case 0xC, 0xD:  // message waiting, GSM 7-bit
            alphabet = .gsm7
        case 0xE:  // message waiting, UCS-2
            alphabet = .ucs2
        case 0xF:  // data coding / message class
            alphabet = octet & 0x04 != 0 ? .eightBit : .gsm7
            messageClass = classBits
        default:  // 0x4...0xB: automatic deletion group uses the general bits; others are reserved
            compressed = octet & 0x20 != 0
            alphabet = Self.alphabet(bits: (octet >> 2) & 0x03)
            messageClass = octet & 0x10 != 0 ? classBits : nil
        }
    }

    private static func alphabet(bits: UInt8) -> Alphabet {
        switch bits {
        case 1: .eightBit
        case 2: .ucs2
        default: .gsm7  // 3 is reserved and treated as the default alphabet
        }
    }

    public var octet: UInt8 {
        let alphabetBits: UInt8 =
            switch alphabet {
            case .gsm7: 0
            case .eightBit: 1
            case .ucs2: 2
            }
        var value = alphabetBits << 2
        if let messageClass {
            value |= 0x10 | UInt8(messageClass.rawValue)
        }
        return value
    }
}
