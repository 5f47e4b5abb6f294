import Foundation
import GRDB
import SwiftletDomain

extension SQLiteStore: ModemSettingsStore {
    public func disabledModems() async throws -> Set<String> {
        try await pool.read { db in
            Set(try String.fetchAll(db, sql: "SELECT modem FROM modem_setting WHERE enabled = 0"))
        }
    }

    public func setModem(_ name: String, enabled: Bool) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO modem_setting (modem, enabled, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (modem) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at
                    """,
                arguments: [name, enabled, Date().storeValue]
            )
        }
    }

    public func moveQueued(fromModem current: Int, toModem new: Int) async throws -> Int {
        try await write { db in
            try db.execute(
                sql: "UPDATE outgoing SET modem_no = ?, updated_at = ? WHERE state = 'queued' AND modem_no = ?",
                arguments: [new, Date().storeValue, current]
            )
            return db.changesCount
        }
    }
}
