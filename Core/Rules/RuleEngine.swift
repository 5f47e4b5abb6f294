import Foundation
import Logging

/// Runs the rules: matches events against their triggers and conditions, takes their actions,
/// keeps schedules and escalations going, and records every firing.
///
/// Everything that reads or changes the engine's state (events, ticks, API calls) runs one at a
/// time, in arrival order, so an acknowledgement cannot be lost to a step being sent meanwhile.
public actor RuleEngine {
    public struct Summary: Sendable, Equatable {
        public var name: String
        public var enabled: Bool
        /// `configuration`, `api`, or `configuration, changed through the api`.
        public var source: String
        /// `active`, `disabled`, or why the rule cannot run (a plugin kind missing, a bad parameter).
        public var status: String
        public var trigger: String
        public var definition: String
    }

    struct Entry {
        var rule: Rule
        var source: String
        /// Why the rule cannot run now (a plugin's kind not registered), nil if it can.
        var problem: String?
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
                entries[rule.name] = Entry(rule: rule, source: "configuration")
                order.append(rule.name)
            }
            for stored in try await store.storedRules() {
                if let definition = stored.definition {
                    do {
                        var rule = try parser.parse(text: definition, name: stored.name)
                        rule.enabled = stored.enabled
                        let source = entries[stored.name] == nil ? "api" : "configuration, changed through the api"
                        if entries[stored.name] == nil { order.append(stored.name) }
                        entries[stored.name] = Entry(rule: rule, source: source)
                    } catch {
                        logger.error("rule \(stored.name) as stored no longer reads: \(error); it does not run")
                    }
                } else {
                    entries[stored.name]?.rule.enabled = stored.enabled
                    entries[stored.name]?.source = "configuration, changed through the api"
                }
            }
            for name in order {
                prepare(name)
                guard let problem = entries[name]?.problem, entries[name]?.rule.enabled == true else { continue }
                if problem.hasPrefix("waiting") {
                    logger.info("rule \(name) waits: \(problem)")
                } else {
                    logger.error("rule \(name) does not run: \(problem)")
                }
            }
            for escalation in try await store.escalations(activeOnly: true, limit: 10_000) {
                active[escalation.id] = escalation
                logger.notice(
                    "escalation \(escalation.id) of rule \(escalation.rule) continues at step \(escalation.step + 1) of \(escalation.steps.count)",
                    metadata: ["escalation": "\(escalation.id)"]
                )
            }
            let enabled = order.filter { entries[$0]?.rule.enabled == true }
            logger.info("rules: \(enabled.count) enabled of \(order.count); \(active.count) escalation(s) in progress")
            // A one-shot time that passed while the gateway was down fires now, once.
            for name in order {
                guard let entry = entries[name], entry.rule.enabled, entry.problem == nil,
                    case .once(let at) = entry.rule.trigger, at <= now(),
                    try await store.firings(rule: name, limit: 1).isEmpty
                else { continue }
                logger.notice("rule \(name) was due at \(at) while the gateway was not running; firing it now")
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

    func problem(of rule: Rule) -> String? {
        if case .event(let kind) = rule.trigger, !Trigger.coreKinds.contains(kind) {
            guard let registered = effects.pluginKind(kind) else {
                return "waiting for a plugin to register the trigger kind '\(kind)'"
            }
            guard registered.role == .trigger else { return "'\(kind)' is an action kind, not a trigger" }
        }
        for action in rule.actions {
            guard case .plugin(let kind, let parameters) = action.kind else { continue }
            guard let registered = effects.pluginKind(kind) else {
                return "waiting for a plugin to register the action kind '\(kind)'"
            }
            guard registered.role == .action else { return "'\(kind)' is a trigger kind, not an action" }
            if let reason = registered.check(parameters) { return "\(kind): \(reason)" }
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
                if before != nil, after == nil { logger.info("rule \(name) can run: its plugin kinds are registered") }
                if let after, after != before { logger.error("rule \(name) does not run: \(after)") }
            }
        }
    }

    // MARK: Events

    /// What handling an event did: the rules that fired, and the actions of theirs that failed
    /// (their messages are not committed; whoever acknowledges the event must not).
    public struct Handled: Sendable, Equatable {
        public var fired: [String]
        public var failures: [String]
    }

    /// An event happened: acknowledges escalations it answers, then fires every rule it matches.
    @discardableResult
    public func handle(_ event: RuleEvent) async -> Handled {
        await serially {
            failures = []
            if event.kind == "sms.incoming" || event.kind == "call.incoming" { await acknowledge(by: event) }
            var fired: [String] = []
            for name in order {
                guard let entry = entries[name], entry.rule.enabled, entry.problem == nil,
                    case .event(let kind) = entry.rule.trigger, kind == event.kind
                else { continue }
                if await evaluate(name, entry.rule, event) != nil { fired.append(name) }
            }
            return Handled(fired: fired, failures: failures)
        }
    }

    @discardableResult
    func evaluate(_ name: String, _ rule: Rule, _ event: RuleEvent) async -> Int64? {
        var captures: [String] = []
        var matched: [String] = []
        let at = now()
        for condition in rule.conditions {
            do {
                guard try await holds(condition, rule: name, event.fields, at: at, captures: &captures) else {
                    return nil
                }
                matched.append(condition.description)
            } catch {
                logger.warning("rule \(name): \(condition.description): \(error); the rule does not fire")
                return nil
            }
        }
        return await fire(name, event: event, captures: captures, matched: matched)
    }

    func holds(
        _ condition: Condition,
        rule: String,
        _ fields: [String: String],
        at: Date,
        captures: inout [String]
    ) async throws -> Bool {
        switch condition {
        case .field(let name, let test):
            guard let value = fields[name] else { return false }
            return try check(test, value, key: "\(rule)|\(condition.description)", fields: fields, captures: &captures)
        case .senderInGroup(let group):
            guard let sender = fields["from"] else { return false }
            return try await effects.isInGroup(sender, group: group)
        case .time(let window): return window.contains(at, calendar: calendar)
        case .not(let inner): return !(try await holds(inner, rule: rule, fields, at: at, captures: &captures))
        case .all(let conditions):
            for inner in conditions where !(try await holds(inner, rule: rule, fields, at: at, captures: &captures)) {
                return false
            }
            return true
        case .any(let conditions):
            for inner in conditions where try await holds(inner, rule: rule, fields, at: at, captures: &captures) {
                return true
            }
            return false
        }
    }

    func check(
        _ test: Condition.FieldTest,
        _ value: String,
        key: String,
        fields: [String: String],
        captures: inout [String]
    ) throws -> Bool {
        func folded(_ text: String, _ ignoreCase: Bool) -> String { ignoreCase ? text.lowercased() : text }
        switch test {
        case .equals(let expected, let ignoreCase): return folded(value, ignoreCase) == folded(expected, ignoreCase)
        case .contains(let part, let ignoreCase): return folded(value, ignoreCase).contains(folded(part, ignoreCase))
        case .startsWith(let prefix, let ignoreCase):
            return folded(value, ignoreCase).hasPrefix(folded(prefix, ignoreCase))
        case .matches(let regex):
            guard let match = try regex.firstMatch(in: value) else { return false }
            captures = match
            return true
        case .above(let threshold, let rearm, let per), .below(let threshold, let rearm, let per):
            guard let number = Double(value.trimmingCharacters(in: .whitespaces)) else { return false }
            let isAbove: Bool
            if case .above = test { isAbove = true } else { isAbove = false }
            let beyond = isAbove ? number > threshold : number < threshold
            guard let rearm else { return beyond }
            let stateKey = key + "|" + (per.flatMap { fields[$0] } ?? "")
            if beyond {
                return disarmed.insert(stateKey).inserted  // fires when crossing; not again until re-armed
            }
            if isAbove ? number < rearm : number > rearm { disarmed.remove(stateKey) }
            return false
        }
    }

    // MARK: Firing

    /// Takes the rule's actions (unless its limit was reached) and records the firing.
    @discardableResult
    func fire(_ name: String, event: RuleEvent, captures: [String], matched: [String]) async -> Int64? {
        guard let rule = entries[name]?.rule else { return nil }
        let at = now()
        var fields = event.fields
        fields["rule"] = name
        fields["now"] = Self.localText(at, calendar)
        var key: String?
        if let limit = rule.limit {
            key = limit.key?.render(fields, captures: captures) ?? ""
            if let last = try? await store.lastFiring(rule: name, key: key),
                at.timeIntervalSince(last) < Self.seconds(limit.period)
            {
                logger.info(
                    "rule \(name) matched but fired already at \(Self.localText(last, calendar)) (at most once per \(limit.period))",
                    metadata: ["rule": "\(name)"]
                )
                return nil
            }
        }
        var firing = RuleFiring(
            id: 0,
            rule: name,
            trigger: event.kind,
            at: at,
            event: event.fields,
            matched: matched,
            outcomes: [],
            key: key
        )
        do {
            firing.id = try await store.recordFiring(firing)
        } catch {
            logger.error("rule \(name): cannot record its firing (\(error)); its actions are not taken")
            failures.append("rule \(name): cannot record its firing (\(error))")
            return nil
        }
        let quietEnd = rule.urgent ? nil : rule.quietHours?.window.end(containing: at, calendar: calendar)
        var outcomes: [String] = []
        for action in rule.actions {
            outcomes.append(
                await perform(
                    action,
                    rule: rule,
                    firing: firing.id,
                    fields: fields,
                    captures: captures,
                    quietEnd: quietEnd
                )
            )
        }
        try? await store.addOutcomes(outcomes, toFiring: firing.id)
        logger.info(
            "rule \(name) fired (\(event.kind)): \(outcomes.joined(separator: "; "))",
            metadata: ["rule": "\(name)", "firing": "\(firing.id)"]
        )
        return firing.id
    }

    func perform(
        _ action: Action,
        rule: Rule,
        firing: Int64,
        fields: [String: String],
        captures: [String],
        quietEnd: Date?
    ) async -> String {
        let held = action.urgent ? nil : quietEnd
        if held != nil, rule.quietHours?.mode == .skip, action.kind.sendsMessages {
            return "\(action.name) skipped: quiet hours until \(Self.localText(held!, calendar))"
        }
        let until = held.map { " (held by quiet hours until \(Self.localText($0, calendar)))" } ?? ""
        do {
            switch action.kind {
            case .sendSMS(let recipients, let template):
                let numbers = try await effects.send(
                    template.render(fields, captures: captures),
                    to: recipients,
                    notBefore: held,
                    rule: rule.name
                )
                return "send_sms to \(numbers.joined(separator: ", "))\(until)"
            case .reply(let template):
                guard let sender = fields["from"] else { return "reply: the event has no sender" }
                _ = try await effects.send(
                    template.render(fields, captures: captures),
                    to: Recipients(numbers: [sender]),
                    notBefore: held,
                    rule: rule.name
                )
                return "reply to \(sender)\(until)"
            case .addToGroup(let group), .removeFromGroup(let group):
                guard let sender = fields["from"] else { return "\(action.name): the event has no sender" }
                let add: Bool
                if case .addToGroup = action.kind { add = true } else { add = false }
                let changed = try await effects.changeGroup(group, number: sender, add: add)
                return
                    "\(action.name) \(group): \(sender) \(changed ? (add ? "added" : "removed") : (add ? "was in it already" : "was not in it"))"
            case .webhook(let url, let template, let attempts):
                let body = template.map { Data($0.render(fields, captures: captures).utf8) } ?? Self.json(fields)
                tasks.append(
                    Task { await self.post(body, to: url, attempts: attempts, firing: firing, rule: rule.name) }
                )
                tasks.removeAll { $0.isCancelled }
                return "webhook \(Self.redacted(url)): posting"
            case .escalate(let plan):
                let escalation = try await startEscalation(
                    plan,
                    rule: rule.name,
                    firing: firing,
                    text: plan.text.render(fields, captures: captures),
                    heldUntil: held
                )
                return "escalation \(escalation.id) started\(until)"
            case .plugin(let kind, let parameters):
                try effects.perform(
                    pluginAction: kind,
                    Self.pluginBody(rule: rule.name, parameters: parameters, fields: fields, captures: captures)
                )
                return "\(kind) handed to its plugin"
            }
        } catch {
            logger.error("rule \(rule.name): \(action.name) failed: \(error)", metadata: ["rule": "\(rule.name)"])
            if effects.isTransient(error) { failures.append("rule \(rule.name): \(action.name) failed: \(error)") }
            return "\(action.name) failed: \(error)"
        }
    }

    /// POSTs with retries (1 s, 2 s, 4 s … apart); a 2xx answer is success.
    func post(_ body: Data, to url: URL, attempts: Int, firing: Int64, rule: String) async {
        var outcome = ""
        for attempt in 1...attempts {
            do {
                let status = try await effects.post(body, to: url)
                if (200..<300).contains(status) {
                    outcome = "webhook \(Self.redacted(url)) answered \(status) (attempt \(attempt) of \(attempts))"
                    break
                }
                outcome = "webhook \(Self.redacted(url)) answered \(status) (attempt \(attempt) of \(attempts))"
            } catch {
                outcome = "webhook \(Self.redacted(url)) failed: \(error) (attempt \(attempt) of \(attempts))"
            }
            if attempt < attempts { try? await Task.sleep(for: .seconds(1 << (attempt - 1))) }
        }
        if outcome.contains("answered 2") {
            logger.info("rule \(rule): \(outcome)", metadata: ["rule": "\(rule)"])
        } else {
            logger.error("rule \(rule): \(outcome); giving up", metadata: ["rule": "\(rule)"])
        }
        try? await store.addOutcomes([outcome], toFiring: firing)
    }

    /// Waits for the webhooks in flight (tests, and a gateway stopping).
    public func settle() async {
        let pending = tasks
        tasks = []
        for task in pending { await task.value }
    }

    // MARK: Escalations

    func startEscalation(
        _ plan: EscalationPlan,
        rule: String,
        firing: Int64,
        text: String,
        heldUntil: Date?
    ) async throws -> Escalation {
        var escalation = Escalation(
            id: 0,
            rule: rule,
            firing: firing,
            text: text,
            steps: plan.steps,
            keyword: plan.keyword,
            byCall: plan.byCall,
            step: -1,
            nextAt: heldUntil ?? now(),
            state: .active,
            alerted: [],
            startedAt: now(),
            journal: heldUntil.map { ["held by quiet hours until \(Self.localText($0, calendar))"] } ?? []
        )
        escalation.id = try await store.saveEscalation(escalation)
        active[escalation.id] = escalation
        if heldUntil == nil { try await advance(escalation.id) }
        return active[escalation.id] ?? escalation
    }

    /// Alerts the next step's recipients, or ends the escalation after its last step.
    func advance(_ id: Int64) async throws {
        guard var escalation = active[id], escalation.state == .active else { return }
        let at = now()
        escalation.step += 1
        if escalation.step >= escalation.steps.count {
            escalation.state = .unacknowledged
            escalation.journal.append("\(Self.localText(at, calendar)) ended: nobody acknowledged")
            _ = try await store.saveEscalation(escalation)
            active[id] = nil
            logger.warning(
                "escalation \(id) of rule \(escalation.rule) ended after \(escalation.steps.count) step(s): nobody acknowledged",
                metadata: ["escalation": "\(id)"]
            )
            return
        }
        let step = escalation.steps[escalation.step]
        let numbers: [String]
        do {
            numbers = try await effects.send(
                escalation.text,
                to: step.recipients,
                notBefore: nil,
                rule: escalation.rule
            )
            escalation.journal.append(
                "\(Self.localText(at, calendar)) step \(escalation.step + 1): sent to \(numbers.joined(separator: ", "))"
            )
        } catch {
            numbers = []
            escalation.journal.append(
                "\(Self.localText(at, calendar)) step \(escalation.step + 1): not sent (\(error)); going on after its wait"
            )
            logger.error("escalation \(id) step \(escalation.step + 1): \(error)", metadata: ["escalation": "\(id)"])
        }
        for number in numbers where !escalation.alerted.contains(number) { escalation.alerted.append(number) }
        escalation.nextAt = at.addingTimeInterval(step.waitSeconds)
        _ = try await store.saveEscalation(escalation)
        active[id] = escalation
        logger.info(
            "escalation \(id) of rule \(escalation.rule): step \(escalation.step + 1) of \(escalation.steps.count) alerted \(numbers.joined(separator: ", ")); next at \(Self.localText(escalation.nextAt, calendar)) unless acknowledged",
            metadata: ["escalation": "\(id)"]
        )
    }

    /// An SMS reply (with the keyword, if one is set) or a call from someone alerted acknowledges.
    func acknowledge(by event: RuleEvent) async {
        guard let from = event.fields["from"] else { return }
        let firstWord = event.fields["text"]?.split(whereSeparator: \.isWhitespace).first.map { $0.uppercased() }
        for escalation in active.values.sorted(by: { $0.id < $1.id }) {
            guard escalation.alerted.contains(where: { Self.sameNumber($0, from) }) else { continue }
            let how: String
            if event.kind == "call.incoming" {
                guard escalation.byCall else { continue }
                how = "by a call"
            } else {
                if let keyword = escalation.keyword, firstWord != keyword { continue }
                how = "by SMS"
            }
            await close(escalation.id, by: from, how: how)
        }
    }

    func close(_ id: Int64, by who: String, how: String) async {
        guard var escalation = active[id] else { return }
        let at = now()
        escalation.state = .acknowledged
        escalation.acknowledgedBy = who
        escalation.acknowledgedAt = at
        escalation.journal.append("\(Self.localText(at, calendar)) acknowledged by \(who) \(how)")
        do {
            _ = try await store.saveEscalation(escalation)
        } catch {
            logger.error("escalation \(id): cannot store the acknowledgement (\(error))")
            return
        }
        active[id] = nil
        logger.notice(
            "escalation \(id) of rule \(escalation.rule) acknowledged by \(who) \(how) at step \(escalation.step + 1)",
            metadata: ["escalation": "\(id)"]
        )
    }

    public static func sameNumber(_ a: String, _ b: String) -> Bool {
        func digits(_ text: String) -> String { text.filter(\.isNumber) }
        let (x, y) = (digits(a), digits(b))
        guard !x.isEmpty, !y.isEmpty else { return false }
        if x == y { return true }
        // A national form against an international one: compare the last nine digits.
        return x.count >= 9 && y.count >= 9 && x.suffix(9) == y.suffix(9)
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
                    logger.error("escalation \(escalation.id): \(error); trying again")
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

    // MARK: Management (the API)

    public func list() -> [Summary] {
        order.compactMap { name in
            guard let entry = entries[name] else { return nil }
            return Summary(
                name: name,
                enabled: entry.rule.enabled,
                source: entry.source,
                status: !entry.rule.enabled ? "disabled" : entry.problem ?? "active",
                trigger: entry.rule.trigger.kind,
                definition: entry.rule.definition
            )
        }
    }

    /// Adds or replaces a rule from its YAML or JSON text; true if it is new. The change is stored.
    public func put(name: String, definition: String) async throws -> Bool {
        try await serially {
            let rule: Rule
            do {
                rule = try parser.parse(text: definition, name: name)
            } catch {
                throw RuleError("\(error)")
            }
            try await store.storeRule(StoredRule(name: name, definition: definition, enabled: rule.enabled))
            let isNew = entries[name] == nil
            let source = configured.contains { $0.name == name } ? "configuration, changed through the api" : "api"
            entries[name] = Entry(rule: rule, source: source)
            if isNew { order.append(name) }
            prepare(name)
            logger.notice("rule \(name) \(isNew ? "added" : "changed") through the API", metadata: ["rule": "\(name)"])
            if let problem = entries[name]?.problem { logger.error("rule \(name) does not run: \(problem)") }
            return isNew
        }
    }

    public func setEnabled(_ name: String, _ enabled: Bool) async throws {
        try await serially {
            guard let entry = entries[name] else { throw RuleError("there is no rule '\(name)'") }
            let stored = entry.source == "configuration" ? nil : entry.rule.definition
            try await store.storeRule(StoredRule(name: name, definition: stored, enabled: enabled))
            entries[name]?.rule.enabled = enabled
            if entry.source == "configuration" { entries[name]?.source = "configuration, changed through the api" }
            prepare(name)
            logger.notice(
                "rule \(name) \(enabled ? "enabled" : "disabled") through the API",
                metadata: ["rule": "\(name)"]
            )
        }
    }

    /// Removes a rule added through the API; a rule of the configuration file goes back to what the
    /// file says (it cannot be removed here: disable it, or change the file).
    public func remove(_ name: String) async throws -> String {
        try await serially {
            guard let entry = entries[name] else { throw RuleError("there is no rule '\(name)'") }
            guard entry.source != "configuration" else {
                throw RuleError("rule '\(name)' is defined in the configuration file: disable it, or remove it there")
            }
            try await store.removeStoredRule(named: name)
            if let original = configured.first(where: { $0.name == name }) {
                entries[name] = Entry(rule: original, source: "configuration")
                prepare(name)
                logger.notice("rule \(name): the API's change removed; the configuration file's version runs again")
                return "the configuration file's version runs again"
            }
            entries[name] = nil
            order.removeAll { $0 == name }
            logger.notice("rule \(name) removed through the API", metadata: ["rule": "\(name)"])
            return "removed"
        }
    }

    /// Fires a rule whose trigger is `api`, with these fields; the firing's id, or nil if its
    /// conditions did not hold (or its limit was reached).
    public func fire(_ name: String, fields: [String: String]) async throws -> Int64? {
        try await serially {
            guard let entry = entries[name] else { throw RuleError("there is no rule '\(name)'") }
            guard entry.rule.trigger == .api else {
                throw RuleError("rule '\(name)' fires on \(entry.rule.trigger.kind), not through the API")
            }
            guard entry.rule.enabled else { throw RuleError("rule '\(name)' is disabled") }
            var captures: [String] = []
            var matched: [String] = []
            for condition in entry.rule.conditions {
                guard try await holds(condition, rule: name, fields, at: now(), captures: &captures) else { return nil }
                matched.append(condition.description)
            }
            return await fire(name, event: RuleEvent(kind: "api", fields: fields), captures: captures, matched: matched)
        }
    }

    public func acknowledge(escalation id: Int64, by who: String) async throws -> Escalation {
        try await serially {
            guard active[id] != nil else {
                if let ended = try await store.escalation(id: id) {
                    throw RuleError("escalation \(id) has ended already (\(ended.state.rawValue))")
                }
                throw RuleError("there is no escalation \(id)")
            }
            await close(id, by: who, how: "through the API")
            guard let closed = try await store.escalation(id: id) else {
                throw RuleError("there is no escalation \(id)")
            }
            return closed
        }
    }

    public func escalations(activeOnly: Bool, limit: Int) async throws -> [Escalation] {
        try await store.escalations(activeOnly: activeOnly, limit: limit)
    }

    public func history(rule: String?, limit: Int) async throws -> [RuleFiring] {
        try await store.firings(rule: rule, limit: limit)
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

    /// A URL as the log and the history show it: without its user, password and query (rules'
    /// webhooks, and the gateway's).
    public static func redacted(_ url: URL) -> String {
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        components?.user = nil
        components?.password = nil
        let hadQuery = components?.query != nil
        components?.query = nil
        components?.fragment = nil
        return (components?.string ?? "a URL") + (hadQuery ? "?…" : "")
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
        case .sendSMS, .reply, .escalate: true
        default: false
        }
    }
}
