import Foundation
import Synchronization

/// Events of the gateway (`sms.incoming`, `sms.status`, `modem.status`) and of plugins, handed to
/// whoever subscribed to their kind. In memory, not durable: a subscriber that is not running when
/// an event happens does not see it.
public final class EventBus: Sendable {
    public typealias Deliver = @Sendable (_ kind: String, _ json: Data) -> Void
    /// Handles an event and returns when it is done with it (the rule engine: the names of the rules
    /// that fired, once their actions are committed).
    public typealias Handle = @Sendable (_ kind: String, _ json: Data) async throws -> [String]

    private struct Subscriber {
        var kinds: Set<String>
        var deliver: Deliver
        var handle: Handle?
    }

    private let subscribers = Mutex<[String: Subscriber]>([:])

    public init() {}

    /// Adds `kind` ("*" for every kind) to what `subscriber` receives.
    /// `handle`, if given, is what `publishAndWait` uses instead of `deliver`.
    public func subscribe(_ subscriber: String, to kind: String, deliver: @escaping Deliver, handle: Handle? = nil) {
        _ = subscribers.withLock { subscribers in
            subscribers[subscriber, default: Subscriber(kinds: [], deliver: deliver, handle: handle)].kinds.insert(kind)
        }
    }

    public func unsubscribeAll(_ subscriber: String) {
        _ = subscribers.withLock { $0.removeValue(forKey: subscriber) }
    }

    public func publish(kind: String, json: Data, from source: String? = nil) {
        for target in targets(kind, source) { target.deliver(kind, json) }
    }

    /// Publishes, and returns once every subscriber that handles events (the rule engine) is done
    /// with this one: the names it returned (the rules that fired). Throws what a handler threw.
    public func publishAndWait(kind: String, json: Data, from source: String? = nil) async throws -> [String] {
        let targets = targets(kind, source)
        for target in targets where target.handle == nil { target.deliver(kind, json) }
        var handled: [String] = []
        for case let handle? in targets.map(\.handle) { handled += try await handle(kind, json) }
        return handled
    }

    private func targets(_ kind: String, _ source: String?) -> [Subscriber] {
        subscribers.withLock { subscribers in
            subscribers.filter { $0.key != source && ($0.value.kinds.contains(kind) || $0.value.kinds.contains("*")) }
                .map(\.value)
        }
    }

    /// Whether anyone subscribed to `kind`, so a publisher can skip making an event nobody reads.
    public func wants(_ kind: String) -> Bool {
        subscribers.withLock { $0.values.contains { $0.kinds.contains(kind) || $0.kinds.contains("*") } }
    }

    /// Publishes one of the SDK's event bodies (e.g. `IncomingSMSEvent`) under its kind. Encodes
    /// nothing while nobody subscribed to the kind (this is on the send path).
    public func publish(kind: String, body: some Encodable) {
        guard wants(kind), let json = try? JSONCoding.encoder.encode(body) else { return }
        publish(kind: kind, json: json)
    }
}
