import Foundation
import GRDB
import SwiftletDomain

/// The phonebook as the recipient resolver reads it. Names are compared without regard to case
/// (the columns are `COLLATE NOCASE`), except shifts'. Shifts are shared by every user.
extension SQLiteStore: RecipientDirectory {
    public func contacts(_ reference: PhonebookReference, in scope: PhonebookScope) async throws -> [PhonebookEntry] {
        try await pool.read { db in
            let (condition, argument) = Self.condition(reference)
            return try Self.entries(db, table: "contact", scope.filter, where: condition, arguments: [argument])
        }
    }

    public func members(
        ofGroup reference: PhonebookReference,
        in scope: PhonebookScope
    ) async throws
        -> [PhonebookEntry]?
    {
        try await pool.read { db in
            let (condition, argument) = Self.condition(reference)
            guard
                let group = try Self.entries(
                    db,
                    table: "contact_group",
                    scope.filter,
                    where: condition,
                    arguments: [argument]
                ).first
            else { return nil }
            return try Self.members(db, of: "group_member", "group_id", group.id)
        }
    }

    public func members(
        ofShift reference: PhonebookReference,
        in scope: PhonebookScope
    ) async throws
        -> (shift: Shift, members: [PhonebookEntry])?
    {
        try await pool.read { db in
            let (condition, argument) = Self.condition(reference)
            guard let shift = try Self.shifts(db, where: condition, [argument]).first else { return nil }
            return (shift, try Self.members(db, of: "shift_member", "shift_id", shift.id))
        }
    }

    static func condition(_ reference: PhonebookReference) -> (String, any DatabaseValueConvertible) {
        switch reference {
        case .id(let id): ("id = ?", id)
        case .name(let name): ("name = ?", name)
        }
    }

    /// Every contact in a group or shift, public or private: whoever may name the group sends to
    /// all the members its owner put in it.
    static func members(_ db: Database, of table: String, _ column: String, _ id: Int64) throws -> [PhonebookEntry] {
        try entries(
            db,
            table: "contact",
            PhonebookFilter(viewerID: nil),
            where: "id IN (SELECT contact_id FROM \(table) WHERE \(column) = ?)",
            arguments: [id]
        )
    }
}
