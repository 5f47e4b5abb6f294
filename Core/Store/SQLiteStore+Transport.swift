import Foundation
import GRDB
import SwiftletDomain
import SwiftletEvents

/// What transports (cloud relays, ABI 1.5) add to the queue: what each message cost, the status
/// reports they send later, and what a transport spent this month.
extension SQLiteStore: TransportLedger {
    static func registerTransportMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("28-transport-costs") { db in
            // What a transport's upstream charged for a message (Pixie's totalCost); NULL for a modem.
            try db.execute(sql: "ALTER TABLE outgoing ADD COLUMN cost REAL")
        }
    }

    public func markSentByTransport(
        _ id: MessageID,
        owner: String,
        parts: Int,
        cost: Double?,
        at date: Date,
        reportRequested: Bool
    ) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE outgoing SET state = 'sent', sent_at = ?, updated_at = ?, message_references = '', parts = ?,
                                        cost = ?, owner = NULL, lease_until = NULL, last_error = NULL, delivery = ?
                    WHERE id = ? AND owner = ?
                    """,
                arguments: [
                    date.storeValue, date.storeValue, parts, cost,
                    reportRequested ? DeliveryState.pending.rawValue : nil, id, owner,
                ]
            )
        }
    }

    public func recordTransportReport(
        _ report: TransportReport,
        senders: [String]
    ) async throws -> TransportReport.Outcome? {
        try await write { db in
            guard !senders.isEmpty,
                let row = try Row.fetchOne(
                    db,
                    sql:
                        "SELECT * FROM outgoing WHERE id = ? AND modem IN (\(senders.map { _ in "?" }.joined(separator: ",")))",
                    arguments: StatementArguments([report.id] as [any DatabaseValueConvertible])
                        + StatementArguments(senders)
                )
            else { return nil }
            let message = OutgoingMessage(row: row)
            guard message.transportKey == report.key, message.state == .sent || message.state == .failed else {
                return nil
            }
            let now = Date().storeValue
            switch report.status {
            case .sent:
                // It went out after all: sent, when it was first tried.
                guard message.state == .failed else {
                    return TransportReport.Outcome(id: message.id, recipient: message.address, changed: false)
                }
                try db.execute(
                    sql:
                        "UPDATE outgoing SET state = 'sent', sent_at = ?, last_error = NULL, updated_at = ? WHERE id = ?",
                    arguments: [message.updatedAt.storeValue, now, message.id]
                )
            case .delivered, .failed:
                let delivery: DeliveryState = report.status == .delivered ? .delivered : .failed
                guard message.delivery != delivery else {
                    return TransportReport.Outcome(id: message.id, recipient: message.address, changed: false)
                }
                // A delivered message went out, whatever the transport could tell when it answered.
                let revived = message.state == .failed && delivery == .delivered
                try db.execute(
                    sql: """
                        UPDATE outgoing SET delivery = ?, delivered_at = ?, updated_at = ?,
                                            state = CASE WHEN ? THEN 'sent' ELSE state END,
                                            sent_at = CASE WHEN ? THEN ? ELSE sent_at END,
                                            last_error = CASE WHEN ? THEN NULL ELSE coalesce(?, last_error) END
                        WHERE id = ?
                        """,
                    arguments: [
                        delivery.rawValue, report.at.storeValue, now, revived, revived, message.updatedAt.storeValue,
                        revived, report.detail, message.id,
                    ]
                )
            }
            return TransportReport.Outcome(id: message.id, recipient: message.address, changed: true)
        }
    }

    public func transportCost(sender: String, since: Date) async throws -> Double {
        try await pool.read { db in
            try Double.fetchOne(
                db,
                sql: "SELECT coalesce(sum(cost), 0) FROM outgoing WHERE modem = ? AND state = 'sent' AND sent_at >= ?",
                arguments: [sender, since.storeValue]
            ) ?? 0
        }
    }
}
