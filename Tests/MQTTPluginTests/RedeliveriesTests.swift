import Foundation
import Testing

@testable import MQTTPlugin

/// Telling a redelivery from a new message (the broker-facing behaviour is in MQTTBridgeTests).
@Suite("MQTT redeliveries")
struct RedeliveriesTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// Whether the message is taken for a new one (handled), not a duplicate.
    func isNew(_ redeliveries: inout Redeliveries, _ mid: Int, _ digest: String, at offset: Double) -> Bool {
        redeliveries.received(mid: mid, digest: digest, now: t0 + offset) != .duplicate
    }

    func handled(_ redeliveries: inout Redeliveries, _ mid: Int, _ digest: String, at offset: Double) -> String? {
        guard case .handle(let key) = redeliveries.received(mid: mid, digest: digest, now: t0 + offset) else {
            return nil
        }
        redeliveries.finished(mid: mid)
        return key
    }

    @Test(
        "after a resumed session, a message handled just before the connection ended is a duplicate; the first new one ends the redeliveries"
    )
    func redeliveryAfterReconnect() {
        var redeliveries = Redeliveries()
        redeliveries.connected(resumed: false)
        _ = handled(&redeliveries, 7, "a", at: 0)
        _ = handled(&redeliveries, 8, "b", at: 1)
        redeliveries.connected(resumed: true)
        #expect(redeliveries.received(mid: 8, digest: "b", now: t0 + 60) == .duplicate)
        #expect(isNew(&redeliveries, 9, "c", at: 61), "a new message taken for a duplicate")
        // After the first new message, even an identical one under a remembered id is new.
        #expect(isNew(&redeliveries, 7, "a", at: 62), "a new message after the redeliveries taken for a duplicate")
    }

    @Test(
        "the same alarm under a reused packet id is new: in the same connection, or after a session the broker did not keep"
    )
    func reusedIDs() {
        var redeliveries = Redeliveries()
        redeliveries.connected(resumed: false)
        let first = handled(&redeliveries, 1, "door open", at: 0)
        let second = handled(&redeliveries, 1, "door open", at: 5)  // a broker that reuses the lowest free id
        #expect(first != nil && second != nil && first != second)
        redeliveries.connected(resumed: false)
        #expect(handled(&redeliveries, 1, "door open", at: 6) != nil)
    }

    @Test(
        "a message handled well before the connection ended was acknowledged: the same one after the reconnect is new"
    )
    func outsideWindow() {
        var redeliveries = Redeliveries()
        redeliveries.connected(resumed: false)
        _ = handled(&redeliveries, 3, "old", at: 0)
        _ = handled(&redeliveries, 4, "recent", at: 600)
        redeliveries.connected(resumed: true)
        #expect(isNew(&redeliveries, 3, "old", at: 700), "an old message taken for a redelivery")
    }

    @Test("a message begun and not finished (a crash) is handled again with the same idempotency key")
    func begunNotFinished() {
        var redeliveries = Redeliveries()
        redeliveries.connected(resumed: false)
        guard case .handle(let key) = redeliveries.received(mid: 11, digest: "x", now: t0) else {
            Issue.record("not handled")
            return
        }
        // The gateway restarts from what was recorded.
        var restarted = Redeliveries(records: redeliveries.records)
        restarted.connected(resumed: true)
        #expect(restarted.received(mid: 11, digest: "x", now: t0 + 30) == .handle(key: key))
    }
}
