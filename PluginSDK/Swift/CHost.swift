import CSwiftletPlugin
import Foundation

/// ``PluginHost`` over the C table the gateway hands to `create`.
final class CHost: PluginHost, @unchecked Sendable {
    // @unchecked: both pointers are immutable and stay valid until destroy (the ABI says so); the
    // host's functions are thread-safe.
    private let api: UnsafePointer<swiftlet_host_api>
    private let host: OpaquePointer?
    private let size: UInt32

    init(api: UnsafePointer<swiftlet_host_api>, host: OpaquePointer?) {
        self.api = api
        self.host = host
        self.size = api.pointee.struct_size
    }

    private func function<F>(_ keyPath: KeyPath<swiftlet_host_api, F?>, _ name: String) throws -> F {
        guard let function = ABIStruct.field(keyPath, of: api, size: size) else {
            throw PluginError(.unsupported, "the gateway does not offer \(name)")
        }
        return function
    }

    /// Makes an asynchronous host call and waits for its reply.
    private func request(
        _ invoke: (swiftlet_reply_fn, UnsafeMutableRawPointer) -> Void
    ) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            let box = Unmanaged.passRetained(ReplyBox(continuation)).toOpaque()
            invoke(replyTrampoline, box)
        }
    }

    private func requestJSON<Reply: Decodable>(
        _ keyPath: KeyPath<swiftlet_host_api, swiftlet_request_fn?>,
        _ name: String,
        _ body: some Encodable,
        as type: Reply.Type
    ) async throws -> Reply {
        let function = try function(keyPath, name)
        let json = try JSONCoding.encoder.encode(body)
        let reply = try await request { trampoline, context in
            json.withSwiftletString { function(host, $0, trampoline, context) }
        }
        return try JSONCoding.decoder.decode(Reply.self, from: reply)
    }

    func log(_ level: LogLevel, _ message: String) {
        guard let log = ABIStruct.field(\.log, of: api, size: size) else { return }
        message.withSwiftletString { log(host, level.rawValue, $0) }
    }

    func send(_ sms: OutgoingSMS) async throws -> [Int] {
        struct Reply: Decodable { var ids: [Int] }
        return try await requestJSON(\.send_sms, "send_sms", sms, as: Reply.self).ids
    }

    func deliverIncoming(_ sms: IncomingSMS) async throws -> Int {
        struct Reply: Decodable { var id: Int }
        return try await requestJSON(\.deliver_incoming, "deliver_incoming", sms, as: Reply.self).id
    }

    func lookUpPhonebook(_ query: PhonebookQuery) async throws -> PhonebookEntries {
        try await requestJSON(\.phonebook_lookup, "phonebook_lookup", query, as: PhonebookEntries.self)
    }

    private struct GroupChange: Encodable {
        var op: String
        var group: String
        var number: String
        var name: String?
        var createGroup: Bool?
    }

    private struct Changed: Decodable { var changed: Bool }

    func addToGroup(_ group: String, number: String, contactName: String?, createGroup: Bool) async throws -> Bool {
        let change = GroupChange(
            op: "add_to_group",
            group: group,
            number: number,
            name: contactName,
            createGroup: createGroup
        )
        return try await requestJSON(\.phonebook_update, "phonebook_update", change, as: Changed.self).changed
    }

    func removeFromGroup(_ group: String, number: String) async throws -> Bool {
        let change = GroupChange(op: "remove_from_group", group: group, number: number)
        return try await requestJSON(\.phonebook_update, "phonebook_update", change, as: Changed.self).changed
    }

    func resolve(name: String) async throws -> [String] {
        struct Query: Encodable { var name: String }
        struct Reply: Decodable { var numbers: [String] }
        return try await requestJSON(\.directory_lookup, "directory_lookup", Query(name: name), as: Reply.self).numbers
    }

    func subscribe(_ kind: String) throws {
        let subscribe = try function(\.subscribe, "subscribe")
        try check(kind.withSwiftletString { subscribe(host, $0) }, "subscribe to \(kind)")
    }

    func publish(_ kind: String, json: Data) throws {
        let publish = try function(\.publish, "publish")
        let status = kind.withSwiftletString { kind in json.withSwiftletString { publish(host, kind, $0) } }
        try check(status, "publish \(kind)")
    }

    func registerRuleKind(_ kind: String, role: RuleKindRole, schema: String?) throws {
        let register = try function(\.register_rule_kind, "register_rule_kind (ABI 1.1)")
        let status = kind.withSwiftletString { kind in
            (schema ?? "").withSwiftletString { register(host, kind, role.rawValue, $0) }
        }
        try check(status, "register the rule kind \(kind)")
    }

    func publishAndWait(_ kind: String, json: Data) async throws -> [String] {
        struct Reply: Decodable { var rules: [String] }
        let function = try function(\.publish_and_wait, "publish_and_wait (ABI 1.2)")
        let reply = try await request { trampoline, context in
            kind.withSwiftletString { kind in json.withSwiftletString { function(host, kind, $0, trampoline, context) }
            }
        }
        return try JSONCoding.decoder.decode(Reply.self, from: reply).rules
    }

    func mayCheckLogin(client: String, login: String) -> Bool {
        loginAttempt(client, login, SWIFTLET_LOGIN_CHECK) != SWIFTLET_ERR_UNAVAILABLE
    }

    func loginFailed(client: String, login: String) -> Bool {
        loginAttempt(client, login, SWIFTLET_LOGIN_FAILED) == SWIFTLET_ERR_UNAVAILABLE
    }

    /// ABI 1.3 `login_attempt`; `SWIFTLET_OK` (nothing limited) on an older gateway.
    private func loginAttempt(_ client: String, _ login: String, _ phase: Int32) -> swiftlet_status {
        guard let attempt = ABIStruct.field(\.login_attempt, of: api, size: size) else { return SWIFTLET_OK }
        return client.withSwiftletString { client in login.withSwiftletString { attempt(host, client, $0, phase) } }
    }

    func registerProvider(_ role: ProviderRole, name: String, schema: String?) throws {
        let register = try function(\.register_provider, "register_provider (ABI 1.4)")
        let status = name.withSwiftletString { name in
            (schema ?? "").withSwiftletString { register(host, role.rawValue, name, $0) }
        }
        try check(status, "register as \(role) provider '\(name)'")
    }

    func statusSnapshot() async throws -> StatusSnapshot {
        try await requestJSON(
            \.status_snapshot,
            "status_snapshot (ABI 1.4)",
            [String: String](),
            as: StatusSnapshot.self
        )
    }

    func reportMetric(_ sample: MetricSample) throws {
        let report = try function(\.report_metric, "report_metric (ABI 1.4)")
        let json = try JSONCoding.encoder.encode(sample)
        try check(json.withSwiftletString { report(host, $0) }, "report the metric \(sample.name)")
    }

    func reportDelivery(_ report: TransportDeliveryReport) async throws {
        struct Answer: Decodable { var id: Int }
        _ = try await requestJSON(\.report_delivery, "report_delivery (ABI 1.5)", report, as: Answer.self)
    }

    func reportHealth(_ health: PluginHealth, _ detail: String) {
        guard let report = ABIStruct.field(\.report_health, of: api, size: size) else {
            log(health == .ok ? .info : .warning, "health \(health): \(detail)")
            return
        }
        detail.withSwiftletString { report(host, health.rawValue, $0) }
    }

    func stateValue(forKey key: String) async throws -> String? {
        let get = try function(\.state_get, "state_get")
        do {
            let value = try await request { trampoline, context in
                key.withSwiftletString { get(host, $0, trampoline, context) }
            }
            return String(decoding: value, as: UTF8.self)
        } catch let error as PluginError where error.code == .notFound {
            return nil
        }
    }

    func setState(_ value: String, forKey key: String) async throws {
        let put = try function(\.state_put, "state_put")
        _ = try await request { trampoline, context in
            key.withSwiftletString { key in value.withSwiftletString { put(host, key, $0, trampoline, context) } }
        }
    }

    func removeState(forKey key: String) async throws {
        let delete = try function(\.state_delete, "state_delete")
        _ = try await request { trampoline, context in
            key.withSwiftletString { delete(host, $0, trampoline, context) }
        }
    }

    func startTimer(
        after delay: Duration,
        every interval: Duration?,
        _ fire: @escaping @Sendable () -> Void
    ) throws
        -> UInt64
    {
        let start = try function(\.timer_start, "timer_start")
        let box = Unmanaged.passRetained(TimerBox(fire)).toOpaque()
        var id: UInt64 = 0
        let status = start(host, delay.milliseconds, interval?.milliseconds ?? 0, timerTrampoline, box, &id)
        guard status == SWIFTLET_OK else {
            Unmanaged<TimerBox>.fromOpaque(box).release()
            throw PluginError(status: status, detail: "cannot start a timer")
        }
        // The box lives as long as the plugin: a repeating timer may fire any number of times, and the
        // ABI does not say when the host drops its context. A timer is a few dozen bytes.
        return id
    }

    func cancelTimer(_ id: UInt64) throws {
        let cancel = try function(\.timer_cancel, "timer_cancel")
        try check(cancel(host, id), "cancel timer \(id)")
    }

    private func check(_ status: swiftlet_status, _ what: String) throws {
        guard status != SWIFTLET_OK else { return }
        throw PluginError(status: status, detail: "cannot \(what)")
    }
}

/// The shape shared by the host functions that take a JSON request and reply asynchronously.
typealias swiftlet_request_fn =
    @convention(c) (
        OpaquePointer?, swiftlet_str, swiftlet_reply_fn?, UnsafeMutableRawPointer?
    ) -> Void

private final class ReplyBox {
    let continuation: CheckedContinuation<Data, any Error>
    init(_ continuation: CheckedContinuation<Data, any Error>) { self.continuation = continuation }
}

private let replyTrampoline: swiftlet_reply_fn = { context, status, body in
    guard let context else { return }
    let box = Unmanaged<ReplyBox>.fromOpaque(context).takeRetainedValue()
    if status == SWIFTLET_OK {
        box.continuation.resume(returning: body.bytes)
    } else {
        box.continuation.resume(throwing: PluginError(status: status, detail: body.string))
    }
}

private final class TimerBox {
    let fire: @Sendable () -> Void
    init(_ fire: @escaping @Sendable () -> Void) { self.fire = fire }
}

private let timerTrampoline: swiftlet_timer_fn = { context, _ in
    guard let context else { return }
    Unmanaged<TimerBox>.fromOpaque(context).takeUnretainedValue().fire()
}

extension Duration {
    var milliseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(0, seconds)) * 1000 + UInt64(max(0, attoseconds) / 1_000_000_000_000_000)
    }
}
