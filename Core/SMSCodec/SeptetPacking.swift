/// Packing of 7-bit septets into octets (3GPP TS 23.038, 6.1.2.1.1), least significant bit first.
public enum SeptetPacking {
    /// Packs septets into octets, after `fillBits` zero bits (used to align text after a user data
    /// header to a septet boundary).
    public static func pack(_ septets: [UInt8], fillBits: Int = 0) -> [UInt8] {
        let totalBits = fillBits + septets.count * 7
        var octets = [UInt8](repeating: 0, count: (totalBits + 7) / 8)
        var bit = fillBits
        for septet in septets {
            let value = UInt16(septet & 0x7F) << UInt16(bit % 8)
            octets[bit / 8] |= UInt8(truncatingIfNeeded: value)
            if bit / 8 + 1 < octets.count {
                octets[bit / 8 + 1] |= UInt8(truncatingIfNeeded: value >> 8)
            }
            bit += 7
        }
        return octets
    }

    /// Unpacks `count` septets from `octets`, skipping `fillBits` leading bits. Returns `nil` when the
    /// octets hold fewer bits than asked for.
    public static func unpack(_ octets: ArraySlice<UInt8>, count: Int, fillBits: Int = 0) -> [UInt8]? {
        guard count >= 0, fillBits + count * 7 <= octets.count * 8 else { return nil }
        let base = octets.startIndex
        var septets: [UInt8] = []
        septets.reserveCapacity(count)
        var bit = fillBits
        for _ in 0..<count {
            let low = UInt16(octets[base + bit / 8])
            let high: UInt16 = bit / 8 + 1 < octets.count ? UInt16(octets[base + bit / 8 + 1]) : 0
            let value = ((high << 8) | low) >> UInt16(bit % 8)
            septets.append(UInt8(value & 0x7F))
            bit += 7
        }
        return septets
    }
}
