import Foundation
import Logging
import SMSCodec
import SwiftletDomain

extension APIv1 {
    /// `read_sms`: the messages of one folder, filtered.
    func readSMS(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        let custom = parameters["custom"].flatMap { $0.isEmpty ? nil : $0 }
        // A custom folder holds received messages; `folder` may then be left out.
        guard let folder = Folder(rawValue: parameters["folder"] ?? (custom != nil ? "inbox" : "")),
            custom == nil || folder == .inbox
        else {
            throw SwiftletError.invalidParameter("folder", "must be inbox, outbox, sentitems or sendingerror")
        }
        var query = MessageQuery(folder: folder, for: user)
        query.customFolder = custom
        query.idFrom = try integer(parameters, "idfrom", in: 0...Int.max).map(Int64.init)
        query.idTo = try integer(parameters, "idto", in: 0...Int.max).map(Int64.init)
        query.limit = try integer(parameters, "limit", in: 0...Int.max)
        query.unreadOnly = try flag(parameters, "unread")
        query.dateFrom = try date(parameters, "datefrom")
        query.dateTo = try date(parameters, "dateto")
        query.createdBy = parameters["createdby"].flatMap { $0.isEmpty ? nil : $0 }
        if let sender = parameters["from"], !sender.isEmpty { query.sender = Self.number(sender) }
        if let recipient = parameters["to"], !recipient.isEmpty { query.recipient = Self.number(recipient) }
        query.modem = try modem(parameters)

        let rows: [[(String, String)]]
        if folder == .inbox {
            rows = try await store.incoming(matching: query).map(inboxRow)
        } else {
            rows = try await store.outgoing(matching: query).map { outgoingRow($0, folder: folder) }
        }
        return rows.isEmpty ? .noData : .rows(rows)
    }

    /// `get_queue_length`: messages waiting to be sent.
    func queueLength(_ parameters: FormParameters) async throws -> APIv1Reply {
        let count = try await store.count(
            in: .outbox,
            from: try date(parameters, "datefrom"),
            to: try date(parameters, "dateto"),
            modem: try modem(parameters)
        )
        return .count(element: "queue_length", value: count)
    }

    /// `get_inbox_length`, `get_sentitems_length`, `get_sendingerror_length`.
    func folderLength(_ folder: Folder, _ parameters: FormParameters) async throws -> APIv1Reply {
        let count = try await store.count(
            in: folder,
            from: try date(parameters, "datefrom"),
            to: try date(parameters, "dateto"),
            modem: try modem(parameters)
        )
        return .count(element: "\(folder.rawValue)_length", value: count)
    }

    /// `delete_sms`: the messages of a folder with ids from `idfrom` to `idto`. In the outbox, only
    /// messages no modem has taken yet are deleted (one being sent cannot be called back).
    func deleteSMS(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        guard let name = parameters["folder"], let folder = Folder(rawValue: name),
            let from = parameters["idfrom"].flatMap({ Int64($0) }), let to = parameters["idto"].flatMap({ Int64($0) }),
            from >= 0, from <= to
        else { return .failed }
        let deleted = try await store.delete(from: folder, ids: from...to, owner: user.messageOwner)
        logger.notice(
            "APIv1: deleted messages",
            metadata: ["folder": "\(folder.rawValue)", "ids": "\(from)-\(to)", "deleted": "\(deleted)"]
        )
        return .ok
    }

    /// `modem_no` as the modem's number and name; nil when absent; `.notFound` for no such modem.
    func modem(_ parameters: FormParameters) throws -> (number: Int, name: String)? {
        guard let number = try integer(parameters, "modem_no", in: 1...Int.max) else { return nil }
        return (number, try modems.name(ofModem: number))
    }

    func date(_ parameters: FormParameters, _ name: String) throws -> Date? {
        guard let text = parameters[name], !text.isEmpty else { return nil }
        guard let date = dates.parse(text, withSeconds: true) else {
            throw SwiftletError.invalidParameter(name, "'\(text)' is not YYYYmmDDHHMMSS")
        }
        return date
    }

    // Columns follow the Gammu SMSD tables that SMSEagle's APIv1 lists (see docs/api-notes.md).

    func inboxRow(_ message: IncomingMessage) -> [(String, String)] {
        [
            ("UpdatedInDB", dates.format(message.receivedAt)),
            ("ReceivingDateTime", dates.format(message.sentAt)),
            ("Text", Hex.encode(UCS2.encode(message.text))),
            ("SenderNumber", message.sender),
            ("Coding", message.unicode ? "Unicode_No_Compression" : "Default_No_Compression"),
            ("UDH", ""),
            ("SMSCNumber", message.serviceCentre ?? ""),
            ("Class", "-1"),
            ("TextDecoded", message.text),
            ("ID", "\(message.id)"),
            ("RecipientID", message.modem),
            ("Processed", "true"),
            ("id_folder", message.customFolderID.map { "\(100 + $0)" } ?? "1"),
            ("readed", message.unread ? "false" : "true"),
            ("oid", message.oid ?? ""),
        ]
    }

    func outgoingRow(_ message: OutgoingMessage, folder: Folder) -> [(String, String)] {
        let text = message.payload.listedText
        let ucs2 = message.options.unicode || GSM7Alphabet.encode(text) == nil
        let coding = ucs2 ? "Unicode_No_Compression" : "Default_No_Compression"
        let messageClass = message.options.flash ? "0" : "-1"
        if folder == .outbox {
            return [
                ("UpdatedInDB", dates.format(message.updatedAt)),
                ("InsertIntoDB", dates.format(message.createdAt)),
                ("SendingDateTime", dates.format(message.notBefore)),
                ("Text", Hex.encode(UCS2.encode(text))),
                ("DestinationNumber", message.address),
                ("Coding", coding),
                ("UDH", ""),
                ("Class", messageClass),
                ("TextDecoded", text),
                ("ID", "\(message.id)"),
                ("SenderID", message.modem ?? ""),
                ("CreatorID", message.createdBy),
                ("Retries", "\(message.attempts)"),
                ("Priority", "\(message.options.priority)"),
                ("Status", message.state == .queued ? "Reserved" : "Sending"),
                ("id_folder", "2"),
            ]
        }
        return [
            ("UpdatedInDB", dates.format(message.updatedAt)),
            ("InsertIntoDB", dates.format(message.createdAt)),
            ("SendingDateTime", message.sentAt.map(dates.format) ?? ""),
            ("DeliveryDateTime", message.deliveredAt.map(dates.format) ?? ""),
            ("Text", Hex.encode(UCS2.encode(text))),
            ("DestinationNumber", message.address),
            ("Coding", coding),
            ("UDH", ""),
            ("SMSCNumber", ""),
            ("Class", messageClass),
            ("TextDecoded", text),
            ("ID", "\(message.id)"),
            ("SenderID", message.modem ?? ""),
            ("SequencePosition", "1"),
            ("Status", folder == .sentitems ? Self.gammuStatus(message.delivery) : "SendingError"),
            ("StatusError", folder == .sentitems ? "-1" : (message.lastError ?? "")),
            ("TPMR", message.messageReferences.map(String.init).joined(separator: ",")),
            ("RelativeValidity", "-1"),
            ("CreatorID", message.createdBy),
            ("id_folder", folder == .sentitems ? "3" : "5"),
        ]
    }

    /// Gammu's `Status` of a sent message.
    static func gammuStatus(_ delivery: DeliveryState?) -> String {
        switch delivery {
        case nil: "SendingOKNoReport"
        case .pending: "SendingOK"
        case .delivered: "DeliveryOK"
        case .failed: "DeliveryFailed"
        }
    }
}
