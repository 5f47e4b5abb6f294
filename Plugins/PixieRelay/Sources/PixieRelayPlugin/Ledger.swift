import Foundation

/// What the relay must remember across restarts, kept in the plugin's state as one value: the
/// messages it posted whose fate is open (so that a message offered again after a crash is not
/// posted twice, and so that statuses from the stream find their message), the stream items it
/// has handled (Pixie may hand one out twice), items received but not yet handled, and its place
/// in a Swiftlet relay's stream.
struct Ledger: Codable, Equatable {
    enum State: String, Codable {
        /// The POST is about to leave or in flight: after a crash nobody knows whether it went out.
        case posting
        /// The relay took it.
        case accepted
        /// The POST left and no answer came back.
        case uncertain
    }

    struct Entry: Codable, Equatable {
        var key: String
        /// The gateway's message id.
        var id: Int
        var to: String
        /// A digest of the text, to recognise the message in the stream without keeping it.
        var digest: String
        var at: Date
        var state: State
        var reference: String?
        var parts: Int?
        var cost: Double?
        /// When its final status came: kept a while after, so that a key offered again is still known.
        var settledAt: Date?
    }

    /// Open messages by key.
    var entries: [String: Entry] = [:]
    /// Identities (`kind:id`) of stream items handled, oldest first.
    var seen: [String] = []
    /// Stream items not yet handed on, tried again first: received messages the gateway could not
    /// take, and statuses of messages it has not recorded as sent yet (the status came before the
    /// relay's answer, or the gateway restarted in between).
    var backlog: [Waiting] = []
    /// The last event number read from a Swiftlet relay.
    var cursor: Int64?

    /// How long an entry is kept without a final status, and how many at most (a state value is
    /// at most 1 MiB); how long after its final status.
    static let keepFor: TimeInterval = 7 * 86_400
    static let keepSettledFor: TimeInterval = 3_600
    static let maximumEntries = 2_000
    static let maximumSeen = 5_000

    /// A stream item in the backlog, with when it was first read.
    struct Waiting: Codable, Equatable {
        var item: PixieClient.Item
        var read: Date
    }

    /// How long a status waits for its message to be recorded as sent.
    static let statusWaitsFor: TimeInterval = 3600

    func entry(forReference reference: String) -> Entry? {
        entries.values.first { $0.reference == reference && $0.settledAt == nil }
    }

    /// The open entry for a status item without a known reference: same recipient and text.
    func entry(to recipient: String, text: String) -> Entry? {
        let digest = Self.digest(text)
        return entries.values.filter {
            $0.settledAt == nil && $0.digest == digest && Self.sameNumber($0.to, recipient)
        }
        .min { $0.at < $1.at }
    }

    func hasSeen(_ identity: String) -> Bool { seen.contains(identity) }

    mutating func markSeen(_ identity: String) {
        guard !seen.contains(identity) else { return }
        seen.append(identity)
        if seen.count > Self.maximumSeen { seen.removeFirst(seen.count - Self.maximumSeen) }
    }

    /// Drops entries older than `keepFor`, then the oldest beyond `maximumEntries`; returns how many.
    mutating func prune(now: Date) -> Int {
        let before = entries.count
        entries = entries.filter { _, entry in
            guard let settled = entry.settledAt else { return now.timeIntervalSince(entry.at) < Self.keepFor }
            return now.timeIntervalSince(settled) < Self.keepSettledFor
        }
        if entries.count > Self.maximumEntries {
            for key in entries.values.sorted(by: { $0.at < $1.at }).prefix(entries.count - Self.maximumEntries)
                .map(\.key)
            {
                entries[key] = nil
            }
        }
        return before - entries.count
    }

    /// FNV-1a, 64 bits, in hex: stable across runs (Swift's `hashValue` is not).
    static func digest(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// Whether two spellings name the same number (`+46701234567`, `46701234567`).
    static func sameNumber(_ a: String, _ b: String) -> Bool {
        let digits = { (text: String) in text.filter(\.isNumber) }
        return !digits(a).isEmpty && digits(a) == digits(b)
    }
}
