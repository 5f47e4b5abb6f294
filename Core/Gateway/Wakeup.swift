/// Wakes waiting tasks when there may be new work, without a missed-signal window: a waiter passes
/// the generation it saw before looking for work, and returns at once if a signal came since.
actor Wakeup {
    private var generation = 0
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var lastWaiter = 0
    /// Waiters released before they parked (a timeout or cancellation won the race).
    private var released: Set<Int> = []

    /// The current generation; read it before looking for work.
    var current: Int { generation }

    /// Wakes every waiter.
    func signal() {
        generation &+= 1
        for waiter in waiters.values { waiter.resume() }
        waiters.removeAll()
    }

    nonisolated func signalSoon() {
        Task { await self.signal() }
    }

    /// Returns after a signal newer than `seen`, after `timeout`, or on cancellation.
    func wait(since seen: Int, timeout: Duration) async {
        guard generation == seen else { return }
        lastWaiter += 1
        let id = lastWaiter
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.park(id, since: seen) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                await self.unpark(id)
            }
            await group.next()
            group.cancelAll()
            await self.unpark(id)
        }
        forget(id)
    }

    private func park(_ id: Int, since seen: Int) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if generation != seen || released.remove(id) != nil {
                    continuation.resume()
                } else {
                    waiters[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.unpark(id) }
        }
    }

    private func unpark(_ id: Int) {
        if let waiter = waiters.removeValue(forKey: id) {
            waiter.resume()
        } else {
            released.insert(id)
        }
    }

    /// Forgets a finished waiter's release mark.
    private func forget(_ id: Int) { released.remove(id) }
}
