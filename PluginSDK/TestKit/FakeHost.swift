import Foundation
@_exported import SwiftletPluginSDK
import Synchronization

/// An in-memory ``PluginHost`` for a plugin's unit tests: it records what the plugin sends, logs
/// and publishes, keeps a phonebook and a key-value store, and hands the plugin events the way the
/// gateway does (one at a time, in order).
///
/// ```swift
/// let host = FakeHost()
/// let plugin = try host.makePlugin(Keywords.self, configuration: #"{"keywords": [{"keyword": "JOIN", "reply": "Hi"}]}"#)
/// try await plugin.start()
/// await plugin.handle(host.incomingSMS(from: "+46701234567", text: "join"))
/// #expect(host.sent.map(\.text) == ["Hi"])
/// ```
public final class FakeHost: PluginHost, Sendable {
    struct State {
        var sent: [OutgoingSMS] = []
        var delivered: [IncomingSMS] = []
        var logs: [(level: LogLevel, message: String)] = []
        var published: [Event] = []
        var subscriptions: Set<String> = []
        var ruleKinds: [String: (role: RuleKindRole, schema: String?)] = [:]
        var contacts: [String: String] = [:]  // number → name
        var groups: [String: [String]] = [:]  // name → numbers, in the order added
        var keys: [String: [Int]] = [:]  // idempotency keys of sends → their ids
        var state: [String: String] = [:]
        var nextID = 1
        var failure: PluginError?
        var health: [(health: PluginHealth, detail: String)] = []
        var failedLogins: [String: Int] = [:]
        var rulesFired: @Sendable (Event) -> [String] = { _ in [] }
        var providers: [ProviderRole: [String]] = [:]
        var metrics: [MetricSample] = []
        var snapshot: StatusSnapshot?
        var deliveryReports: [TransportDeliveryReport] = []
        /// Transport messages the gateway would have recorded as sent or failed: id and key.
        var recorded: [Int: String] = [:]
    }

    private let storage = Mutex(State())
    /// The plugin's manifest, when the host was made from one: its capabilities are enforced and its
    /// configuration defaults filled in, as the gateway does.
    private let manifest: Manifest?

    struct Manifest: Sendable {
        var id: String
        var capabilities: Set<String>
        /// The configuration's schema, checked as the gateway checks it.
        var configuration: ConfigurationSchema
    }

    /// A host that allows every host call and fills in no configuration defaults.
    public init() { manifest = nil }

    /// A host that behaves like the gateway for the plugin of this manifest (`<id>.plugin.json`):
    /// a host call outside the manifest's `capabilities` is refused with `.denied`, as the gateway
    /// refuses it, and ``makePlugin(_:configuration:)`` checks the configuration against the
    /// manifest's `configuration` schema with the gateway's own checker (unknown keys, types,
    /// ranges, required keys) and fills in its defaults, nested ones too.
    public init(manifest path: String) throws {
        struct File: Decodable {
            var id: String
            var capabilities: [String]?
            var configuration: ConfigurationSchema?
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw PluginError(.invalid, "\(path): not a plugin manifest: \(error)")
        }
        manifest = Manifest(
            id: file.id,
            capabilities: Set(file.capabilities ?? []),
            configuration: file.configuration ?? .any
        )
    }

    /// Throws what the gateway answers a host call its plugin's manifest does not allow.
    private func require(_ capability: String) throws {
        guard let manifest, !manifest.capabilities.contains(capability),
            !(capability == "phonebook" && manifest.capabilities.contains("phonebook_write"))
        else { return }
        throw PluginError(.denied, "the manifest of '\(manifest.id)' does not declare capability '\(capability)'")
    }

    // MARK: What the plugin did

    public var sent: [OutgoingSMS] { storage.withLock { $0.sent } }
    public var delivered: [IncomingSMS] { storage.withLock { $0.delivered } }
    public var logs: [(level: LogLevel, message: String)] { storage.withLock { $0.logs } }
    public var published: [Event] { storage.withLock { $0.published } }
    public var subscriptions: Set<String> { storage.withLock { $0.subscriptions } }
    /// The rule-engine kinds the plugin registered, with their roles.
    public var ruleKinds: [String: RuleKindRole] { storage.withLock { $0.ruleKinds.mapValues(\.role) } }
    public func members(of group: String) -> [String]? { storage.withLock { $0.groups[group] } }
    public var stateValues: [String: String] { storage.withLock { $0.state } }
    /// The provider names the plugin registered, by role (ABI 1.4).
    public var providers: [ProviderRole: [String]] { storage.withLock { $0.providers } }
    /// Every metric reported, in order, as the plugin sent it (ABI 1.4).
    public var metrics: [MetricSample] { storage.withLock { $0.metrics } }
    /// Every status report a transport made (ABI 1.5 `report_delivery`), in order.
    public var deliveryReports: [TransportDeliveryReport] { storage.withLock { $0.deliveryReports } }
    /// Every health report, in order (ABI 1.2).
    public var healthReports: [(health: PluginHealth, detail: String)] { storage.withLock { $0.health } }

    // MARK: Setting the scene

    /// What `publishAndWait` answers for an event: the rules that "fired" (default: none).
    public func answerPublishAndWait(_ rules: @escaping @Sendable (Event) -> [String]) {
        storage.withLock { $0.rulesFired = rules }
    }

    /// Makes every following host request fail with `error` (nil: succeed again).
    public func failRequests(with error: PluginError?) { storage.withLock { $0.failure = error } }

    public func addContact(name: String, number: String, groups: [String] = []) {
        storage.withLock { state in
            state.contacts[number] = name
            for group in groups { state.groups[group, default: []].append(number) }
        }
    }

    /// What `statusSnapshot()` answers (nil: it throws `.unavailable`).
    public func setStatus(_ snapshot: StatusSnapshot?) { storage.withLock { $0.snapshot = snapshot } }

    /// Sends the plugin a provider request as the gateway does (ABI 1.4 `handle_request`): the
    /// request encoded with the ABI's conventions, the answer decoded the same way. The plugin must
    /// have registered a provider of `role`; errors come back as the gateway would see them.
    public func request<Answer: Decodable>(
        _ plugin: some Plugin,
        _ role: ProviderRole,
        kind: String,
        _ request: some ProviderRequestBody,
        as answer: Answer.Type
    ) async throws -> Answer {
        guard let name = providers[role]?.first else {
            throw PluginError(.notFound, "the plugin registered no \(role) provider")
        }
        var request = request
        request.requestId = 1
        request.provider = name
        let json = try JSONCoding.encoder.encode(request)
        let reply = try await ProviderRequests.answer(plugin, kind: kind, json: json)
        // As the gateway records a transport's answer: a message it took (or failed for good) may be
        // reported on (ABI 1.5 report_delivery); one it was never answered for may not.
        if kind == ProviderRequestKind.transportSend, let send = request as? TransportSendRequest,
            let answer = try? JSONCoding.decoder.decode(TransportAnswer.self, from: reply),
            answer.accepted || answer.permanent == true
        {
            storage.withLock { $0.recorded[send.id] = send.key }
        }
        return try JSONCoding.decoder.decode(Answer.self, from: reply)
    }

    /// Decodes `configuration` (JSON, snake_case keys) as the SDK does in a gateway, with the
    /// manifest's defaults filled in when the host was made from one, and makes the plugin.
    public func makePlugin<P: Plugin>(_ type: P.Type, configuration: String = "{}") throws -> P {
        var json = Data(configuration.utf8)
        if let manifest {
            // What the gateway does with the admin's section: check it against the schema, fill in
            // the defaults. A mistake is refused with the gateway's words (where the gateway refuses to start).
            let value = try JSONDecoder().decode(JSONValue.self, from: json)
            do {
                json = try manifest.configuration.validate(ConfigValue(json: value), key: "plugins.\(manifest.id)").json
            } catch {
                throw PluginError(.invalid, "\(error.key): \(error.reason)")
            }
        }
        let decoded = try JSONCoding.decoder.decode(P.Configuration.self, from: json)
        return try P(configuration: decoded, host: self)
    }

    /// An `sms.incoming` event, as the gateway publishes it.
    public func incomingSMS(from: String, text: String, id: Int = 1, modem: String = "modem1") -> Event {
        let now = Date()
        let body = IncomingSMSEvent(
            id: id,
            from: from,
            text: text,
            sentAt: now,
            receivedAt: now,
            modem: modem,
            unicode: false
        )
        return try! Event(kind: IncomingSMSEvent.kind, body: body)
    }

    // MARK: PluginHost

    public func log(_ level: LogLevel, _ message: String) { storage.withLock { $0.logs.append((level, message)) } }

    private func checkFailure() throws {
        if let failure = storage.withLock({ $0.failure }) { throw failure }
    }

    public func send(_ sms: OutgoingSMS) async throws -> [Int] {
        try require("send_sms")
        try checkFailure()
        guard !sms.text.isEmpty else { throw PluginError(.invalid, "text: empty") }
        return try storage.withLock { state in
            var numbers = sms.to
            for name in sms.contacts {
                guard let number = state.contacts.first(where: { $0.value == name })?.key else {
                    throw PluginError(.notFound, "no contact '\(name)'")
                }
                numbers.append(number)
            }
            for group in sms.groups {
                guard let members = state.groups[group] else { throw PluginError(.notFound, "no group '\(group)'") }
                numbers += members
            }
            guard !numbers.isEmpty else { throw PluginError(.invalid, "no recipient") }
            if let key = sms.key, let ids = state.keys[key] { return ids }  // as the gateway does
            state.sent.append(sms)
            let ids = numbers.indices.map { state.nextID + $0 }
            state.nextID += numbers.count
            if let key = sms.key { state.keys[key] = ids }
            return ids
        }
    }

    public func deliverIncoming(_ sms: IncomingSMS) async throws -> Int {
        try require("deliver_incoming")
        try checkFailure()
        return storage.withLock { state in
            state.delivered.append(sms)
            state.nextID += 1
            return state.nextID - 1
        }
    }

    public func lookUpPhonebook(_ query: PhonebookQuery) async throws -> PhonebookEntries {
        try require("phonebook")
        try checkFailure()
        return storage.withLock { state in
            func contact(_ number: String, _ id: Int) -> PhonebookEntries.Contact {
                let groups = state.groups.filter { $0.value.contains(number) }.map(\.key).sorted()
                return .init(id: id, name: state.contacts[number] ?? number, number: number, groups: groups)
            }
            let numbers = state.contacts.keys.sorted()
            if let number = query.number,
                state.contacts[number] != nil || state.groups.values.contains(where: { $0.contains(number) })
            {
                return PhonebookEntries(contacts: [contact(number, (numbers.firstIndex(of: number) ?? 0) + 1)])
            }
            if let name = query.contact, let number = state.contacts.first(where: { $0.value == name })?.key {
                return PhonebookEntries(contacts: [contact(number, (numbers.firstIndex(of: number) ?? 0) + 1)])
            }
            if let group = query.group, let members = state.groups[group] {
                return PhonebookEntries(
                    contacts: members.enumerated().map { contact($1, $0 + 1) },
                    groups: [.init(id: 1, name: group, members: members.count)]
                )
            }
            return PhonebookEntries()
        }
    }

    public func addToGroup(
        _ group: String,
        number: String,
        contactName: String?,
        createGroup: Bool
    ) async throws -> Bool {
        try require("phonebook_write")
        try checkFailure()
        return try storage.withLock { state in
            guard state.groups[group] != nil || createGroup else { throw PluginError(.notFound, "no group '\(group)'") }
            if state.contacts[number] == nil { state.contacts[number] = contactName ?? number }
            if state.groups[group, default: []].contains(number) { return false }
            state.groups[group, default: []].append(number)
            return true
        }
    }

    public func removeFromGroup(_ group: String, number: String) async throws -> Bool {
        try require("phonebook_write")
        try checkFailure()
        return try storage.withLock { state in
            guard let members = state.groups[group] else { throw PluginError(.notFound, "no group '\(group)'") }
            state.groups[group] = members.filter { $0 != number }
            return members.contains(number)
        }
    }

    public func resolve(name: String) async throws -> [String] {
        try require("phonebook")
        try checkFailure()
        return try storage.withLock { state in
            if let number = state.contacts.first(where: { $0.value == name })?.key { return [number] }
            if let members = state.groups[name] { return members }
            throw PluginError(.notFound, "nothing is called '\(name)'")
        }
    }

    public func subscribe(_ kind: String) throws {
        try require("events")
        guard !kind.isEmpty else { throw PluginError(.invalid, "an empty event kind") }
        storage.withLock { _ = $0.subscriptions.insert(kind) }
    }

    public func registerRuleKind(_ kind: String, role: RuleKindRole, schema: String?) throws {
        try require("rules")
        guard kind.split(separator: ".").count == 2 else {
            throw PluginError(.invalid, "'\(kind)' is not <plugin>.<name>")
        }
        storage.withLock { $0.ruleKinds[kind] = (role, schema) }
    }

    public func publish(_ kind: String, json: Data) throws {
        try require("publish")
        guard (try? JSONSerialization.jsonObject(with: json)) is [String: Any] else {
            throw PluginError(.invalid, "an event body must be a JSON object")
        }
        storage.withLock { $0.published.append(Event(kind: kind, json: json)) }
    }

    /// Records the event in `published`, like `publish`, and answers what `answerPublishAndWait` says.
    public func publishAndWait(_ kind: String, json: Data) async throws -> [String] {
        try require("publish")
        try checkFailure()
        try publish(kind, json: json)
        let answer = storage.withLock { $0.rulesFired }
        return answer(Event(kind: kind, json: json))
    }

    /// Failed logins a client or a login may have before `mayCheckLogin` says no, as the gateway's
    /// limiter does within its window (which the fake does not expire).
    public static let failedLoginLimit = 10

    public func mayCheckLogin(client: String, login: String) -> Bool {
        storage.withLock { storage in
            ["address:\(client)", "login:\(login)"].allSatisfy {
                storage.failedLogins[$0, default: 0] < Self.failedLoginLimit
            }
        }
    }

    @discardableResult
    public func loginFailed(client: String, login: String) -> Bool {
        storage.withLock { storage in
            for key in ["address:\(client)", "login:\(login)"] { storage.failedLogins[key, default: 0] += 1 }
        }
        return !mayCheckLogin(client: client, login: login)
    }

    public func registerProvider(_ role: ProviderRole, name: String, schema: String?) throws {
        try require(role.name)
        try storage.withLock { state in
            guard !(state.providers[role] ?? []).contains(name) else {
                throw PluginError(.denied, "\(role) '\(name)' is registered already")
            }
            state.providers[role, default: []].append(name)
        }
    }

    public func statusSnapshot() async throws -> StatusSnapshot {
        try require("status")
        try checkFailure()
        guard let snapshot = storage.withLock({ $0.snapshot }) else {
            throw PluginError(.unavailable, "no status set (FakeHost.setStatus)")
        }
        return snapshot
    }

    public func reportMetric(_ sample: MetricSample) throws {
        try require("metrics")
        storage.withLock { $0.metrics.append(sample) }
    }

    /// Refused, as the gateway refuses it, for a message the plugin never answered `transport.send`
    /// for through ``request(_:_:kind:_:as:)`` (accepted, or refused for good), or under another key.
    public func reportDelivery(_ report: TransportDeliveryReport) async throws {
        try require("transport")
        try checkFailure()
        try storage.withLock { state in
            guard state.recorded[report.id] == report.key else {
                throw PluginError(
                    .notFound,
                    "no message \(report.id) with key \(report.key) was sent through this plugin"
                )
            }
            state.deliveryReports.append(report)
        }
    }

    public func reportHealth(_ health: PluginHealth, _ detail: String) {
        storage.withLock { $0.health.append((health, detail)) }
    }

    public func stateValue(forKey key: String) async throws -> String? {
        try require("state")
        try checkFailure()
        return storage.withLock { $0.state[key] }
    }

    public func setState(_ value: String, forKey key: String) async throws {
        try require("state")
        try checkFailure()
        storage.withLock { $0.state[key] = value }
    }

    public func removeState(forKey key: String) async throws {
        try require("state")
        try checkFailure()
        storage.withLock { _ = $0.state.removeValue(forKey: key) }
    }

    /// Timers fire on a task; tests usually want short delays.
    public func startTimer(
        after delay: Duration,
        every interval: Duration?,
        _ fire: @escaping @Sendable () -> Void
    ) throws
        -> UInt64
    {
        try require("timers")
        let id = storage.withLock { state in
            state.nextID += 1
            return UInt64(state.nextID)
        }
        let task = Task {
            try await Task.sleep(for: delay)
            fire()
            while let interval {
                try await Task.sleep(for: interval)
                fire()
            }
        }
        timers.withLock { $0[id] = task }
        return id
    }

    public func cancelTimer(_ id: UInt64) throws {
        try require("timers")
        guard let task = timers.withLock({ $0.removeValue(forKey: id) }) else {
            throw PluginError(.notFound, "no timer \(id)")
        }
        task.cancel()
    }

    private let timers = Mutex<[UInt64: Task<Void, any Error>]>([:])
}
