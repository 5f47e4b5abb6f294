// libFuzzer target for the PDU decoder, built by Tests/Fuzz/run together with Core/SMSCodec.
// PDUs arrive over the air from anyone: whatever the bytes, decoding must return, never trap.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPDUDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let hex = Hex.encode(bytes)
    // As the octets of a PDU, with and without the SMSC field…
    _ = try? SMSPDU.decode(hex: hex)
    _ = try? SMSPDU.decode(hex: hex, hasServiceCentre: false)
    // …and as the text of a modem's answer line, a PDU or a USSD answer.
    let line = String(decoding: bytes, as: UTF8.self)
    _ = try? SMSPDU.decode(hex: line)
    _ = USSDAnswer(line)
    _ = USSDAnswer(line, characterSet: .gsm)
    return 0
}
