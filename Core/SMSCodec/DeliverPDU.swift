/// An SMS-DELIVER (TS 23.040 9.2.2.1): a message from the network to the phone.
public struct DeliverPDU: Hashable, Sendable {
    public var serviceCentre: Address?
    public var originator: Address
    public var protocolIdentifier: UInt8
    public var coding: DataCodingScheme
    public var timestamp: SMSTimestamp
    public var moreMessagesToSend: Bool
    public var statusReportIndication: Bool
    public var userData: UserData

    /// Encodes `text` from `originator` as SMS-DELIVER PDUs (hex, with the SMSC field), one per part,
    /// as a network delivers them. Used by the modem simulator.
    public static func encode(
        text: String,
        from originator: Address,
        serviceCentre: Address,
        timestamp: SMSTimestamp,
        forceUCS2: Bool = false,
        concatenationReference: Int = 0
    ) -> [String] {
        let split = MessageSplitter.split(text, forceUCS2: forceUCS2)
        let coding = DataCodingScheme(alphabet: split.alphabet)
        let total = split.parts.count
        return split.parts.enumerated().map { index, units in
            var header: [UInt8] = []
            if total > 1 {
                header =
                    Concatenation(reference: concatenationReference & 0xFF, total: total, sequence: index + 1)
                    .informationElement
            }
            var firstOctet: UInt8 = 0x00  // TP-MTI = SMS-DELIVER
            if index + 1 == total { firstOctet |= 0x04 }  // TP-MMS: no more messages
            if !header.isEmpty { firstOctet |= 0x40 }
            var pdu = serviceCentre.encodedSMSC() + [firstOctet] + originator.encodedTP()
            pdu += [0x00, coding.octet] + timestamp.encoded()
            pdu += SubmitPDU.userData(units, alphabet: split.alphabet, header: header)
            return Hex.encode(pdu)
        }
    }
}

/// An SMS-STATUS-REPORT (TS 23.040 9.2.2.3): the network's word on a message sent earlier.
public struct StatusReportPDU: Hashable, Sendable {
    public var serviceCentre: Address?
    public var messageReference: Int
    public var recipient: Address
    public var serviceCentreTime: SMSTimestamp
    public var dischargeTime: SMSTimestamp
    /// TP-Status (9.2.3.15): 0x00–0x1F delivered, 0x20–0x3F still trying, 0x40 and above failed.
    public var status: UInt8

    public init(
        serviceCentre: Address?,
        messageReference: Int,
        recipient: Address,
        serviceCentreTime: SMSTimestamp,
        dischargeTime: SMSTimestamp,
        status: UInt8
    ) {
        self.serviceCentre = serviceCentre
        self.messageReference = messageReference
        self.recipient = recipient
        self.serviceCentreTime = serviceCentreTime
        self.dischargeTime = dischargeTime
        self.status = status
    }

    /// The message reached the recipient.
    public var delivered: Bool { status < 0x20 }
    /// The service centre gave up: the message will not be delivered.
    public var failed: Bool { status >= 0x40 }

    /// Encodes the report as a network sends it (hex, with the SMSC field). Used by the simulator.
    public func encoded() -> String {
        let smsc = serviceCentre?.encodedSMSC() ?? [0x00]
        // TP-MTI = status report, TP-MMS = no more messages.
        let tpdu =
            [0x06, UInt8(messageReference & 0xFF)] + recipient.encodedTP() + serviceCentreTime.encoded()
            + dischargeTime.encoded() + [status]
        return Hex.encode(smsc + tpdu)
    }

    /// The length `+CDS:` announces: the octets after the SMSC field.
    public var tpduLength: Int { 2 + recipient.encodedTP().count + 7 + 7 + 1 }
}
