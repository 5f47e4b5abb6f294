/// Why a PDU could not be decoded or a message could not be encoded.
///
/// PDUs arrive over the air from anyone: decoding never traps, it returns one of these.
public struct PDUError: Error, Hashable, CustomStringConvertible, Sendable {
    enum Code: Hashable, Sendable {
        case truncated(field: String)
        case invalidHex
        case invalidField(field: String, reason: String)
        case unsupported(String)
        case invalidAddress(String)
    }

    let code: Code

    static func truncated(_ field: String) -> PDUError { PDUError(code: .truncated(field: field)) }
    static let invalidHex = PDUError(code: .invalidHex)
    static func invalidField(_ field: String, _ reason: String) -> PDUError {
        PDUError(code: .invalidField(field: field, reason: reason))
    }
    static func unsupported(_ what: String) -> PDUError { PDUError(code: .unsupported(what)) }
    static func invalidAddress(_ address: String) -> PDUError { PDUError(code: .invalidAddress(address)) }

    public var description: String {
        switch code {
        case .truncated(let field): "PDU ends inside \(field)"
        case .invalidHex: "PDU is not hexadecimal text of whole octets"
        case .invalidField(let field, let reason): "PDU field \(field) is invalid: \(reason)"
        case .unsupported(let what): "PDU uses \(what), which is not supported"
        case .invalidAddress(let address): "'\(address)' is not a phone number or an alphanumeric sender"
        }
    }
}

/// Reads a PDU front to back with every length checked.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func octet(_ field: String) throws(PDUError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(field) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func octets(_ count: Int, _ field: String) throws(PDUError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw .truncated(field) }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func rest() -> ArraySlice<UInt8> {
        defer { offset = bytes.count }
        return bytes[offset...]
    }
}
