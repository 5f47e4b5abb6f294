import Foundation
import Logging
import SwiftletDomain

/// Runs the rules: matches events against their triggers and conditions, takes their actions,
/// keeps schedules and escalations going, and records every firing.
///
/// Everything that reads or changes the engine's state (events, ticks, API calls) runs one at a
/// time, in arrival order, so an acknowledgement cannot be lost to a step being sent meanwhile.
public actor RuleEngine {
    public struct Summary: Sendable, Equatable {
        public var name: String
        public var enabled: Bool
        public var source: Source
        public var status: Status
        public var trigger: String
        public var definition: String
    }

    /// Whether a rule runs, and if not, why.
    public enum Status: Sendable, Equatable, CustomStringConvertible {
        case active
        case disabled
        /// A plugin kind it needs is not registered (yet): it runs once one is. Holds what it waits for.
        case waiting(String)
        /// It cannot run as written: a kind of the wrong role, a parameter its plugin refuses.
        case broken(String)

        public var description: String {
            switch self {
            case .active: "active"
            case .disabled: "disabled"
            case .waiting(let what): "waiting for \(what)"
            case .broken(let why): why
            }
        }
    }

    /// Where a rule's definition comes from.
    public enum Source: String, Sendable, Equatable, CustomStringConvertible {
        case configuration
        case api
        /// A rule of the configuration file replaced through the API (a DELETE restores the file's).
        case changedThroughAPI = "configuration, changed through the api"

        public var description: String { rawValue }
    }

    struct Entry {
        var rule: Rule
        var source: Source
        /// Why the rule cannot run now (`.waiting` or `.broken`), nil if it can.
        var problem: Status?
        var nextFire: Date?
    }

    let parser: RuleParser
    let store: any RuleStore
    let effects: any RuleEffects
    let calendar: Calendar
    let now: @Sendable () -> Date
    let logger: Logger
    let configured: [Rule]

    var entries: [String: Entry] = [:]
    var order: [String] = []
    var active: [Int64: Escalation] = [:]
    /// Hysteresis: per rule and condition (and `per` value), whether the threshold is armed.
    var disarmed: Set<String> = []
    var tasks: [Task<Void, Never>] = []
    /// Actions that failed while the current event was handled (see ``Handled``).
    var failures: [String] = []

    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(
        rules: [Rule],
        parser: RuleParser,
        store: any RuleStore,
        effects: any RuleEffects,
        now: @escaping @Sendable () -> Date = Date.init,
        logger: Logger
    ) {
        self.configured = rules
        self.parser = parser
        self.store = store
        self.effects = effects
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = parser.timeZone
        self.calendar = calendar
        self.now = now
        self.logger = logger
    }

    /// Runs `body` when nothing else of the engine runs.
    func serially<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        return try await body()
    }

    // MARK: Starting

    /// Loads the rules (the configuration's, then those changed through the API), the escalations
    /// in progress, and the schedules; fires one-shot times that passed while the gateway was down.
    public func start() async throws {
        try await serially {
            for rule in configured {
                entries[rule.name] = Entry(rule: rule, source: .configuration)
                order.append(rule.name)
            }
            for stored in try await store.storedRules() {
                if let definition = stored.definition {
                    do {
                        var rule = try parser.parse(text: definition, name: stored.name)
                        rule.enabled = stored.enabled
                        let source: Source = entries[stored.name] == nil ? .api : .changedThroughAPI
                        if entries[stored.name] == nil { order.append(stored.name) }
                        entries[stored.name] = Entry(rule: rule, source: source)
                    } catch {
                        logger.error(
                            "a stored rule no longer reads; it does not run",
                            metadata: ["rule": "\(stored.name)", "error": "\(error)"]
                        )
                    }
                } else {
                    entries[stored.name]?.rule.enabled = stored.enabled
                    entries[stored.name]?.source = .changedThroughAPI
                }
            }
            for name in order {
                prepare(name)
                guard let problem = entries[name]?.problem, entries[name]?.rule.enabled == true else { continue }
                if case .waiting = problem {
                    logger.info("rule waits", metadata: ["rule": "\(name)", "reason": "\(problem)"])
                } else {
                    logger.error("rule does not run", metadata: ["rule": "\(name)", "reason": "\(problem)"])
                }
            }
            for escalation in try await store.escalations(activeOnly: true, limit: 10_000) {
                active[escalation.id] = escalation
                logger.notice(
                    "escalation continues",
                    metadata: [
                        "escalation": "\(escalation.id)", "rule": "\(escalation.rule)",
                        "step": "\(escalation.step + 1)", "steps": "\(escalation.steps.count)",
                    ]
                )
            }
            let enabled = order.filter { entries[$0]?.rule.enabled == true }
            logger.info(
                "rules ready",
                metadata: ["enabled": "\(enabled.count)", "rules": "\(order.count)", "escalations": "\(active.count)"]
            )
            // A one-shot time that passed while the gateway was down fires now, once.
            for name in order {
                guard let entry = entries[name], entry.rule.enabled, entry.problem == nil,
                    case .once(let at) = entry.rule.trigger, at <= now(),
                    try await store.firings(rule: name, limit: 1).isEmpty
                else { continue }
                logger.notice(
                    "rule was due while the gateway was not running; firing it now",
                    metadata: ["rule": "\(name)", "due": "\(at)"]
                )
                await fire(
                    name,
                    event: RuleEvent(kind: "at", fields: ["scheduled_for": Self.localText(at, calendar)]),
                    captures: [],
                    matched: []
                )
            }
        }
    }

    /// Checks what the rule needs of plugins and computes its next scheduled time.
    func prepare(_ name: String) {
        guard var entry = entries[name] else { return }
        entry.problem = problem(of: entry.rule)
        switch entry.rule.trigger {
        case .schedule(let schedule): entry.nextFire = schedule.next(after: now(), calendar: calendar)
        case .once(let at): entry.nextFire = at > now() ? at : nil
        default: entry.nextFire = nil
        }
        entries[name] = entry
    }

    func problem(of rule: Rule) -> Status? {
        if case .event(let kind) = rule.trigger, !Trigger.coreKinds.contains(kind) {
            guard let registered = effects.pluginKind(kind) else {
                return .waiting("a plugin to register the trigger kind '\(kind)'")
            }
            guard registered.role == .trigger else { return .broken("'\(kind)' is an action kind, not a trigger") }
        }
        for action in rule.actions {
            guard case .plugin(let kind, let parameters) = action.kind else { continue }
            guard let registered = effects.pluginKind(kind) else {
                return .waiting("a plugin to register the action kind '\(kind)'")
            }
            guard registered.role == .action else { return .broken("'\(kind)' is a trigger kind, not an action") }
            if let reason = registered.check(parameters) { return .broken("\(kind): \(reason)") }
        }
        return nil
    }

    /// Plugins registered kinds: rules waiting for them may run now.
    public func kindsChanged() async {
        await serially {
            for name in order {
                let before = entries[name]?.problem
                prepare(name)
                let after = entries[name]?.problem
                if before != nil, after == nil {
                    logger.info("rule can run: its plugin kinds are registered", metadata: ["rule": "\(name)"])
                }
                if let after, after != before {
                    logger.error("rule does not run", metadata: ["rule": "\(name)", "reason": "\(after)"])
                }
            }
        }
    }

    // MARK: Time

    /// Fires the schedules that are due and moves on the escalations whose wait has ended.
    public func tick() async {
        await serially {
            let at = now()
            for name in order {
                guard let entry = entries[name], entry.rule.enabled, entry.problem == nil,
                    let due = entry.nextFire, due <= at
                else { continue }
                switch entry.rule.trigger {
                case .schedule(let schedule): entries[name]?.nextFire = schedule.next(after: at, calendar: calendar)
                default: entries[name]?.nextFire = nil
                }
                await fire(
                    name,
                    event: RuleEvent(
                        kind: entry.rule.trigger.kind,
                        fields: ["scheduled_for": Self.localText(due, calendar)]
                    ),
                    captures: [],
                    matched: []
                )
            }
            for escalation in active.values.sorted(by: { $0.id < $1.id }) where escalation.nextAt <= at {
                do {
                    try await advance(escalation.id)
                } catch {
                    logger.error(
                        "cannot move an escalation on; trying again",
                        metadata: ["escalation": "\(escalation.id)", "error": "\(error)"]
                    )
                }
            }
        }
    }

    /// Ticks once a second until cancelled.
    public func run() async {
        while !Task.isCancelled {
            await tick()
            try? await Task.sleep(for: .seconds(1))
        }
        await settle()
    }

    // MARK: Helpers

    /// `2026-11-22 08:00:00` in `calendar`'s time zone, as the history and the log write times.
    public static func localText(_ date: Date, _ calendar: Calendar) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = calendar.timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func json(_ fields: [String: String]) -> Data {
        (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
    }

    /// `{"rule", "parameters", "event"}`, the parameters' texts filled in from the event.
    static func pluginBody(rule: String, parameters: Data, fields: [String: String], captures: [String]) -> Data {
        func filled(_ value: Any) -> Any {
            switch value {
            case let text as String:
                return (try? MessageTemplate(text, fields: nil))?.render(fields, captures: captures) ?? text
            case let list as [Any]: return list.map(filled)
            case let object as [String: Any]: return object.mapValues(filled)
            default: return value
            }
        }
        let parameters = (try? JSONSerialization.jsonObject(with: parameters)).map(filled) ?? [String: Any]()
        let body: [String: Any] = ["rule": rule, "parameters": parameters, "event": fields]
        return (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8)
    }
}

extension Action.Kind {
    var sendsMessages: Bool {
        switch self {
        case .sendSMS, .reply, .escalate, .call: true
        default: false
        }
    }
}
