import SMSCodec

/// The worker's conversions between PDUs and the messages it hands on: pure functions, no state.
extension ModemWorker {
    static func received(_ deliver: DeliverPDU) -> ReceivedSMS {
        ReceivedSMS(
            sender: deliver.originator.description,
            text: deliver.userData.text ?? Hex.encode(deliver.userData.binary ?? []),
            unicode: deliver.coding.alphabet == .ucs2,
            serviceCentre: deliver.serviceCentre?.description,
            sentAt: deliver.timestamp,
            concatenation: deliver.userData.concatenation
        )
    }

    static func encode(_ sms: ModemMessage, reference: Int) throws -> [EncodedPDU] {
        let address: Address
        do {
            address = try Address(number: sms.recipient)
        } catch {
            throw ModemError(.rejected, "\(error)")
        }
        var options = sms.options
        options.concatenationReference = reference
        switch sms.content {
        case .text(let text):
            return SubmitPDU.encode(text: text, to: address, options: options)
        case .binary(let data, let header, let messageClass):
            do {
                return [
                    try SubmitPDU.encodeBinary(
                        data: data,
                        header: header,
                        to: address,
                        messageClass: messageClass,
                        options: options
                    )
                ]
            } catch {
                throw ModemError(.rejected, "\(error)")
            }
        }
    }

    static func kind(of pdu: SMSPDU) -> String {
        switch pdu {
        case .deliver: "received message"
        case .submit: "stored outgoing message"
        case .statusReport: "status report"
        }
    }

    /// What a `+CMTI: "SM",3` (new message) or `+CDSI: "SR",4` (new status report) says: its kind,
    /// the memory and the index there.
    static func storedIndication(_ line: String) -> (kind: String, memory: String, index: Int)? {
        guard let kind = ["+CMTI:", "+CDSI:"].first(where: { line.hasPrefix($0) }),
            let comma = line.lastIndex(of: ","),
            let index = Int(String(line[line.index(after: comma)...]).trimmingSpaces())
        else { return nil }
        let memory = String(line[line.index(line.startIndex, offsetBy: kind.count)..<comma]).filter {
            $0 != "\"" && $0 != " "
        }
        return (kind, memory, index)
    }
}
