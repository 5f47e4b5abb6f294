/// A modem's answer to one command: the lines before the final result code.
public struct ATResponse: Sendable, Equatable {
    public var lines: [String]
    /// True when the command ended in the `> ` prompt rather than a result code.
    public var prompt = false

    /// The text after `prefix` (e.g. `+CSQ:`) of the first line that starts with it, trimmed.
    public func value(after prefix: String) -> String? {
        lines.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)).trimmingSpaces() }
    }
}

/// Result codes that end a command (TS 27.007 5.7, V.250).
enum FinalResult {
    case ok
    case error(String)

    init?(_ line: String) {
        switch line {
        case "OK": self = .ok
        case "ERROR", "NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE", "COMMAND NOT SUPPORT", "TOO MANY PARAMETERS":
            self = .error(line)
        default:
            if line.hasPrefix("+CMS ERROR:") || line.hasPrefix("+CME ERROR:") {
                self = .error(line)
            } else {
                return nil
            }
        }
    }
}

/// Something the modem said on its own: one line, or a header line and the PDU line after it
/// (`+CDS:`, `+CMT:`).
public struct UnsolicitedResult: Sendable, Equatable {
    public var line: String
    public var pdu: String?
}

/// Unsolicited result codes: lines a modem sends on its own, even in the middle of a command.
enum UnsolicitedCode {
    static let prefixes = [
        "+CMTI:", "+CDSI:", "+CDS:", "+CMT:", "RING", "+CLIP:", "+CRING:", "+CUSD:", "^RSSI:", "^BOOT:", "^MODE:",
    ]
    /// Codes whose PDU follows on the next line.
    static let withPDU = ["+CDS:", "+CMT:"]

    static func matches(_ line: String) -> Bool { prefixes.contains { line.hasPrefix($0) } }
    static func hasPDU(_ line: String) -> Bool { withPDU.contains { line.hasPrefix($0) } }
}
