import Foundation
import SwiftletDomain

/// APIv2's answers, as the types they are: each built from the domain value it shows, encoded by
/// ``JSONAPI`` (keys sorted, as SMSEagle's clients have always received them). The OpenAPI document
/// (`openapi.json`) describes the same shapes; the end-to-end tests check live answers against it.
extension APIv2 {
    /// One recipient's outcome of a send: `{"status": "queued", "id": 7, "number": "+4670…", "message": "OK"}`.
    struct SendOutcome: Encodable {
        var status: String
        @Nullable var id: MessageID?
        var number: String
        var message: String

        static func queued(_ id: MessageID, to number: String) -> SendOutcome {
            SendOutcome(status: "queued", id: id, number: number, message: "OK")
        }

        static func refused(_ number: String, because message: String) -> SendOutcome {
            SendOutcome(status: "error", id: nil, number: number, message: message)
        }
    }

    /// A received message (folder `inbox`).
    struct Received: Encodable {
        var id: MessageID
        var folder = "inbox"
        var sender: String
        var text: String
        var encoding: String
        @Nullable var modemNumber: Int?
        var sentAt: String
        var receivedAt: String
        var read: Bool
        @Nullable var oid: String?

        enum CodingKeys: String, CodingKey {
            case id, folder, sender, text, encoding, read, oid
            case modemNumber = "modem_no"
            case sentAt = "sent_at"
            case receivedAt = "received_at"
        }
    }

    /// A message to send or sent (folders `outbox`, `sentitems`, `sendingerror`).
    struct Sent: Encodable {
        var id: MessageID
        var folder: String
        var kind: String
        var to: String
        var text: String
        var status: String
        var priority: Int
        var encoding: String
        var flash: Bool
        @Nullable var modemNumber: Int?
        var createdBy: String
        var createdAt: String
        var sendAfter: String
        @Nullable var sentAt: String?
        var parts: Int
        var attempts: Int
        @Nullable var delivery: String?
        @Nullable var error: String?
        @Nullable var oid: String?
        /// How a text-to-speech call (kind `call`) ended; null for everything else, and before it did.
        @Nullable var call: Call?
        /// Who sent it: a modem's name, or `transport:NAME` (a cloud relay); null before it was sent.
        @Nullable var sentBy: String?
        /// What a transport's upstream charged for it, in its currency; null for a modem.
        @Nullable var cost: Double?

        struct Call: Encodable {
            var result: String
            @Nullable var duration: Int?
            @Nullable var digits: String?
        }

        enum CodingKeys: String, CodingKey {
            case id, folder, kind, to, text, status, priority, encoding, flash, parts, attempts, delivery, error, oid,
                call, cost
            case sentBy = "sent_by"
            case modemNumber = "modem_no"
            case createdBy = "created_by"
            case createdAt = "created_at"
            case sendAfter = "send_after"
            case sentAt = "sent_at"
        }
    }

    struct Contact: Encodable {
        var id: Int64
        var name: String
        var number: String
        var isPublic: Bool
        var vacation: Bool
        @Nullable var ownerID: Int64?

        init(_ entry: PhonebookEntry) {
            id = entry.id
            name = entry.name
            number = entry.number ?? ""
            isPublic = entry.visibility.isPublic
            vacation = entry.vacation
            ownerID = entry.visibility.ownerID
        }

        enum CodingKeys: String, CodingKey {
            case id, name, number, vacation
            case isPublic = "public"
            case ownerID = "owner_id"
        }
    }

    struct Group: Encodable {
        var id: Int64
        var name: String
        var isPublic: Bool
        @Nullable var ownerID: Int64?

        init(_ entry: PhonebookEntry) {
            id = entry.id
            name = entry.name
            isPublic = entry.visibility.isPublic
            ownerID = entry.visibility.ownerID
        }

        enum CodingKeys: String, CodingKey {
            case id, name
            case isPublic = "public"
            case ownerID = "owner_id"
        }
    }

    /// A shift, its hours by day name: `{"mon": {"from": "08:00", "to": "16:00"}, "sat": null, …}`.
    struct ShiftHours: Encodable {
        struct Hours: Encodable {
            var from: String
            var to: String
        }

        var id: Int64
        var name: String
        var enabled: Bool
        var days: [String: Hours?]

        init(_ shift: Shift) {
            id = shift.id
            name = shift.name
            enabled = shift.enabled
            days = Dictionary(
                uniqueKeysWithValues: Shift.dayNames.enumerated().map { index, name in
                    (name, shift.days[index].map { Hours(from: DayHours.text($0.from), to: DayHours.text($0.to)) })
                }
            )
        }
    }

    struct User: Encodable {
        var id: Int64
        var name: String
        var admin: Bool
        var permissions: [String]
        var tokens: Int
        var password: Bool

        init(_ user: UserSummary) {
            id = user.id
            name = user.name
            admin = user.isAdmin
            permissions = user.permissions.sorted()
            tokens = user.tokens
            password = user.hasPassword
        }
    }

    /// An access token as listed: never the token itself, except (`token`) in the answer that made it.
    struct Token: Encodable {
        var id: String
        var user: String
        var createdAt: String
        var token: String?

        enum CodingKeys: String, CodingKey {
            case id, user, token
            case createdAt = "created_at"
        }
    }

    struct WebhookAnswer: Encodable {
        struct Deliveries: Encodable {
            var pending: Int
            var delivered: Int
            var failed: Int
        }

        var id: Int64
        var user: String
        var url: String
        var events: [String]
        var format: String
        var method: String
        var allUsers: Bool
        var createdAt: String
        var deliveries: Deliveries
        /// Only in the answer that added the webhook.
        var secret: String?

        enum CodingKeys: String, CodingKey {
            case id, user, url, events, format, method, deliveries, secret
            case allUsers = "all_users"
            case createdAt = "created_at"
        }
    }

    struct DeliveryAnswer: Encodable {
        var id: Int64
        var eventID: Int64
        var event: String
        var messageID: MessageID
        var state: String
        var attempts: Int
        @Nullable var nextAttemptAt: String?
        @Nullable var lastError: String?
        @Nullable var deliveredAt: String?
        var queuedAt: String

        enum CodingKeys: String, CodingKey {
            case id, event, state, attempts
            case eventID = "event_id"
            case messageID = "message_id"
            case nextAttemptAt = "next_attempt_at"
            case lastError = "last_error"
            case deliveredAt = "delivered_at"
            case queuedAt = "queued_at"
        }
    }

    struct Signal: Encodable {
        var modemNumber: Int
        var signalStrength: Int

        enum CodingKeys: String, CodingKey {
            case modemNumber = "modem_no"
            case signalStrength = "signal_strength"
        }
    }

    struct ModemState: Encodable {
        var modemNumber: Int
        var state: String

        enum CodingKeys: String, CodingKey {
            case state
            case modemNumber = "modem_no"
        }
    }

    /// What a change did to a numbered resource: `{"id": 3, "status": "deleted"}`, with the fields
    /// each change names.
    struct Outcome: Encodable {
        var id: Int64
        var folder: String?
        var groupID: Int64?
        var shiftID: Int64?
        var contacts: [Int64]?
        var status: String

        init(
            id: Int64,
            folder: String? = nil,
            groupID: Int64? = nil,
            shiftID: Int64? = nil,
            contacts: [Int64]? = nil,
            status: String
        ) {
            self.id = id
            self.folder = folder
            self.groupID = groupID
            self.shiftID = shiftID
            self.contacts = contacts
            self.status = status
        }

        enum CodingKeys: String, CodingKey {
            case id, folder, contacts, status
            case groupID = "group_id"
            case shiftID = "shift_id"
        }
    }
}

/// A field written as JSON `null` when it has no value. SMSEagle's answers keep such keys
/// (`"oid": null`) and clients index them; Codable's default would leave the key out.
@propertyWrapper
struct Nullable<Value: Encodable>: Encodable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}
