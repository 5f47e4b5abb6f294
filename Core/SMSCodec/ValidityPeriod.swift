/// A relative validity period (TP-VP, TS 23.040 9.2.3.12.1), rounded up to what the octet can express.
public struct ValidityPeriod: Hashable, Sendable {
    public let octet: UInt8

    /// The longest period the network allows (63 weeks).
    public static let maximum = ValidityPeriod(octet: 255)

    public init(octet: UInt8) { self.octet = octet }

    /// The smallest encodable period of at least `minutes` minutes (capped at the maximum).
    public init(minutes: Int) {
        let value: Int
        switch minutes {
        case ...720: value = max(0, (minutes + 4) / 5 - 1)
        case ...1440: value = 143 + (minutes - 720 + 29) / 30
        case ...(30 * 1440): value = 166 + (minutes + 1439) / 1440
        default: value = min(255, 192 + (minutes + 10079) / 10080)
        }
        octet = UInt8(value)
    }

    public var minutes: Int {
        let value = Int(octet)
        switch value {
        case 0...143: return (value + 1) * 5
        case 144...167: return 720 + (value - 143) * 30
        case 168...196: return (value - 166) * 1440
        default: return (value - 192) * 10080
        }
    }
}
