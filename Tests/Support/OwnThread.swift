import Foundation

/// Runs blocking work (a child process waited for to its end, a compiler run) on a thread of its
/// own and awaits it.
///
/// A test that waits for a child process on one of the concurrency pool's threads holds it: on a
/// two-core machine the pool has two, and the code under test in the same process (the modem
/// driver, the stores, the HTTP servers of the other suites running beside it) stalls until the
/// child ends. Two such tests at once stalled every modem test of the run past its timeouts.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}
