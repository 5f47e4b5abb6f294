import Foundation

/// Tells a QoS 1 message the broker offers again from a new one, so that a redelivery does not
/// send its SMS twice — without ever taking a new alarm for an old one.
///
/// A broker offers a message again only right after a reconnection, and only one it had sent on an
/// earlier connection without getting our PUBACK (MQTT 3.1.1 §4.4): ours was lost with the
/// connection, or never written because the gateway crashed or could not commit. libmosquitto does
/// not show the DUP flag, so the bridge remembers the last messages it handled (packet id, a digest
/// of topic and payload, when, and an idempotency key) and, after a reconnection that resumed the
/// session, treats as redeliveries only:
///
/// - messages the broker offers before the first new one (redeliveries come first), and
/// - among those, ones matching a message handled in the last seconds before the connection ended,
///   or one whose handling was begun and not known finished (the gateway crashed meanwhile).
///
/// A message whose handling was begun is sent again with the same idempotency key, so the gateway
/// queues it once whether or not the crash came before its commit.
struct Redeliveries: Sendable {
    struct Record: Codable, Sendable, Equatable {
        var mid: Int
        var digest: String
        /// When it was handled (seconds since 1970).
        var at: Double
        /// The idempotency key its SMS are queued with.
        var key: String
        /// Its handling finished (committed, or deliberately ignored).
        var done: Bool
    }

    /// How many handled messages are remembered (more than a broker keeps in flight to one client:
    /// mosquitto's `max_inflight_messages` is 20).
    static let remembered = 128
    /// Done messages handled this long before the last one are not taken for redeliveries: the
    /// PUBACK of an older one was surely written.
    static let window: TimeInterval = 10

    private(set) var records: [Record] = []
    /// Candidates for redeliveries on this connection, by packet id; emptied by the first new message.
    private var candidates: [Int: Record] = [:]

    init(records: [Record] = []) { self.records = records }

    /// A connection began; `resumed`: the broker kept the session (and may offer messages again).
    mutating func connected(resumed: Bool) {
        candidates = [:]
        guard resumed, let last = records.last?.at else { return }
        for record in records where !record.done || record.at >= last - Self.window {
            candidates[record.mid] = record
        }
    }

    enum Verdict: Equatable {
        /// Handled already: acknowledge, do nothing.
        case duplicate
        /// Handle it, queueing its SMS with this idempotency key.
        case handle(key: String)
    }

    /// What to do with a received message; a new record is added (not done) when it is to be handled.
    mutating func received(mid: Int, digest: String, now: Date = Date()) -> Verdict {
        if let candidate = candidates.removeValue(forKey: mid), candidate.digest == digest {
            if candidate.done { return .duplicate }
            return .handle(key: candidate.key)  // begun before a crash: the same key, queued once
        }
        candidates = [:]  // a new message: the redeliveries are over
        let record = Record(
            mid: mid,
            digest: digest,
            at: now.timeIntervalSince1970,
            key: UUID().uuidString,
            done: false
        )
        records.removeAll { $0.mid == mid }
        records.append(record)
        if records.count > Self.remembered { records.removeFirst(records.count - Self.remembered) }
        return .handle(key: record.key)
    }

    /// The message's handling finished.
    mutating func finished(mid: Int) {
        if let index = records.lastIndex(where: { $0.mid == mid }) { records[index].done = true }
    }

    static func digest(topic: String, payload: [UInt8]) -> String {
        // FNV-1a over topic and payload.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Array(topic.utf8) + [0] + payload {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(hash, radix: 16) + ":\(payload.count)"
    }
}
