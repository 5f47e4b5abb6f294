import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import SwiftletDomain
import SwiftletEvents
import SwiftletPluginHost
import SwiftletRules
import SwiftletStore

/// What the rule engine does to the world, through the gateway's own parts: the outbox, the
/// phonebook (with its shifts and vacations), the event bus for plugins' actions, and HTTP.
struct GatewayRuleEffects: RuleEffects {
    let outbox: Outbox
    let store: SQLiteStore
    let events: EventBus
    let kinds: RuleKindRegistry
    let resolver: RecipientResolver
    let logger: Logger

    /// The domain's refusals (an unknown contact, a bad number) are for good; the store's failures,
    /// and anything unforeseen, may pass.
    func isTransient(_ error: any Error) -> Bool {
        guard let error = error as? SwiftletError else { return true }
        return error.kind == .storage || error.kind == .unavailable
    }

    func send(
        _ text: String,
        to recipients: Recipients,
        routing: SMSRouting,
        notBefore: Date?,
        rule: String
    ) async throws -> [String] {
        let list = RecipientList(
            numbers: recipients.numbers,
            contacts: recipients.contacts.map(PhonebookReference.name),
            groups: recipients.groups.map(PhonebookReference.name),
            shifts: recipients.shift.map { [.name($0)] } ?? []
        )
        var delivery: ContactDelivery
        do {
            delivery = try await resolver.resolve(list, scope: .everything, start: max(notBefore ?? Date(), Date()))
        } catch let unknown as UnknownRecipient {
            throw SwiftletError(.notFound, unknown.description)
        }
        if let notBefore, notBefore > Date() { delivery.hold(until: notBefore) }
        for note in delivery.notes {
            logger.info(
                "rule: recipient policy",
                metadata: ["rule": "\(rule)", "contact": "\(note.contact)", "policy": "\(note.text)"]
            )
        }
        let (numbers, heldUntil) = (delivery.numbers, delivery.heldUntil)
        guard !numbers.isEmpty else {
            throw SwiftletError(.invalidParameter, "nobody to send to (\(recipients.description): empty, or all away)")
        }
        var request = SendRequest(recipients: numbers, text: text, createdBy: "rule:" + rule)
        request.options.modemNumber = routing.modemNumber
        request.options.priority = routing.priority ?? 0
        request.heldUntil = heldUntil
        _ = try await outbox.send(request)
        return numbers.enumerated().map { index, number in
            heldUntil[index].map { "\(number) (held until \(RuleEngine.localText($0, resolver.calendar)))" } ?? number
        }
    }

    func call(_ text: String, to recipients: Recipients, seconds: Int, rule: String) async throws -> [String] {
        let list = RecipientList(
            numbers: recipients.numbers,
            contacts: recipients.contacts.map(PhonebookReference.name),
            groups: recipients.groups.map(PhonebookReference.name),
            shifts: recipients.shift.map { [.name($0)] } ?? []
        )
        let delivery: ContactDelivery
        do {
            delivery = try await resolver.resolve(list, scope: .everything, start: Date())
        } catch let unknown as UnknownRecipient {
            throw SwiftletError(.notFound, unknown.description)
        }
        // Only those on duty now are woken, as APIv2 calls/ring does.
        let called = delivery.numbers.indices.filter { delivery.heldUntil[$0] == nil }.map { delivery.numbers[$0] }
        guard !called.isEmpty else { throw SwiftletError(.invalidParameter, "nobody on duty to call") }
        _ = try await outbox.call(called, VoiceCall(text: text, seconds: seconds), createdBy: "rule:" + rule)
        return called
    }

    func isInGroup(_ number: String, group: String) async throws -> Bool {
        guard let members = try await store.members(ofGroup: .name(group), in: .everything) else { return false }
        return members.contains { $0.number.map { PhoneNumber.sameSubscriber($0, number) } ?? false }
    }

    func changeGroup(_ group: String, number: String, add: Bool) async throws -> Bool {
        guard let parsed = PhoneNumber(number) else {
            throw SwiftletError(.invalidParameter, "'\(number)' is not a telephone number")
        }
        return add
            ? try await store.addToGroup(group, number: parsed, contactName: nil, createGroup: true)
            : try await store.removeFromGroup(group, number: parsed)
    }

    func post(_ body: Data, to url: URL) async throws -> Int {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Swiftlet rule engine")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try? await response.body.collect(upTo: 64 * 1024)
        return Int(response.status.code)
    }

    func perform(pluginAction kind: String, _ body: Data) throws {
        guard kinds.kind(kind)?.role == .action else {
            throw SwiftletError(.unavailable, "no running plugin provides the action \(kind)")
        }
        events.publish(kind: kind, json: body)
    }

    func pluginKind(_ kind: String) -> PluginRuleKind? {
        guard let registered = kinds.kind(kind) else { return nil }
        return PluginRuleKind(
            plugin: registered.plugin,
            role: registered.role == .action ? .action : .trigger,
            check: { [kinds] parameters in kinds.check(kind, parameters: parameters) }
        )
    }
}

/// Runs the rule engine: loads it, feeds it the bus's events in order, ticks its clock.
///
/// It subscribes when it is made, before any service runs, so that events of the first moments (a
/// message read from the SIM at start, the modem's first state) wait for the engine instead of
/// passing unseen: an ALARM that arrived while the gateway was restarting still fires its rule.
struct RuleService: Service {
    /// An event for the engine, and whoever waits for it to be handled (ABI 1.2 `publish_and_wait`).
    struct Pending: Sendable {
        var event: RuleEvent
        var done: (@Sendable (Result<RuleEngine.Handled, RuleError>) -> Void)?
    }

    let engine: RuleEngine
    let events: EventBus
    let kinds: RuleKindRegistry
    let stream: AsyncStream<Pending>
    let continuation: AsyncStream<Pending>.Continuation

    init(engine: RuleEngine, events: EventBus, kinds: RuleKindRegistry) {
        self.engine = engine
        self.events = events
        self.kinds = kinds
        let (stream, continuation) = AsyncStream.makeStream(
            of: Pending.self,
            bufferingPolicy: .bufferingNewest(10_000)
        )
        self.stream = stream
        self.continuation = continuation
        events.subscribe(
            "rules",
            to: "*",
            deliver: { kind, json in
                if let event = RuleEvent(kind: kind, json: json) { Self.enqueue(Pending(event: event), continuation) }
            },
            handle: { kind, json in
                guard let event = RuleEvent(kind: kind, json: json) else { return [] }
                let handled: RuleEngine.Handled
                do {
                    handled = try await withCheckedThrowingContinuation { waiter in
                        Self.enqueue(Pending(event: event) { waiter.resume(with: $0) }, continuation)
                    }
                } catch {
                    throw SwiftletError(.unavailable, "\(error)")
                }
                guard handled.failures.isEmpty else {
                    throw SwiftletError(.unavailable, handled.failures.joined(separator: "; "))
                }
                return handled.fired
            }
        )
    }

    static func enqueue(_ pending: Pending, _ continuation: AsyncStream<Pending>.Continuation) {
        switch continuation.yield(pending) {
        case .enqueued: break
        case .dropped(let oldest):
            oldest.done?(.failure(RuleError("more than 10,000 events wait for the rule engine; this one was dropped")))
        case .terminated:
            pending.done?(.failure(RuleError("the rule engine is stopping")))
        @unknown default: break
        }
    }

    func run() async throws {
        // Kinds registered while the engine loads are seen either by its load or by this.
        kinds.onChange { [engine] in Task { await engine.kindsChanged() } }
        do {
            try await engine.start()
        } catch {
            events.unsubscribeAll("rules")
            continuation.finish()
            for await pending in stream { pending.done?(.failure(RuleError("the rule engine did not start"))) }
            throw error
        }
        let (stream, continuation, events) = (self.stream, self.continuation, self.events)
        // Events already accepted are handled to the end, so that nobody waiting for one is left
        // hanging; only the clock stops at once.
        let handling = Task {
            for await pending in stream {
                let handled = await engine.handle(pending.event)
                pending.done?(.success(handled))
            }
        }
        let ticking = Task { await engine.run() }
        try? await gracefulShutdown()
        events.unsubscribeAll("rules")
        continuation.finish()
        await handling.value
        ticking.cancel()
        await ticking.value
    }
}
