import GRDB
import Synchronization

/// Group commit: writes that arrive while a transaction is being committed wait for it, then share
/// the next transaction, and so one fsync.
///
/// Each write runs in its own savepoint, so one that throws is undone alone and the others still
/// commit. Its caller resumes only after the transaction that holds its write has committed, so a
/// returned write is on disk exactly as with one transaction per write (with `synchronous=FULL`).
/// A lone write costs what it did before. Fifty concurrent API requests cost one sync instead of fifty.
///
/// The batches run on the pool's writer queue, one after another, and the writer drains arrivals
/// before it lets go.
final class GroupCommit: Sendable {
    private struct Job: Sendable {
        /// Runs the write in a savepoint of the open transaction and keeps its outcome.
        let run: @Sendable (Database) -> Void
        /// Resumes the caller: with the write's outcome, or with the error that failed the commit.
        let finish: @Sendable ((any Error)?) -> Void
    }

    private struct State {
        var pending: [Job] = []
        /// Whether the writer queue is committing batches; a new write then just joins `pending`.
        var draining = false
    }

    private let pool: DatabasePool
    private let state = Mutex(State())

    init(pool: DatabasePool) {
        self.pool = pool
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = Mutex<Result<T, any Error>?>(nil)
            let job = Job(
                run: { db in
                    let result: Result<T, any Error>
                    do {
                        var value: T?
                        try db.inSavepoint {
                            value = try body(db)
                            return .commit
                        }
                        result = .success(value!)
                    } catch {
                        result = .failure(error)
                    }
                    outcome.withLock { $0 = result }
                },
                finish: { commitError in
                    if let commitError {
                        continuation.resume(throwing: commitError)
                    } else {
                        continuation.resume(with: outcome.withLock { $0! })
                    }
                }
            )
            let lead = state.withLock { state in
                state.pending.append(job)
                defer { state.draining = true }
                return !state.draining
            }
            if lead { pool.asyncWriteWithoutTransaction { db in self.drain(db) } }
        }
    }

    /// Commits batches until no write is waiting.
    private func drain(_ db: Database) {
        while true {
            let batch = state.withLock { state in
                let batch = state.pending
                state.pending = []
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                try db.inTransaction(.immediate) {
                    for job in batch { job.run(db) }
                    return .commit
                }
                for job in batch { job.finish(nil) }
            } catch {
                for job in batch { job.finish(error) }
            }
        }
    }
}
