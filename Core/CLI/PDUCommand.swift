import ArgumentParser
import Foundation
import SMSCodec

struct PDU: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pdu",
        abstract: "Encode and decode SMS PDUs, for debugging a modem.",
        subcommands: [Encode.self, Decode.self]
    )

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the PDU of each part of a message, one per line, as given to AT+CMGS.",
            discussion: """
                Each line starts with the empty SMSC field (00), so the modem uses the SIM's service centre; \
                AT+CMGS takes the number of octets after it. Example: swiftlet pdu encode --to +46701234567 Hello
                """
        )

        @Option(help: "The recipient's number.")
        var to: String

        @Flag(help: "Encode as UCS-2 even if the text fits the GSM alphabet.")
        var unicode = false

        @Flag(help: "Send as a flash (class 0) message.")
        var flash = false

        @Option(help: "Validity period: 5m, 10m, 30m, 1h, 2h, 4h, 12h, 1d, 2d, 5d, 1w, 2w, 4w or max.")
        var validity: String?

        @Flag(name: .customLong("status-report"), help: "Ask the network for a status report.")
        var statusReport = false

        @Option(help: "Concatenation reference for a message of several parts (0-255, or 0-65535 with 16 bits).")
        var reference = 0

        @Flag(name: .customLong("sixteen-bit-reference"), help: "Use the 16-bit concatenation reference.")
        var sixteenBitReference = false

        @Argument(help: "The message text.")
        var text: String

        func run() throws {
            let address: Address
            do {
                address = try Address(number: to)
            } catch {
                throw ValidationError("--to: \(error)")
            }
            var options = SubmitOptions(
                forceUCS2: unicode,
                flash: flash,
                statusReport: statusReport,
                concatenationReference: reference,
                sixteenBitReference: sixteenBitReference
            )
            if let validity {
                guard let period = ValidityPeriod(parsing: validity) else {
                    throw ValidationError("--validity: '\(validity)' is not one of 5m … 4w or max")
                }
                options.validity = period
            }
            for pdu in SubmitPDU.encode(text: text, to: address, options: options) { print(pdu.hex) }
        }
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode PDUs (with their SMSC field, as +CMGR and +CMGL show them) and print JSON.",
            discussion: "Give every part of a long message to see its text joined."
        )

        @Argument(help: "The PDUs in hex.")
        var pdus: [String]

        func run() throws {
            let decoded = try pdus.enumerated().map { index, hex in
                guard !hex.isEmpty, hex.allSatisfy(\.isHexDigit) else {
                    throw CommandFailure("PDU \(index + 1) is not hexadecimal text")
                }
                do {
                    return try SMSPDU.decode(hex: hex)
                } catch {
                    throw CommandFailure("PDU \(index + 1): \(error)")
                }
            }
            let json = try PDUDescription(decoded).json()
            print(String(decoding: json, as: UTF8.self))
        }
    }
}

/// The JSON `swiftlet pdu decode` prints: the fields of the PDUs, with the text of all parts joined.
struct PDUDescription {
    var fields: [String: Any] = [:]

    init(_ pdus: [SMSPDU]) throws {
        guard let first = pdus.first else { throw CommandFailure("no PDU given") }
        var texts: [(Int, String)] = []
        var binary: [UInt8] = []
        var sequences: [Int] = []
        var truncated = false
        for pdu in pdus {
            guard Self.type(of: pdu) == Self.type(of: first) else {
                throw CommandFailure("the PDUs are of different types; give the parts of one message")
            }
            switch pdu {
            case .deliver(let deliver):
                add(deliver.userData, &texts, &binary, &sequences, &truncated)
            case .submit(let submit):
                add(submit.userData, &texts, &binary, &sequences, &truncated)
            case .statusReport:
                break
            }
        }
        fields["type"] = Self.type(of: first)
        switch first {
        case .deliver(let deliver):
            fields["smsc"] = deliver.serviceCentre?.description
            fields["from"] = deliver.originator.description
            fields["from_type"] = Self.kind(deliver.originator.kind)
            fields["timestamp"] = deliver.timestamp.iso8601
            describe(deliver.coding, deliver.userData)
        case .submit(let submit):
            fields["smsc"] = submit.serviceCentre.map { $0.value.isEmpty ? nil : $0.description } ?? nil
            fields["to"] = submit.destination.description
            fields["to_type"] = Self.kind(submit.destination.kind)
            fields["message_reference"] = submit.messageReference
            fields["status_report_requested"] = submit.statusReportRequested
            fields["validity_minutes"] = submit.validity?.minutes
            describe(submit.coding, submit.userData)
        case .statusReport(let report):
            fields["smsc"] = report.serviceCentre?.description
            fields["recipient"] = report.recipient.description
            fields["message_reference"] = report.messageReference
            fields["service_centre_time"] = report.serviceCentreTime.iso8601
            fields["discharge_time"] = report.dischargeTime.iso8601
            fields["status"] = Int(report.status)
            fields["status_meaning"] = Self.meaning(ofStatus: report.status)
        }
        if !texts.isEmpty || !binary.isEmpty {
            if case .deliver(let d) = first, d.coding.alphabet == .eightBit {
                fields["data"] = Hex.encode(binary)
            } else if case .submit(let s) = first, s.coding.alphabet == .eightBit {
                fields["data"] = Hex.encode(binary)
            } else {
                fields["text"] = texts.sorted { $0.0 < $1.0 }.map(\.1).joined()
            }
        }
        if !sequences.isEmpty {
            var concatenation = fields["concatenation"] as? [String: Any] ?? [:]
            concatenation["parts"] = sequences.sorted()
            concatenation["complete"] = sequences.count == (concatenation["total"] as? Int ?? 0)
            fields["concatenation"] = concatenation
        }
        if truncated { fields["truncated"] = true }
    }

    private mutating func add(
        _ userData: UserData,
        _ texts: inout [(Int, String)],
        _ binary: inout [UInt8],
        _ sequences: inout [Int],
        _ truncated: inout Bool
    ) {
        let sequence = userData.concatenation?.sequence ?? texts.count + 1
        if let concatenation = userData.concatenation {
            sequences.append(concatenation.sequence)
            fields["concatenation"] = [
                "reference": concatenation.reference, "total": concatenation.total,
                "reference_bits": concatenation.sixteenBitReference ? 16 : 8,
            ]
        }
        if let text = userData.text { texts.append((sequence, text)) }
        if let data = userData.binary { binary += data }
        truncated = truncated || userData.truncated
    }

    private mutating func describe(_ coding: DataCodingScheme, _ userData: UserData) {
        fields["encoding"] = ["gsm7": "gsm7", "ucs2": "ucs2", "eightBit": "8bit"][coding.alphabet.rawValue]
        fields["class"] = coding.messageClass?.rawValue
        if !userData.header.isEmpty { fields["udh"] = Hex.encode(userData.header) }
    }

    func json() throws -> Data {
        try JSONSerialization.data(
            withJSONObject: fields.compactMapValues { $0 is NSNull ? nil : $0 },
            options: [.prettyPrinted, .sortedKeys]
        )
    }

    static func type(of pdu: SMSPDU) -> String {
        switch pdu {
        case .deliver: "deliver"
        case .submit: "submit"
        case .statusReport: "status-report"
        }
    }

    static func kind(_ kind: Address.Kind) -> String {
        switch kind {
        case .international: "international"
        case .unknown: "unknown"
        case .alphanumeric: "alphanumeric"
        }
    }

    /// TP-Status groups (3GPP TS 23.040 9.2.3.15).
    static func meaning(ofStatus status: UInt8) -> String {
        switch status {
        case 0x00...0x1F: "delivered"
        case 0x20...0x3F: "pending: the service centre is still trying"
        case 0x40...0x5F: "failed: the service centre gave up (permanent error)"
        default: "failed: the service centre gave up (temporary error, no more tries)"
        }
    }
}
