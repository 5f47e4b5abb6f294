import Foundation

/// A configuration value as the admin wrote it (from YAML), with the line it is on, so that errors
/// can say where. Plugin sections are kept in this form until their manifest's schema checks them.
public indirect enum ConfigValue: Sendable, Equatable {
    /// A scalar; `quoted` if the admin quoted it (then it is text, whatever it looks like).
    case scalar(String, quoted: Bool, line: Int?)
    case sequence([ConfigValue], line: Int?)
    case mapping([Entry], line: Int?)

    public struct Entry: Sendable, Equatable {
        public var key: String
        public var keyLine: Int?
        public var value: ConfigValue

        public init(key: String, keyLine: Int?, value: ConfigValue) {
            self.key = key
            self.keyLine = keyLine
            self.value = value
        }
    }

    public var line: Int? {
        switch self {
        case .scalar(_, _, let line), .sequence(_, let line), .mapping(_, let line): line
        }
    }

    /// `key:` with nothing after it.
    public var isEmpty: Bool {
        if case .scalar("", false, _) = self { return true }
        return false
    }
}

extension ConfigValue {
    /// A configuration written as JSON (a plugin's tests, the web form), as if the admin had written
    /// it in YAML: texts quoted, so that a schema reads them as texts whatever they look like.
    public init(json: JSONValue) {
        switch json {
        case .null: self = .scalar("", quoted: false, line: nil)
        case .bool(let value): self = .scalar(value ? "true" : "false", quoted: false, line: nil)
        case .integer(let value): self = .scalar(String(value), quoted: false, line: nil)
        case .number(let value): self = .scalar(String(value), quoted: false, line: nil)
        case .string(let value): self = .scalar(value, quoted: true, line: nil)
        case .array(let items): self = .sequence(items.map(ConfigValue.init(json:)), line: nil)
        case .object(let fields):
            self = .mapping(
                fields.keys.sorted().map { Entry(key: $0, keyLine: nil, value: ConfigValue(json: fields[$0]!)) },
                line: nil
            )
        }
    }
}
