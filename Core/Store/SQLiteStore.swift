import Foundation
import GRDB
import SwiftletDomain

/// The gateway's store in one SQLite file (WAL mode), implementing the domain's ports.
///
/// Every write commits with `synchronous=FULL` unless the admin opted into `normal`: a method that
/// returns has put its change on disk, so the caller may acknowledge it.
public final class SQLiteStore: Sendable {
    /// How hard SQLite syncs a commit to disk.
    public enum Synchronous: String, Sendable, CaseIterable {
        /// fsync on every commit: an acknowledged message survives a power cut (the default).
        case full
        /// fsync at checkpoints only: faster, but a power cut may lose the last commits.
        case normal
    }

    let pool: DatabasePool
    /// Every write goes through it: concurrent writes share a commit (see ``GroupCommit``).
    private let groupCommit: GroupCommit
    public let path: String

    /// Opens (creating if needed) `swiftlet.sqlite` in `directory` and migrates it to the current schema.
    public init(directory: String, synchronous: Synchronous = .full) throws {
        try FileManager.default.createDirectory(
            atPath: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        path = (directory as NSString).appendingPathComponent("swiftlet.sqlite")
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB sets NORMAL on the writer when it turns WAL on; the writer is one long-lived
        // connection, so setting it here holds for every commit.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous == .full ? "FULL" : "NORMAL")")
        }
        try Self.migrator.migrate(pool)
        groupCommit = GroupCommit(pool: pool)
    }

    /// Runs `body` in a write transaction that it may share with other concurrent writes, and
    /// returns once that transaction has committed. A write that throws is undone alone.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await groupCommit.write(body)
    }

    /// The journal and sync modes in force, for the start-up log and for tests.
    public func pragmas() async throws -> (journalMode: String, synchronous: Int) {
        try await write { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
            )
        }
    }
}

extension Date {
    var storeValue: Double { timeIntervalSince1970 }
    init(storeValue: Double) { self.init(timeIntervalSince1970: storeValue) }
}
