/// Options of an outgoing message that change its PDUs.
public struct SubmitOptions: Hashable, Sendable {
    /// Send as UCS-2 even if the text fits the GSM 7-bit alphabet.
    public var forceUCS2 = false
    /// Send as class 0 ("flash"): shown at once, not stored by the phone.
    public var flash = false
    /// Ask the network for a status report (TP-SRR).
    public var statusReport = false
    /// Relative validity period; `nil` leaves the field out (the network's default).
    public var validity: ValidityPeriod?
    /// Reference shared by the parts of a concatenated message (0–255, or 0–65535 with a 16-bit reference).
    public var concatenationReference = 0
    /// Use the 16-bit reference element: fewer collisions, one character less per part.
    public var sixteenBitReference = false

    public init(
        forceUCS2: Bool = false,
        flash: Bool = false,
        statusReport: Bool = false,
        validity: ValidityPeriod? = nil,
        concatenationReference: Int = 0,
        sixteenBitReference: Bool = false
    ) {
        self.forceUCS2 = forceUCS2
        self.flash = flash
        self.statusReport = statusReport
        self.validity = validity
        self.concatenationReference = concatenationReference
        self.sixteenBitReference = sixteenBitReference
    }
}

/// One SMS-SUBMIT, ready for `AT+CMGS`.
public struct EncodedPDU: Hashable, Sendable {
    /// The PDU in hex as given after the `>` prompt, with an empty SMSC field (`00`) first so the
    /// modem uses the SMSC stored on the SIM.
    public let hex: String
    /// The length to give `AT+CMGS=`: the octets of the TPDU, without the SMSC field.
    public let tpduLength: Int
}

/// An SMS-SUBMIT (TS 23.040 9.2.2.2), as decoded from a PDU.
public struct SubmitPDU: Hashable, Sendable {
    public var serviceCentre: Address?
    public var messageReference: Int
    public var destination: Address
    public var protocolIdentifier: UInt8
    public var coding: DataCodingScheme
    public var validity: ValidityPeriod?
    public var statusReportRequested: Bool
    public var userData: UserData

    /// Encodes `text` to `destination` as one PDU per part.
    public static func encode(
        text: String,
        to destination: Address,
        options: SubmitOptions = SubmitOptions()
    )
        -> [EncodedPDU]
    {
        let split = MessageSplitter.split(
            text,
            forceUCS2: options.forceUCS2,
            sixteenBitReference: options.sixteenBitReference
        )
        let coding = DataCodingScheme(alphabet: split.alphabet, messageClass: options.flash ? .flash : nil)
        let total = split.parts.count
        return split.parts.enumerated().map { index, units in
            var header: [UInt8] = []
            if total > 1 {
                header =
                    Concatenation(
                        reference: options.concatenationReference & (options.sixteenBitReference ? 0xFFFF : 0xFF),
                        total: total,
                        sequence: index + 1,
                        sixteenBitReference: options.sixteenBitReference
                    ).informationElement
            }
            let tpdu =
                headerFields(to: destination, coding: coding, options: options, hasHeader: !header.isEmpty)
                + userData(units, alphabet: split.alphabet, header: header)
            return EncodedPDU(hex: "00" + Hex.encode(tpdu), tpduLength: tpdu.count)
        }
    }

    /// Encodes a binary (8-bit) message with a caller-given user data header (without its length
    /// octet), as `send_binary_sms` takes them. Throws when header and data exceed one SMS (140 octets).
    public static func encodeBinary(
        data: [UInt8],
        header: [UInt8],
        to destination: Address,
        messageClass: MessageClass? = nil,
        options: SubmitOptions = SubmitOptions()
    ) throws(PDUError) -> EncodedPDU {
        let headerOctets = header.isEmpty ? 0 : header.count + 1
        guard header.count <= 139, headerOctets + data.count <= 140 else {
            throw .invalidField("user data", "\(headerOctets + data.count) octets do not fit one SMS (140)")
        }
        let coding = DataCodingScheme(alphabet: .eightBit, messageClass: messageClass)
        let tpdu =
            headerFields(to: destination, coding: coding, options: options, hasHeader: !header.isEmpty)
            + userData(data.map(UInt16.init), alphabet: .eightBit, header: header)
        return EncodedPDU(hex: "00" + Hex.encode(tpdu), tpduLength: tpdu.count)
    }

    /// The TPDU up to the user data: first octet, reference, destination, PID, DCS, validity.
    static func headerFields(
        to destination: Address,
        coding: DataCodingScheme,
        options: SubmitOptions,
        hasHeader: Bool
    )
        -> [UInt8]
    {
        var firstOctet: UInt8 = 0x01  // TP-MTI = SMS-SUBMIT
        if options.validity != nil { firstOctet |= 0x10 }  // TP-VPF = relative
        if options.statusReport { firstOctet |= 0x20 }
        if hasHeader { firstOctet |= 0x40 }
        var tpdu: [UInt8] = [firstOctet, 0x00]  // TP-MR: the modem sets it
        tpdu += destination.encodedTP()
        tpdu += [0x00, coding.octet]
        if let validity = options.validity { tpdu.append(validity.octet) }
        return tpdu
    }

    /// TP-UDL and TP-UD for one part.
    static func userData(_ units: [UInt16], alphabet: Alphabet, header: [UInt8]) -> [UInt8] {
        let headerOctets = header.isEmpty ? [] : [UInt8(header.count)] + header
        switch alphabet {
        case .gsm7:
            let headerSeptets = (headerOctets.count * 8 + 6) / 7
            let fillBits = headerSeptets * 7 - headerOctets.count * 8
            let packed = SeptetPacking.pack(units.map { UInt8($0) }, fillBits: fillBits)
            // The packed text starts in the octet after the header; fill bits pad the boundary.
            return [UInt8(headerSeptets + units.count)] + headerOctets + packed
        case .ucs2, .eightBit:
            // UCS-2: two octets a unit; 8-bit: the units are the octets.
            let body =
                alphabet == .ucs2 ? units.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } : units.map { UInt8($0) }
            return [UInt8(headerOctets.count + body.count)] + headerOctets + body
        }
    }
}
