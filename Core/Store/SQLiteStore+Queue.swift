import Foundation
import GRDB
import SwiftletDomain

extension SQLiteStore: OutboxQueue {
    public func claimNext(owner: String, leaseUntil: Date, now: Date) async throws -> OutgoingMessage? {
        try await pool.write { db in
            try Row.fetchOne(
                db,
                sql: """
                    UPDATE outgoing SET state = 'claimed', owner = ?, lease_until = ?, updated_at = ?
                    WHERE id = (SELECT id FROM outgoing WHERE state = 'queued' AND not_before <= ?
                                ORDER BY priority DESC, not_before, id LIMIT 1)
                    RETURNING *
                    """,
                arguments: [owner, leaseUntil.storeValue, now.storeValue, now.storeValue]
            ).map(OutgoingMessage.init(row:))
        }
    }

    public func markSubmitting(_ id: MessageID, owner: String, modem: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE outgoing SET state = 'submitting', modem = ?, attempts = attempts + 1, updated_at = ?
                    WHERE id = ? AND owner = ? AND state = 'claimed'
                    """,
                arguments: [modem, Date().storeValue, id, owner]
            )
            return db.changesCount == 1
        }
    }

    public func markSent(_ id: MessageID, owner: String, references: [Int], parts: Int, at date: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE outgoing SET state = 'sent', sent_at = ?, updated_at = ?, message_references = ?, parts = ?,
                                        owner = NULL, lease_until = NULL, last_error = NULL
                    WHERE id = ? AND owner = ?
                    """,
                arguments: [
                    date.storeValue, date.storeValue, references.map(String.init).joined(separator: ","), parts, id,
                    owner,
                ]
            )
        }
    }

    public func markAttemptFailed(_ id: MessageID, owner: String, error: String, retryAt: Date?) async throws {
        try await pool.write { db in
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

    public func release(_ id: MessageID, owner: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE outgoing SET state = 'queued', owner = NULL, lease_until = NULL, updated_at = ?
                    WHERE id = ? AND owner = ? AND state IN ('claimed', 'submitting')
                    """,
                arguments: [Date().storeValue, id, owner]
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
        try await pool.write { db in
            let claimed = "state IN ('claimed', 'submitting') AND \(condition)"
            let submitting = try MessageID.fetchAll(
                db,
                sql: "SELECT id FROM outgoing WHERE \(claimed) AND state = 'submitting'",
                arguments: arguments
            )
            try db.execute(
                sql: """
                    UPDATE outgoing SET state = 'queued', owner = NULL, lease_until = NULL, updated_at = ?,
                                        last_error = CASE WHEN state = 'submitting'
                                            THEN 'interrupted while submitting; sent again' ELSE last_error END
                    WHERE \(claimed)
                    """,
                arguments: [now.storeValue] + arguments
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
