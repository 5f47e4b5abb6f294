import NIOCore
import Synchronization

/// Work for one consumer, first in first out. Unlike an `AsyncStream`, closing it hands back the
/// items nobody took, so that their callers can be answered (a dropped job would leave its caller
/// waiting for ever), and a cancelled wait does not end the queue.
final class JobQueue<Item: Sendable>: Sendable {
    private struct State {
        var items = CircularBuffer<Item>()
        var waiter: CheckedContinuation<Item?, Never>?
        var closed = false
    }

    private let state = Mutex(State())

    init() {}

    /// Adds `item`; false once the queue is closed.
    @discardableResult
    func push(_ item: Item) -> Bool {
        // nil: refused (closed); .some(nil): queued; .some(waiter): handed to the waiting consumer.
        let outcome: CheckedContinuation<Item?, Never>?? = state.withLock { state in
            if state.closed { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return .some(waiter)
            }
            state.items.append(item)
            return .some(nil)
        }
        guard let outcome else { return false }
        outcome?.resume(returning: item)
        return true
    }

    /// The next item, waiting for one; nil once the queue is closed or when the task is cancelled.
    func next() async -> Item? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Item?, Never>) in
                let ready: Item?? = state.withLock { state in
                    if let item = state.items.popFirst() { return .some(item) }
                    if state.closed || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Refuses further items and returns those still waiting.
    func close() -> [Item] {
        let (items, waiter) = state.withLock { state in
            state.closed = true
            defer {
                state.items.removeAll()
                state.waiter = nil
            }
            return (Array(state.items), state.waiter)
        }
        waiter?.resume(returning: nil)
        return items
    }
}
