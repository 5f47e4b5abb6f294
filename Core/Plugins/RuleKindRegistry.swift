import Foundation
import SwiftletEvents
import Synchronization

/// The rule-engine kinds plugins registered (ABI 1.1 `register_rule_kind`): which plugin provides
/// each trigger and action, and the schema of an action's parameters.
public final class RuleKindRegistry: Sendable {
    public enum Role: Int32, Sendable {
        case trigger = 1
        case action = 2
    }

    public struct Kind: Sendable {
        public var plugin: String
        public var role: Role
        public var schema: ConfigurationSchema?
    }

    private let kinds = Mutex<[String: Kind]>([:])
    private let listener = Mutex<(@Sendable () -> Void)?>(nil)

    public init() {}

    /// `changed` is called after every registration and removal (the engine re-checks its rules).
    public func onChange(_ changed: @escaping @Sendable () -> Void) { listener.withLock { $0 = changed } }

    public func kind(_ name: String) -> Kind? { kinds.withLock { $0[name] } }

    func register(_ name: String, _ kind: Kind) {
        kinds.withLock { $0[name] = kind }
        listener.withLock { $0 }?()
    }

    /// A plugin stopped: its kinds are gone.
    func removeAll(plugin: String) {
        let removed = kinds.withLock { kinds in
            let before = kinds.count
            kinds = kinds.filter { $0.value.plugin != plugin }
            return before != kinds.count
        }
        if removed { listener.withLock { $0 }?() }
    }

    /// nil if `parameters` (a JSON object) match the action's schema, else the reason.
    public func check(_ name: String, parameters: Data) -> String? {
        guard let schema = kind(name)?.schema else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: parameters) else { return "not a JSON object" }
        do {
            _ = try schema.validate(Self.configValue(object), key: "")
            return nil
        } catch {
            return error.key.isEmpty ? error.reason : "\(error.key): \(error.reason)"
        }
    }

    /// JSON as the schema checker reads configuration: texts quoted (they stay texts), numbers and
    /// booleans plain.
    static func configValue(_ value: Any) -> ConfigValue {
        switch value {
        case let text as String: return .scalar(text, quoted: true, line: nil)
        case let list as [Any]: return .sequence(list.map(configValue), line: nil)
        case let object as [String: Any]:
            return .mapping(
                object.sorted { $0.key < $1.key }.map {
                    ConfigValue.Entry(key: $0.key, keyLine: nil, value: configValue($0.value))
                },
                line: nil
            )
        case let number as NSNumber: return .scalar("\(number)", quoted: false, line: nil)
        default: return .scalar("", quoted: false, line: nil)
        }
    }
}
