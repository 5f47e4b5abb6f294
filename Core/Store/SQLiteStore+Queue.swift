import Foundation
import GRDB
import SwiftletDomain

extension SQLiteStore: OutboxQueue {
    /// The last error of a message a transport held when the gateway stopped: only that transport
    /// may take it again (it is offered under the same key, so it is not sent twice), never a modem.
    static let interruptedAtTransport = "interrupted while with its transport; offered to it again under the same key"

    public func claimNext(
        owner: String,
        leaseUntil: Date,
        now: Date,
        filter: ClaimFilter
    ) async throws
        -> OutgoingMessage?
    {
        guard !filter.kinds.isEmpty else { return nil }
        // The kinds are a handful of fixed names: one cached statement per set of them.
        let kinds = filter.kinds.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let modem = filter.avoidingRetriesOf
        return try await write { db in
            try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        UPDATE outgoing SET state = 'claimed', owner = ?, lease_until = ?, updated_at = ?
                        WHERE id = (SELECT id FROM outgoing WHERE state = 'queued' AND not_before <= ?
                                    AND (modem_no IS NULL OR modem_no = ?)
                                    AND NOT (attempts > 0 AND modem IS ? AND ? IS NOT NULL AND modem_no IS NULL
                                             AND last_error IS NOT ?)
                                    AND NOT (? IS NOT NULL AND modem IS ? AND last_error IS ?)
                                    AND kind IN (\(kinds)) AND (? IS NULL OR created_at < ? OR modem_no IS NOT NULL)
                                    AND priority >= ? AND (kind != 'sms' OR priority < ?)
                                    ORDER BY priority DESC, not_before, id LIMIT 1)
                        RETURNING *
                        """
                ),
                arguments: [
                    owner, leaseUntil.storeValue, now.storeValue, now.storeValue, filter.modemNumber, modem, modem,
                    Self.interruptedAtTransport, filter.leavingInterrupted, filter.leavingInterrupted,
                    Self.interruptedAtTransport, filter.createdBefore?.storeValue, filter.createdBefore?.storeValue,
                    filter.minimumPriority ?? Int.min,
                    filter.smsBelowPriority ?? Int.max,
                ]
            ).map(OutgoingMessage.init(row:))
        }
    }

    public func markSubmitting(_ id: MessageID, owner: String, modem: String) async throws -> Bool {
        try await write { db in
            try db.cachedStatement(
                sql: """
                    UPDATE outgoing SET state = 'submitting', modem = ?, attempts = attempts + 1, updated_at = ?
                    WHERE id = ? AND owner = ? AND state = 'claimed'
                    """
            ).execute(
                arguments: [modem, Date().storeValue, id, owner]
            )
            return db.changesCount == 1
        }
    }

    public func markSent(
        _ id: MessageID,
        owner: String,
        references: [Int],
        parts: Int,
        at date: Date,
        reportRequested: Bool
    ) async throws {
        try await write { db in
            try db.cachedStatement(
                sql: """
                    UPDATE outgoing SET state = 'sent', sent_at = ?, updated_at = ?, message_references = ?, parts = ?,
                                        owner = NULL, lease_until = NULL, last_error = NULL, delivery = ?
                    WHERE id = ? AND owner = ?
                    """
            ).execute(
                arguments: [
                    date.storeValue, date.storeValue, references.map(String.init).joined(separator: ","), parts,
                    reportRequested ? DeliveryState.pending.rawValue : nil, id, owner,
                ]
            )
        }
    }

    public func recordDeliveryReport(
        _ report: DeliveryReport
    ) async throws -> (
        id: MessageID, delivery: DeliveryState
    )? {
        try await write { db in
            let candidates = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, recipient, parts FROM outgoing
                    WHERE modem = ? AND state = 'sent' AND delivery IS NOT NULL AND sent_at >= ?
                      AND (',' || message_references || ',') LIKE ?
                    ORDER BY sent_at DESC, id DESC LIMIT 50
                    """,
                arguments: [
                    report.modem, report.at.addingTimeInterval(-7 * 86_400).storeValue, "%,\(report.reference),%",
                ]
            )
            guard let match = candidates.first(where: { PhoneNumber.sameSubscriber($0["recipient"], report.recipient) })
            else {
                return nil
            }
            let id: MessageID = match["id"]
            try db.execute(
                sql: "INSERT OR REPLACE INTO delivery_report (message_id, reference, status, at) VALUES (?, ?, ?, ?)",
                arguments: [id, report.reference, report.status, report.at.storeValue]
            )
            let reports = try Row.fetchAll(
                db,
                sql: "SELECT status, at FROM delivery_report WHERE message_id = ?",
                arguments: [id]
            )
            let statuses = reports.map { $0["status"] as Int }
            let latest = reports.map { $0["at"] as Double }.max()
            let parts: Int = match["parts"]
            let delivery: DeliveryState =
                statuses.contains { $0 >= 0x40 }
                ? .failed : (statuses.filter { $0 < 0x20 }.count >= max(parts, 1) ? .delivered : .pending)
            try db.execute(
                sql: "UPDATE outgoing SET delivery = ?, delivered_at = ?, updated_at = ? WHERE id = ?",
                arguments: [delivery.rawValue, delivery == .pending ? nil : latest, Date().storeValue, id]
            )
            return (id, delivery)
        }
    }

    public func markCallEnded(_ id: MessageID, owner: String, outcome: CallOutcome, at date: Date) async throws {
        try await write { db in
            try db.cachedStatement(
                sql: """
                    UPDATE outgoing SET state = 'sent', sent_at = ?, updated_at = ?, parts = 1, owner = NULL,
                                        lease_until = NULL, last_error = NULL, call_result = ?, call_duration = ?,
                                        call_digits = ?
                    WHERE id = ? AND owner = ?
                    """
            ).execute(
                arguments: [
                    date.storeValue, date.storeValue, outcome.result, outcome.duration, outcome.digits, id, owner,
                ]
            )
        }
    }

    public func markAttemptFailed(_ id: MessageID, owner: String, error: String, retryAt: Date?) async throws {
        try await write { db in
            if let retryAt {
                try db.execute(
                    sql: """
                        UPDATE outgoing SET state = 'queued', not_before = ?, last_error = ?, updated_at = ?,
                                            owner = NULL, lease_until = NULL
                        WHERE id = ? AND owner = ?
                        """,
                    arguments: [retryAt.storeValue, error, Date().storeValue, id, owner]
                )
            } else {
                try db.execute(
                    sql: """
                        UPDATE outgoing SET state = 'failed', last_error = ?, updated_at = ?, owner = NULL,
                                            lease_until = NULL
                        WHERE id = ? AND owner = ?
                        """,
                    arguments: [error, Date().storeValue, id, owner]
                )
            }
        }
    }

    public func release(_ id: MessageID, owner: String, until: Date? = nil) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE outgoing SET state = 'queued', owner = NULL, lease_until = NULL, updated_at = ?,
                                        not_before = COALESCE(?, not_before)
                    WHERE id = ? AND owner = ? AND state IN ('claimed', 'submitting')
                    """,
                arguments: [Date().storeValue, until?.storeValue, id, owner]
            )
        }
    }

    public func reclaimAll(ownedBy owner: String, now: Date) async throws -> ReclaimedClaims {
        try await reclaim(where: "owner = ?", [owner], now: now)
    }

    public func reclaimExpired(before now: Date, sparing owner: String) async throws -> ReclaimedClaims {
        try await reclaim(where: "lease_until < ? AND owner <> ?", [now.storeValue, owner], now: now)
    }

    private func reclaim(
        where condition: String,
        _ arguments: StatementArguments,
        now: Date
    ) async throws
        -> ReclaimedClaims
    {
        try await write { db in
            let claimed = "state IN ('claimed', 'submitting') AND \(condition)"
            let submitting = try MessageID.fetchAll(
                db,
                sql: "SELECT id FROM outgoing WHERE \(claimed) AND state = 'submitting'",
                arguments: arguments
            )
            try db.execute(
                sql: """
                    UPDATE outgoing SET state = 'queued', owner = NULL, lease_until = NULL, updated_at = ?,
                                        last_error = CASE
                                            WHEN state = 'submitting' AND modem LIKE 'transport:%' THEN ?
                                            WHEN state = 'submitting' THEN 'interrupted while submitting; sent again'
                                            ELSE last_error END
                    WHERE \(claimed)
                    """,
                arguments: [now.storeValue, Self.interruptedAtTransport] + arguments
            )
            return ReclaimedClaims(count: db.changesCount, wereSubmitting: submitting)
        }
    }

    public func nextScheduled(after now: Date) async throws -> Date? {
        try await pool.read { db in
            try Double.fetchOne(
                db,
                sql: "SELECT MIN(not_before) FROM outgoing WHERE state = 'queued' AND not_before > ?",
                arguments: [now.storeValue]
            ).map(Date.init(storeValue:))
        }
    }
}

extension SQLiteStore {
    /// How many outgoing messages are in each state (`queued`, `claimed`, `submitting`, `sent`,
    /// `failed`); states without messages are absent.
    public func outgoingCountsByState() async throws -> [String: Int] {
        try await pool.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM outgoing GROUP BY state") {
                counts[row["state"]] = row["n"]
            }
            return counts
        }
    }

    /// How long the longest-waiting message that is due (queued, claimed or being submitted, and
    /// not scheduled for later) has waited since it became due; nil when none is.
    public func oldestDueAge(now: Date) async throws -> TimeInterval? {
        try await pool.read { db in
            try Double.fetchOne(
                db,
                sql: """
                    SELECT MIN(not_before) FROM outgoing
                    WHERE state IN ('queued', 'claimed', 'submitting') AND not_before <= ?
                    """,
                arguments: [now.storeValue]
            ).map { max(0, now.timeIntervalSince1970 - $0) }
        }
    }
}
