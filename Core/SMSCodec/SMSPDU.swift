/// Any PDU a modem returns from `+CMGR`/`+CMGL` or a `+CMT`/`+CDS` notification.
public enum SMSPDU: Hashable, Sendable {
    case deliver(DeliverPDU)
    case submit(SubmitPDU)
    case statusReport(StatusReportPDU)

    /// Decodes a PDU in hex. `hasServiceCentre` says whether the SMSC field comes first (it does in
    /// `+CMGR`/`+CMGL`/`+CMT` answers and in what is written after the `AT+CMGS` prompt).
    ///
    /// Some modems end the PDU line with a stray character (a quote, a lone nibble); the PDU is the
    /// line's leading whole octets of hex. The length a modem announces before the PDU is not used:
    /// real modems get it wrong.
    public static func decode(hex: some StringProtocol) throws(PDUError) -> SMSPDU {
        try decode(hex: hex, hasServiceCentre: true)
    }

    public static func decode(hex: some StringProtocol, hasServiceCentre: Bool) throws(PDUError) -> SMSPDU {
        var digits = Array(hex.utf8.prefix { Hex.digitValue($0) != nil })
        if digits.count % 2 == 1 { digits.removeLast() }
        guard !digits.isEmpty, let bytes = Hex.decode(String(decoding: digits, as: UTF8.self)) else {
            throw .invalidHex
        }
        var reader = ByteReader(bytes)
        let serviceCentre = hasServiceCentre ? try Address.readSMSC(&reader) : nil
        let firstOctet = try reader.octet("first octet")
        switch firstOctet & 0x03 {
        case 0x00: return .deliver(try decodeDeliver(&reader, firstOctet: firstOctet, serviceCentre: serviceCentre))
        case 0x01: return .submit(try decodeSubmit(&reader, firstOctet: firstOctet, serviceCentre: serviceCentre))
        case 0x02: return .statusReport(try decodeStatusReport(&reader, serviceCentre: serviceCentre))
        default: throw .unsupported("message type indicator 3 (reserved)")
        }
    }

    static func decodeDeliver(
        _ reader: inout ByteReader,
        firstOctet: UInt8,
        serviceCentre: Address?
    )
        throws(PDUError) -> DeliverPDU
    {
        let originator = try Address.readTP(&reader, field: "originating address")
        let pid = try reader.octet("protocol identifier")
        let coding = DataCodingScheme(octet: try reader.octet("data coding scheme"))
        guard !coding.compressed else { throw .unsupported("compressed user data") }
        let timestamp = try SMSTimestamp.decode(try reader.octets(7, "time stamp"))
        let length = Int(try reader.octet("user data length"))
        let userData = try UserData.decode(&reader, length: length, coding: coding, hasHeader: firstOctet & 0x40 != 0)
        return DeliverPDU(
            serviceCentre: serviceCentre,
            originator: originator,
            protocolIdentifier: pid,
            coding: coding,
            timestamp: timestamp,
            moreMessagesToSend: firstOctet & 0x04 == 0,
            statusReportIndication: firstOctet & 0x20 != 0,
            userData: userData
        )
    }

    static func decodeSubmit(
        _ reader: inout ByteReader,
        firstOctet: UInt8,
        serviceCentre: Address?
    )
        throws(PDUError) -> SubmitPDU
    {
        let reference = Int(try reader.octet("message reference"))
        let destination = try Address.readTP(&reader, field: "destination address")
        let pid = try reader.octet("protocol identifier")
        let coding = DataCodingScheme(octet: try reader.octet("data coding scheme"))
        guard !coding.compressed else { throw .unsupported("compressed user data") }
        var validity: ValidityPeriod?
        switch (firstOctet >> 3) & 0x03 {
        case 0b10: validity = ValidityPeriod(octet: try reader.octet("validity period"))
        case 0b01, 0b11: _ = try reader.octets(7, "validity period")
        default: break
        }
        let length = Int(try reader.octet("user data length"))
        let userData = try UserData.decode(&reader, length: length, coding: coding, hasHeader: firstOctet & 0x40 != 0)
        return SubmitPDU(
            serviceCentre: serviceCentre,
            messageReference: reference,
            destination: destination,
            protocolIdentifier: pid,
            coding: coding,
            validity: validity,
            statusReportRequested: firstOctet & 0x20 != 0,
            userData: userData
        )
    }

    static func decodeStatusReport(
        _ reader: inout ByteReader,
        serviceCentre: Address?
    ) throws(PDUError)
        -> StatusReportPDU
    {
        let reference = Int(try reader.octet("message reference"))
        let recipient = try Address.readTP(&reader, field: "recipient address")
        let serviceCentreTime = try SMSTimestamp.decode(try reader.octets(7, "service centre time stamp"))
        let dischargeTime = try SMSTimestamp.decode(try reader.octets(7, "discharge time"))
        let status = try reader.octet("status")
        return StatusReportPDU(
            serviceCentre: serviceCentre,
            messageReference: reference,
            recipient: recipient,
            serviceCentreTime: serviceCentreTime,
            dischargeTime: dischargeTime,
            status: status
        )
    }
}
