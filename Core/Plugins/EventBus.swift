import Foundation
import SwiftletPluginSDK
import Synchronization

/// Events of the gateway (`sms.incoming`, `sms.status`, `modem.status`) and of plugins, handed to
/// whoever subscribed to their kind. In memory, not durable: a subscriber that is not running when
/// an event happens does not see it.
public final class EventBus: Sendable {
    public typealias Deliver = @Sendable (_ kind: String, _ json: Data) -> Void

    private struct Subscriber {
        var kinds: Set<String>
        var deliver: Deliver
    }

    private let subscribers = Mutex<[String: Subscriber]>([:])

    public init() {}

    /// Adds `kind` ("*" for every kind) to what `subscriber` receives.
    public func subscribe(_ subscriber: String, to kind: String, deliver: @escaping Deliver) {
        subscribers.withLock { subscribers in
            subscribers[subscriber, default: Subscriber(kinds: [], deliver: deliver)].kinds.insert(kind)
        }
    }

    public func unsubscribeAll(_ subscriber: String) {
        _ = subscribers.withLock { $0.removeValue(forKey: subscriber) }
    }

    public func publish(kind: String, json: Data, from source: String? = nil) {
        let targets = subscribers.withLock { subscribers in
            subscribers.filter { $0.key != source && ($0.value.kinds.contains(kind) || $0.value.kinds.contains("*")) }
                .map(\.value.deliver)
        }
        for deliver in targets { deliver(kind, json) }
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
