import Foundation
import SwiftletPluginSDK
import Synchronization

/// A transport (ABI 1.5) that sends SMS through a Pixie-compatible cloud API — Pixie itself, or
/// another Swiftlet's Pixie API — when the gateway's own modems cannot (or always, or for the
/// messages routed to it: the gateway's `dispatcher.transport_use` and `transport_modem_no` decide
/// which), and brings back what the relay's stream says: status reports of the messages it sent,
/// and messages received, into the inbox.
///
/// A message is posted at most once. Before the POST leaves, the message's key is recorded in the
/// plugin's state; a message offered again under a key whose POST may have left (a crash while
/// posting, an answer lost in flight) is not posted again but answered as uncertain, and the
/// stream settles it later (a status for the same number and text).
public final class PixieRelayPlugin: TransportProvider {
    public static let id = "pixie-relay"
    public static let version = "1.0.0"
    static let ledgerKey = "ledger"
    /// The longest `Retry-After` waited out within one send; longer ones put the transport on hold.
    static let longestWaitInPlace = 10
    /// How long the relay is left alone after a 429 that says nothing.
    static let defaultRetryAfter = 30

    let settings: Settings
    let host: any PluginHost
    let client: PixieClient
    private let ledger = Mutex(Ledger())
    private let saver = AsyncLock()
    /// One read of the stream at a time; the timer skips a tick while one is running.
    private let reading = AsyncLock()
    private let timerRead = Mutex(false)
    private let timers = Mutex<[UInt64]>([])
    /// Until when the relay asked to be left alone (429), and why the relay is not usable now.
    private let hold = Mutex<(until: Date?, credentials: Bool)>((nil, false))

    public init(configuration: Configuration, host: any PluginHost) throws {
        settings = try Settings(configuration) { try String(contentsOfFile: $0, encoding: .utf8) }
        self.host = host
        client = PixieClient(settings: settings)
    }

    public func start() async throws {
        if let text = try await host.stateValue(forKey: Self.ledgerKey) {
            do {
                let saved = try JSONCoding.decoder.decode(Ledger.self, from: Data(text.utf8))
                ledger.withLock { $0 = saved }
                let open = saved.entries.values.filter { $0.settledAt == nil }
                host.log(
                    .info,
                    "state loaded: \(open.count) messages awaiting a status (\(open.filter { $0.state != .accepted }.count) uncertain), \(saved.backlog.count) received messages to hand on"
                )
            } catch {
                host.log(.error, "the saved state does not read (\(error)); starting without it")
            }
        }
        try host.registerProvider(.transport, name: settings.name, schema: nil)
        if settings.pollInterval > 0 {
            let interval = Duration.seconds(settings.pollInterval)
            let id = try host.startTimer(after: interval, every: interval) { [self] in
                guard !timerRead.withLock({ $0 }) else { return }
                timerRead.withLock { $0 = true }
                Task {
                    await poll()
                    timerRead.withLock { $0 = false }
                }
            }
            timers.withLock { $0.append(id) }
            // What arrived while the gateway was down, at once.
            Task { await poll() }
        }
        host.reportHealth(.ok, "relaying through \(settings.baseURL) as transport \(settings.name)")
        host.log(
            .info,
            "transport \(settings.name) relays through \(settings.baseURL)\(settings.pollInterval > 0 ? "; reading its stream every \(settings.pollInterval) s" : "; not reading its stream (poll_interval 0)")"
        )
    }

    public func stop() async {
        for id in timers.withLock({ $0 }) { try? host.cancelTimer(id) }
    }

    // MARK: Sending

    public func send(_ message: TransportSendRequest) async throws -> TransportAnswer {
        if let entry = ledger.withLock({ $0.entries[message.key] }) {
            return try await offeredAgain(entry, message)
        }
        if let wait = waitForHold() {
            guard wait <= Self.longestWaitInPlace else {
                return .rejected("the relay asked to wait \(wait) s more (429 Retry-After)", permanent: false)
            }
            try? await Task.sleep(for: .seconds(wait))
        }
        // The gateway stopped waiting (its transport_timeout, or it is stopping): nothing leaves now.
        guard !Task.isCancelled else {
            return .rejected(
                "the gateway stopped waiting before the message was posted; nothing was sent",
                permanent: false
            )
        }
        let entry = Ledger.Entry(
            key: message.key,
            id: message.id,
            to: message.to,
            digest: Ledger.digest(message.text),
            at: Date(),
            state: .posting
        )
        ledger.withLock { $0.entries[message.key] = entry }
        do {
            try await save()
        } catch {
            ledger.withLock { $0.entries[message.key] = nil }
            return .rejected(
                "cannot record the message before posting it (\(error)); nothing was sent",
                permanent: false
            )
        }
        var outcome = await post(message)
        // A short Retry-After is waited out once, within the gateway's patience for this send.
        if case .rateLimited(let after?) = outcome, after <= Self.longestWaitInPlace {
            host.log(
                .notice,
                "the relay asks to wait \(after) s (429); waiting, then posting message \(message.id) again"
            )
            try? await Task.sleep(for: .seconds(after))
            if !Task.isCancelled { outcome = await post(message) }
        }
        return await answer(outcome, entry)
    }

    private func post(_ message: TransportSendRequest) async -> PixieClient.SendOutcome {
        let client = client
        return await PluginThreads.detached { client.send(to: message.to, text: message.text) }
    }

    /// Records and answers what the POST came to.
    private func answer(_ outcome: PixieClient.SendOutcome, _ entry: Ledger.Entry) async -> TransportAnswer {
        var entry = entry
        let answer: TransportAnswer
        switch outcome {
        case .accepted(let reference, let parts, let cost):
            entry.state = .accepted
            entry.reference = reference
            entry.parts = parts
            entry.cost = cost
            ledger.withLock { $0.entries[entry.key] = entry }
            clearHold()
            answer = .accepted(reference: reference, parts: parts, cost: cost, reports: settings.pollInterval > 0)
            count("accepted")
        case .uncertain(let why):
            entry.state = .uncertain
            ledger.withLock { $0.entries[entry.key] = entry }
            host.log(.warning, "message \(entry.id): \(why); it may have been sent, so it is not posted again")
            answer = .rejected(uncertain(why), permanent: true)
            count("uncertain")
        case .refused(let why, let permanent, let credentials):
            ledger.withLock { $0.entries[entry.key] = nil }
            if credentials { holdForCredentials(why) }
            answer = .rejected(why, permanent: permanent)
            count(credentials ? "unauthorized" : permanent ? "rejected" : "failed")
        case .rateLimited(let after):
            ledger.withLock { $0.entries[entry.key] = nil }
            let seconds = after ?? Self.defaultRetryAfter
            holdForRateLimit(seconds)
            answer = .rejected("the relay asks to slow down (429); Retry-After \(seconds) s", permanent: false)
            count("rate_limited")
        case .unreachable(let why):
            ledger.withLock { $0.entries[entry.key] = nil }
            host.reportHealth(.degraded, why)
            answer = .rejected("\(why); nothing was sent", permanent: false)
            count("unreachable")
        }
        do {
            try await save()
        } catch {
            host.log(.error, "cannot record what became of message \(entry.id): \(error)")
        }
        return answer
    }

    /// A key seen before: the gateway stopped (or lost the answer) after this message was posted.
    private func offeredAgain(_ entry: Ledger.Entry, _ message: TransportSendRequest) async throws -> TransportAnswer {
        switch entry.state {
        case .accepted:
            host.log(.info, "message \(message.id) was taken by the relay already; not posting it again")
            return .accepted(
                reference: entry.reference,
                parts: entry.parts,
                cost: entry.cost,
                reports: settings.pollInterval > 0
            )
        case .posting, .uncertain:
            var entry = entry
            entry.state = .uncertain
            ledger.withLock { $0.entries[entry.key] = entry }
            try? await save()
            let why = "it was being posted when the gateway stopped"
            host.log(.warning, "message \(message.id): \(why); it may have been sent, so it is not posted again")
            count("uncertain")
            return .rejected(uncertain(why), permanent: true)
        }
    }

    private func uncertain(_ why: String) -> String {
        "uncertain: \(why); it may have been sent, so it is not sent again"
            + (settings.pollInterval > 0 ? " (the relay's stream will settle it)" : "")
    }

    // MARK: Holding off

    /// Seconds the relay asked to be left alone for, if any remain.
    private func waitForHold() -> Int? {
        guard let until = hold.withLock({ $0.until }) else { return nil }
        let left = Int(until.timeIntervalSinceNow.rounded(.up))
        return left > 0 ? left : nil
    }

    private func holdForRateLimit(_ seconds: Int) {
        let until = Date().addingTimeInterval(TimeInterval(seconds))
        hold.withLock { $0.until = until }
        guard seconds > Self.longestWaitInPlace else { return }
        // Down: the gateway gives the relay nothing until then (its modems take what they can).
        host.reportHealth(.down, "the relay asked to slow down (429): resting until \(Self.iso(until))")
        resumeLater(after: seconds)
    }

    private func holdForCredentials(_ why: String) {
        hold.withLock { $0.credentials = true }
        host.reportHealth(.down, "\(why); fix the token, or the gateway tries again in 5 minutes")
        resumeLater(after: 300)
    }

    private func resumeLater(after seconds: Int) {
        let id = try? host.startTimer(after: .seconds(seconds), every: nil) { [self] in
            hold.withLock { $0 = (nil, false) }
            host.reportHealth(.ok, "trying the relay again after a pause")
        }
        if let id { timers.withLock { $0.append(id) } }
    }

    private func clearHold() {
        let was = hold.withLock { state in
            defer { state = (nil, false) }
            return state.until != nil || state.credentials
        }
        if was { host.reportHealth(.ok, "relaying through \(settings.baseURL) as transport \(settings.name)") }
    }

    // MARK: Reading the stream

    /// Reads what is new from the relay's stream and hands it on: statuses to the messages they
    /// concern, received messages to the inbox. Waits for a read already running.
    func poll() async {
        await reading.lock()
        await read()
        await reading.unlock()
    }

    private func read() async {
        await handOnBacklog()
        let client = client
        let after = ledger.withLock { $0.cursor }
        let result = await PluginThreads.detached {
            Result { () throws(PixieClient.StreamFailure) in try client.stream(after: after) }
        }
        let items: [PixieClient.Item]
        switch result {
        case .success(let list): items = list
        case .failure(let failure):
            host.log(.warning, "\(failure)")
            if failure.credentials {
                holdForCredentials(failure.description)
            } else if let after = failure.retryAfter {
                holdForRateLimit(after)
            }
            return
        }
        var handled = 0
        for item in items {
            guard !ledger.withLock({ $0.hasSeen(item.identity) }) else { continue }
            if !(await handOn(item)) { ledger.withLock { $0.backlog.append(Ledger.Waiting(item: item, read: Date())) } }
            ledger.withLock { ledger in
                ledger.markSeen(item.identity)
                if let event = item.eventId { ledger.cursor = max(ledger.cursor ?? 0, event) }
            }
            handled += 1
        }
        let pruned = ledger.withLock { $0.prune(now: Date()) }
        if pruned > 0 {
            host.log(.debug, "\(pruned) messages settled an hour ago, or without a status for 7 days, forgotten")
        }
        if handled > 0 || pruned > 0 {
            do {
                try await save()
            } catch {
                host.log(.error, "cannot record what the stream brought: \(error)")
            }
        }
    }

    /// Puts a received message into the inbox; false when the gateway cannot take it now.
    private func deliver(_ item: PixieClient.Item) async -> Bool {
        guard let sender = item.sender, !sender.isEmpty, let text = item.text, !text.isEmpty else {
            host.log(.notice, "stream item \(item.kind):\(item.id) has no sender or text; skipped")
            return true
        }
        do {
            let id = try await host.deliverIncoming(
                IncomingSMS(from: sender, text: text, sentAt: item.timestamp, channel: settings.channel)
            )
            host.log(.info, "received message \(item.id) from \(sender) through the relay (inbox id \(id))")
            count("received", metric: "received_total", help: "Messages received through the relay's stream.")
            return true
        } catch {
            host.log(.warning, "cannot put received message \(item.id) into the inbox (\(error)); trying again later")
            return false
        }
    }

    /// Hands an item on; false when it must wait (kept in the backlog).
    private func handOn(_ item: PixieClient.Item) async -> Bool {
        switch item.kind {
        case "incoming":
            return await deliver(item)
        case "outgoing":
            return await settle(item)
        default:
            host.log(.notice, "stream item \(item.kind):\(item.id) of an unknown kind; skipped")
            return true
        }
    }

    private func handOnBacklog() async {
        let backlog = ledger.withLock { $0.backlog }
        guard !backlog.isEmpty else { return }
        var left: [Ledger.Waiting] = []
        for waiting in backlog where !(await handOn(waiting.item)) {
            if waiting.item.kind == "outgoing" && Date().timeIntervalSince(waiting.read) > Ledger.statusWaitsFor {
                host.log(
                    .notice,
                    "status \(waiting.item.id) waited an hour for its message to be recorded as sent; dropped"
                )
                continue
            }
            left.append(waiting)
        }
        ledger.withLock { $0.backlog = left }
        try? await save()
    }

    /// Applies a status item to the message it concerns; false when that message is not recorded as
    /// sent yet (the status is tried again later).
    private func settle(_ item: PixieClient.Item) async -> Bool {
        let entry = ledger.withLock { ledger in
            ledger.entry(forReference: item.id)
                ?? item.recipient.flatMap { to in item.text.flatMap { ledger.entry(to: to, text: $0) } }
        }
        guard let entry else { return true }
        guard let status = Self.status(item.status) else {
            host.log(
                .notice,
                "status '\(item.status ?? "")' of message \(entry.id) is not one this relay knows; ignored"
            )
            return true
        }
        if status == .sent && entry.state == .accepted { return true }
        do {
            try await host.reportDelivery(
                TransportDeliveryReport(
                    id: entry.id,
                    key: entry.key,
                    status: status,
                    detail: status == .failed ? item.error ?? "the relay reports '\(item.status ?? "")'" : nil,
                    at: item.timestamp
                )
            )
        } catch let error as PluginError where error.code == .notFound {
            // Not recorded as sent yet: the status came before the answer, or across a restart.
            return false
        } catch {
            host.log(.warning, "cannot report the status of message \(entry.id): \(error); trying again later")
            return false
        }
        if entry.state != .accepted {
            host.log(.notice, "message \(entry.id), uncertain until now, was \(status.rawValue) by the relay")
        }
        ledger.withLock { ledger in
            ledger.entries[entry.key]?.state = .accepted
            if status == .sent {
                ledger.entries[entry.key]?.reference = item.id
            } else {
                ledger.entries[entry.key]?.settledAt = Date()
            }
        }
        return true
    }

    /// A status word of the relay as a report: Pixie's vocabulary is not published, so the usual
    /// SMSC words are read too.
    static func status(_ word: String?) -> TransportDeliveryReport.Status? {
        switch word?.lowercased() {
        case "delivered", "delivrd", "delivered_to_handset": .delivered
        case "failed", "undelivered", "undeliv", "undeliverable", "rejected", "rejectd", "expired", "error": .failed
        case "sent", "accepted", "acceptd", "enroute", "buffered": .sent
        default: nil
        }
    }

    // MARK: Bookkeeping

    /// Writes the ledger as it is now; writes happen one at a time, in order.
    private func save() async throws {
        await saver.lock()
        do {
            let data = try ledger.withLock { try JSONCoding.encoder.encode($0) }
            try await host.setState(String(decoding: data, as: UTF8.self), forKey: Self.ledgerKey)
        } catch {
            await saver.unlock()
            throw error
        }
        await saver.unlock()
    }

    private func count(
        _ result: String,
        metric: String = "posts_total",
        help: String = "POSTs to the relay, by result."
    ) {
        try? host.reportMetric(
            MetricSample(name: metric, type: .counter, help: help, labels: ["result": result], value: 1)
        )
    }

    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}

/// One at a time, in the order they came: an asynchronous lock.
actor AsyncLock {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func lock() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func unlock() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}
