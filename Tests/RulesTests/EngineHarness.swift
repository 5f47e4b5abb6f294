import Foundation
import Logging
import Synchronization
import Testing
import Yams

@testable import SwiftletRules
@testable import SwiftletStore

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let time: Mutex<Date>
    init(_ start: Date) { time = Mutex(start) }
    var now: Date { time.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
    func set(_ date: Date) { time.withLock { $0 = date } }
}

/// The engine's effects, recorded: what a rule sent, to whom, and held until when. The gateway's
/// real effects (outbox, phonebook, HTTP, plugins) are exercised by the end-to-end tests.
final class RecordingEffects: RuleEffects {
    struct Sent: Equatable {
        var text: String
        var to: Recipients
        var notBefore: Date?
        /// How long a call may last once answered.
        var seconds: Int? = nil
        var routing = SMSRouting()
    }

    private let state = Mutex<(sent: [Sent], groups: [String: Set<String>], posts: Int, actions: [(String, Data)])>(
        ([], [:], 0, [])
    )
    let postAnswers: [Int]
    let kinds: Mutex<[String: PluginRuleKind]> = Mutex([:])
    /// Text-to-speech calls queued, in order.
    let calls = Mutex<[Sent]>([])

    init(groups: [String: Set<String>] = [:], postAnswers: [Int] = [200]) {
        self.postAnswers = postAnswers
        state.withLock { $0.groups = groups }
    }

    var sent: [Sent] { state.withLock { $0.sent } }
    var posts: Int { state.withLock { $0.posts } }
    var actions: [(String, Data)] { state.withLock { $0.actions } }
    func group(_ name: String) -> Set<String> { state.withLock { $0.groups[name] ?? [] } }

    func send(
        _ text: String,
        to recipients: Recipients,
        routing: SMSRouting,
        notBefore: Date?,
        rule: String
    ) async throws -> [String] {
        state.withLock { $0.sent.append(Sent(text: text, to: recipients, notBefore: notBefore, routing: routing)) }
        return recipients.numbers + recipients.contacts.map { "contact:\($0)" }
    }

    func call(_ text: String, to recipients: Recipients, seconds: Int, rule: String) async throws -> [String] {
        calls.withLock { $0.append(Sent(text: text, to: recipients, notBefore: nil, seconds: seconds)) }
        return recipients.numbers
    }

    func isInGroup(_ number: String, group: String) async throws -> Bool {
        state.withLock { $0.groups[group]?.contains(number) ?? false }
    }

    func changeGroup(_ group: String, number: String, add: Bool) async throws -> Bool {
        state.withLock { state in
            add
                ? state.groups[group, default: []].insert(number).inserted
                : state.groups[group]?.remove(number) != nil
        }
    }

    func post(_ body: Data, to url: URL) async throws -> Int {
        state.withLock { state in
            defer { state.posts += 1 }
            return postAnswers[min(state.posts, postAnswers.count - 1)]
        }
    }

    func perform(pluginAction kind: String, _ body: Data) throws { state.withLock { $0.actions.append((kind, body)) } }
    func pluginKind(_ kind: String) -> PluginRuleKind? { kinds.withLock { $0[kind] } }
}

/// A collecting log handler, to check what the engine says.
final class LogRecorder: LogHandler, @unchecked Sendable {
    let lines = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    /// `level: message key=value …`, the metadata sorted by key.
    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let pairs = all.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        lines.withLock { $0.append("\(event.level): \(event.message)\(pairs)") }
    }
    var text: String { lines.withLock { $0.joined(separator: "\n") } }
}

struct EngineHarness {
    let store: SQLiteStore
    let directory: String
    let clock: ManualClock
    let effects: RecordingEffects
    let log = LogRecorder()
    let zone = TimeZone(identifier: "Europe/Stockholm")!

    init(
        start: Date = Date(timeIntervalSince1970: 1_795_000_000),
        effects: RecordingEffects = RecordingEffects(),
        directory: String? = nil
    ) throws {
        let directory =
            directory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        self.store = try SQLiteStore(directory: directory)
        self.clock = ManualClock(start)
        self.effects = effects
    }

    func engine(_ yaml: String) async throws -> RuleEngine {
        let parser = RuleParser(timeZone: zone)
        let rules = try parser.parseList(try #require(try Yams.compose(yaml: yaml)))
        let clock = self.clock
        let engine = RuleEngine(
            rules: rules,
            parser: parser,
            store: store,
            effects: effects,
            now: { clock.now },
            logger: Logger(label: "test") { _ in log }
        )
        try await engine.start()
        return engine
    }

    /// A local time in Stockholm.
    func local(_ text: String) -> Date { RuleParser.localDate(text, timeZone: zone)! }

    func sms(from: String, _ text: String) -> RuleEvent {
        RuleEvent(kind: "sms.incoming", fields: ["from": from, "sender": from, "text": text, "id": "1"])
    }
}
