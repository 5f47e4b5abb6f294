import Foundation
import Synchronization

/// For plugins built on blocking C libraries (a network loop, libcurl): the Swift concurrency pool
/// is shared with the gateway and has few threads, so blocking work runs on threads of the
/// plugin's own, and these two functions cross between the two worlds.
public enum PluginThreads {
    /// Runs `work` on the concurrency pool and blocks the calling thread until it is done. Call it
    /// only from a thread of the plugin's own (a C library's callback, a poller), never from a task.
    public static func wait<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let result = Mutex<T?>(nil)
        Task {
            let value = await work()
            result.withLock { $0 = value }
            semaphore.signal()
        }
        semaphore.wait()
        return result.withLock { $0! }
    }

    /// Runs blocking `work` on a new thread outside the concurrency pool and awaits its result.
    public static func detached<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: work()) }
        }
    }
}
