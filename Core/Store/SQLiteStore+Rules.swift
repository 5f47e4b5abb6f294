import Foundation
import GRDB
import SwiftletDomain
import SwiftletRules

/// Rules changed through the API, the history of firings, and escalations (the engine's `RuleStore`).
/// Firings and escalations are kept as JSON records beside the columns they are looked up by.
extension SQLiteStore: RuleStore {
    static let recordEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()
    static let recordDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()

    public func storedRules() async throws -> [StoredRule] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, definition, enabled FROM rule ORDER BY rowid").map {
                StoredRule(name: $0["name"], definition: $0["definition"], enabled: $0["enabled"])
            }
        }
    }

    public func storeRule(_ rule: StoredRule) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO rule (name, definition, enabled, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, enabled = excluded.enabled,
                        updated_at = excluded.updated_at
                    """,
                arguments: [rule.name, rule.definition, rule.enabled, Date().storeValue]
            )
        }
    }

    public func removeStoredRule(named name: String) async throws {
        try await write { db in try db.execute(sql: "DELETE FROM rule WHERE name = ?", arguments: [name]) }
    }

    public func recordFiring(_ firing: RuleFiring) async throws -> Int64 {
        let record = String(decoding: try Self.recordEncoder.encode(firing), as: UTF8.self)
        return try await write { db in
            try db.execute(
                sql: "INSERT INTO rule_firing (rule, at, key, record) VALUES (?, ?, ?, ?)",
                arguments: [firing.rule, firing.at.storeValue, firing.key, record]
            )
            return db.lastInsertedRowID
        }
    }

    public func addOutcomes(_ outcomes: [String], toFiring id: Int64) async throws {
        try await write { db in
            guard
                let text = try String.fetchOne(db, sql: "SELECT record FROM rule_firing WHERE id = ?", arguments: [id])
            else { return }
            var firing = try Self.recordDecoder.decode(RuleFiring.self, from: Data(text.utf8))
            firing.outcomes += outcomes
            try db.execute(
                sql: "UPDATE rule_firing SET record = ? WHERE id = ?",
                arguments: [String(decoding: try Self.recordEncoder.encode(firing), as: UTF8.self), id]
            )
        }
    }

    public func firings(rule: String?, limit: Int) async throws -> [RuleFiring] {
        try await pool.read { db in
            try String.fetchAll(
                db,
                sql: "SELECT record FROM rule_firing WHERE ? IS NULL OR rule = ? ORDER BY id DESC LIMIT ?",
                arguments: [rule, rule, limit]
            )
            .map { try Self.recordDecoder.decode(RuleFiring.self, from: Data($0.utf8)) }
        }
    }

    public func lastFiring(rule: String, key: String?) async throws -> Date? {
        try await pool.read { db in
            try Double.fetchOne(
                db,
                sql: "SELECT MAX(at) FROM rule_firing WHERE rule = ? AND key IS ?",
                arguments: [rule, key]
            )
            .map(Date.init(storeValue:))
        }
    }

    public func saveEscalation(_ escalation: Escalation) async throws -> Int64 {
        try await write { db in
            var escalation = escalation
            if escalation.id == 0 {
                try db.execute(
                    sql: "INSERT INTO escalation (rule, active, record) VALUES (?, 1, '{}')",
                    arguments: [escalation.rule]
                )
                escalation.id = db.lastInsertedRowID
            }
            try db.execute(
                sql: "UPDATE escalation SET active = ?, record = ? WHERE id = ?",
                arguments: [
                    escalation.state == .active,
                    String(decoding: try Self.recordEncoder.encode(escalation), as: UTF8.self),
                    escalation.id,
                ]
            )
            return escalation.id
        }
    }

    public func escalations(activeOnly: Bool, limit: Int) async throws -> [Escalation] {
        try await pool.read { db in
            try String.fetchAll(
                db,
                sql: "SELECT record FROM escalation WHERE active OR NOT ? ORDER BY id DESC LIMIT ?",
                arguments: [activeOnly, limit]
            )
            .map { try Self.recordDecoder.decode(Escalation.self, from: Data($0.utf8)) }
        }
    }

    public func escalation(id: Int64) async throws -> Escalation? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT record FROM escalation WHERE id = ?", arguments: [id])
                .map { try Self.recordDecoder.decode(Escalation.self, from: Data($0.utf8)) }
        }
    }
}
