import Foundation
import GRDB
import SwiftletDomain

extension SQLiteStore {
    static let dayColumns = Shift.dayNames.flatMap { ["\($0)_from", "\($0)_to"] }

    public func createShift(_ shift: Shift) async throws -> Int64 {
        try await write { db in
            var arguments: StatementArguments = [shift.name, shift.enabled, shift.ownerID, Date().storeValue]
            _ = arguments.append(contentsOf: StatementArguments(Self.dayValues(shift.days)))
            try db.execute(
                sql: """
                    INSERT INTO shift (name, enabled, owner_id, created_at, \(Self.dayColumns.joined(separator: ", ")))
                    VALUES (?, ?, ?, ?, \(Self.dayColumns.map { _ in "?" }.joined(separator: ", ")))
                    """,
                arguments: arguments
            )
            return db.lastInsertedRowID
        }
    }

    public func shifts(id: Int64?, name: String?, enabled: Bool?) async throws -> [Shift] {
        try await pool.read { db in
            try Self.shifts(
                db,
                where: "(? IS NULL OR id = ?) AND (? IS NULL OR name = ?) AND (? IS NULL OR enabled = ?)",
                [id, id, name, name, enabled, enabled]
            )
        }
    }

    public func updateShift(id: Int64, name: String, enabled: Bool?, days: [Int: DayHours?]) async throws {
        try await write { db in
            guard var shift = try Self.shifts(db, where: "id = ?", [id]).first else {
                throw SwiftletError(.notFound, "shift \(id)")
            }
            for (day, hours) in days where shift.days.indices.contains(day) { shift.days[day] = hours }
            var arguments: StatementArguments = [name, enabled ?? shift.enabled]
            _ = arguments.append(contentsOf: StatementArguments(Self.dayValues(shift.days)))
            _ = arguments.append(contentsOf: [id])
            try db.execute(
                sql: """
                    UPDATE shift SET name = ?, enabled = ?, \(Self.dayColumns.map { "\($0) = ?" }.joined(separator: ", "))
                    WHERE id = ?
                    """,
                arguments: arguments
            )
        }
    }

    public func deleteShift(id: Int64) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM shift WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw SwiftletError(.notFound, "shift \(id)") }
        }
    }

    public func setShiftMembership(contactID: Int64, shiftIDs: [Int64], member: Bool, viewerID: Int64?) async throws {
        try await write { db in
            for id in shiftIDs
            where try Bool.fetchOne(db, sql: "SELECT 1 FROM shift WHERE id = ?", arguments: [id]) == nil {
                throw SwiftletError(.notFound, "shift \(id)")
            }
            try Self.requireContact(db, contactID, name: nil, viewerID: viewerID)
            for id in shiftIDs {
                try db.execute(
                    sql: member
                        ? "INSERT OR IGNORE INTO shift_member (shift_id, contact_id) VALUES (?, ?)"
                        : "DELETE FROM shift_member WHERE shift_id = ? AND contact_id = ?",
                    arguments: [id, contactID]
                )
            }
        }
    }

    public func shifts(ofContacts ids: [Int64]) async throws -> [Int64: [Shift]] {
        guard !ids.isEmpty else { return [:] }
        return try await pool.read { db in
            // Every membership, filtered here: few contacts are on shifts, and a group may have more
            // members than a statement may have parameters.
            let wanted = Set(ids)
            let pairs = try Row.fetchAll(db, sql: "SELECT shift_id, contact_id FROM shift_member").filter {
                wanted.contains($0["contact_id"])
            }
            let shifts = Dictionary(
                uniqueKeysWithValues: try Self.shifts(db, where: "id IN (SELECT shift_id FROM shift_member)", []).map {
                    ($0.id, $0)
                }
            )
            var result: [Int64: [Shift]] = [:]
            for pair in pairs {
                if let shift = shifts[pair["shift_id"]] { result[pair["contact_id"], default: []].append(shift) }
            }
            return result
        }
    }

    public func setVacation(contactID: Int64, name: String, enabled: Bool, viewerID: Int64?) async throws {
        try await write { db in
            try Self.requireContact(db, contactID, name: name, viewerID: viewerID)
            try db.execute(sql: "UPDATE contact SET vacation = ? WHERE id = ?", arguments: [enabled, contactID])
        }
    }

    public func vacation(contactID: Int64, name: String, viewerID: Int64?) async throws -> Bool {
        try await pool.read { db in
            try Self.requireContact(db, contactID, name: name, viewerID: viewerID)
            return try Bool.fetchOne(db, sql: "SELECT vacation FROM contact WHERE id = ?", arguments: [contactID])
                ?? false
        }
    }

    /// Throws `.notFound` unless a contact with this id (and name, if given) is visible to `viewerID`.
    static func requireContact(_ db: Database, _ id: Int64, name: String?, viewerID: Int64?) throws {
        guard
            try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM contact WHERE id = ? AND (? IS NULL OR name = ?) AND \(visible(to: viewerID))",
                arguments: [id, name, name]
            ) != nil
        else { throw SwiftletError(.notFound, "contact \(id)") }
    }

    static func dayValues(_ days: [DayHours?]) -> [String?] {
        days.flatMap { hours in [hours.map { DayHours.text($0.from) }, hours.map { DayHours.text($0.to) }] }
    }

    static func shifts(_ db: Database, where condition: String, _ arguments: StatementArguments) throws -> [Shift] {
        try Row.fetchAll(db, sql: "SELECT * FROM shift WHERE \(condition) ORDER BY id", arguments: arguments).map {
            row in
            Shift(
                id: row["id"],
                name: row["name"],
                enabled: row["enabled"],
                days: Shift.dayNames.map { day in
                    guard let from: String = row["\(day)_from"], let to: String = row["\(day)_to"] else { return nil }
                    return DayHours(from: from, to: to)
                },
                ownerID: row["owner_id"]
            )
        }
    }
}
