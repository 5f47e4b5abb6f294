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
    var isEmpty: Bool {
        if case .scalar("", false, _) = self { return true }
        return false
    }
}

/// A JSON value: what a plugin's configuration becomes once its schema has checked it.
public indirect enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Compact JSON with sorted keys. Keys are not case-converted.
    public var json: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }

    /// How the value reads in YAML, for the templates `plugins enable` writes.
    public var yaml: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .integer(let value): String(value)
        case .number(let value): String(value)
        case .string(let value):
            "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        case .array(let values): "[" + values.map(\.yaml).joined(separator: ", ") + "]"
        case .object(let values):
            "{" + values.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.yaml)" }.joined(separator: ", ") + "}"
        }
    }
}
