/// The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038, 6.2.1).
///
/// It works on Unicode scalars, never on `Character`s: Swift joins "\r\n" into one `Character` (a
/// grapheme cluster), which is in neither table although both its scalars are, and a text's cost
/// must not depend on how graphemes cluster. Gammu (and so SMSEagle) decides per code point too: a
/// decomposed "é" (e + U+0301) is not GSM 7-bit, a precomposed one is.
public enum GSM7Alphabet {
    /// Septet → scalar for the default table; index is the septet value.
    static let basic: [Unicode.Scalar] = [
        "@", "£", "$", "¥", "è", "é", "ù", "ì", "ò", "Ç", "\n", "Ø", "ø", "\r", "Å", "å",
        "Δ", "_", "Φ", "Γ", "Λ", "Ω", "Π", "Ψ", "Σ", "Θ", "Ξ", "\u{1B}", "Æ", "æ", "ß", "É",
        " ", "!", "\"", "#", "¤", "%", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/",
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ":", ";", "<", "=", ">", "?",
        "¡", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O",
        "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "Ä", "Ö", "Ñ", "Ü", "§",
        "¿", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o",
        "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "ä", "ö", "ñ", "ü", "à",
    ]

    /// Septet (after the escape 0x1B) → scalar for the extension table.
    static let extensionTable: [UInt8: Unicode.Scalar] = [
        0x0A: "\u{0C}", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\",
        0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€",
    ]

    static let escape: UInt8 = 0x1B

    static let basicIndex: [Unicode.Scalar: UInt8] = {
        var index: [Unicode.Scalar: UInt8] = [:]
        for (septet, character) in basic.enumerated() where septet != 0x1B {
            index[character] = UInt8(septet)
        }
        return index
    }()

    static let extensionIndex: [Unicode.Scalar: UInt8] = {
        var index: [Unicode.Scalar: UInt8] = [:]
        for (septet, character) in extensionTable { index[character] = septet }
        return index
    }()

    /// The septets of one scalar: one for the default table, two (escape + code) for the extension
    /// table, `nil` if the scalar has no GSM 7-bit representation.
    public static func septets(for scalar: Unicode.Scalar) -> [UInt8]? {
        if let septet = basicIndex[scalar] { return [septet] }
        if let septet = extensionIndex[scalar] { return [escape, septet] }
        return nil
    }

    /// Encodes `text` as septets, or returns `nil` if any scalar is outside the alphabet.
    public static func encode(_ text: String) -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            guard let septets = septets(for: scalar) else { return nil }
            result.append(contentsOf: septets)
        }
        return result
    }

    /// Decodes septets to text. An unknown extension code decodes as the default-table character of
    /// that code (TS 23.038: "the receiving entity shall display the character of the default table"),
    /// and a trailing lone escape is dropped.
    public static func decode(_ septets: [UInt8]) -> String {
        var text = String.UnicodeScalarView()
        var index = 0
        while index < septets.count {
            let septet = septets[index] & 0x7F
            if septet == escape {
                index += 1
                guard index < septets.count else { break }
                let code = septets[index] & 0x7F
                text.append(extensionTable[code] ?? (code == escape ? " " : basic[Int(code)]))
            } else {
                text.append(basic[Int(septet)])
            }
            index += 1
        }
        return String(text)
    }
}
