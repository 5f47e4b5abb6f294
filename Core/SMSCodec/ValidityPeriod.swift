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

    /// Parses SMSEagle's validity values: `5m`, `10m`, `30m`, `1h`, `2h`, `4h`, `12h`, `1d`, `2d`, `5d`,
    /// `1w`, `2w`, `4w` or `max` (any whole number with m, h, d or w is accepted and rounded up).
    public init?(parsing text: String) {
        if text == "max" {
            self = .maximum
            return
        }
        let units: [Character: Int] = ["m": 1, "h": 60, "d": 1440, "w": 10080]
        guard let unit = text.last.flatMap({ units[$0] }), let value = Int(text.dropLast()), value > 0 else {
            return nil
        }
        self.init(minutes: value * unit)
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
