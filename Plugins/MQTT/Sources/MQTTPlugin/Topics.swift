import Foundation

/// MQTT topic filters (`+` one level, `#` the rest) and the fields a message becomes.
enum Topics {
    /// Whether `topic` matches `filter` (MQTT 3.1.1 §4.7): `+` is one level, a final `#` any number
    /// (also none: `a/#` matches `a`); wildcards at the start do not match topics beginning with `$`.
    static func matches(_ filter: String, _ topic: String) -> Bool {
        let filterLevels = filter.split(separator: "/", omittingEmptySubsequences: false)
        let topicLevels = topic.split(separator: "/", omittingEmptySubsequences: false)
        if topic.hasPrefix("$"), filter.hasPrefix("+") || filter.hasPrefix("#") { return false }
        for (index, level) in filterLevels.enumerated() {
            if level == "#" { return true }
            guard index < topicLevels.count else { return false }
            if level != "+", level != topicLevels[index] { return false }
        }
        return filterLevels.count == topicLevels.count
    }

    /// A reason why `filter` is not a valid subscription filter, or nil.
    static func filterProblem(_ filter: String) -> String? {
        guard !filter.isEmpty else { return "an empty topic filter" }
        guard filter.utf8.count <= 65535 else { return "a topic filter longer than 65,535 bytes" }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        for (index, level) in levels.enumerated() {
            if level.contains("#"), level != "#" || index != levels.count - 1 {
                return "'\(filter)': '#' must be a whole level, the last one"
            }
            if level.contains("+"), level != "+" { return "'\(filter)': '+' must be a whole level" }
        }
        return nil
    }

    /// A reason why `topic` cannot be published to, or nil.
    static func topicProblem(_ topic: String) -> String? {
        if topic.isEmpty { return "an empty topic" }
        if topic.contains("+") || topic.contains("#") { return "'\(topic)' contains a wildcard (+ or #)" }
        if topic.utf8.count > 65535 { return "a topic longer than 65,535 bytes" }
        if topic.contains("\u{0}") { return "a topic with a NUL character" }
        return nil
    }

    /// The fields of a received message, for rules (`mqtt.message`) and forward templates: topic,
    /// payload (and `text`, the same), qos, retained, filter, topic_1… (the levels), received_at,
    /// and a JSON object payload's members (nested ones as `a.b`; never replacing the fields above).
    static func fields(
        _ message: Mosquitto.Message,
        filter: String?,
        receivedAt: Date = Date()
    ) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [:]
        let text = String(validating: message.payload, as: UTF8.self)
        if text != nil,
            case .object(let object)? = try? JSONDecoder().decode(JSONTree.self, from: Data(message.payload))
        {
            flatten(object, prefix: "", into: &fields)
        }
        fields["topic"] = .string(message.topic)
        fields["payload"] = .string(text ?? Data(message.payload).base64EncodedString())
        if text == nil { fields["payload_encoding"] = .string("base64") }
        fields["text"] = fields["payload"]
        fields["qos"] = .number(Double(message.qos))
        fields["retained"] = .bool(message.retained)
        if let filter { fields["filter"] = .string(filter) }
        for (index, level) in message.topic.split(separator: "/", omittingEmptySubsequences: false).enumerated() {
            fields["topic_\(index + 1)"] = .string(String(level))
        }
        fields["received_at"] = .string(receivedAt.formatted(.iso8601))
        return fields
    }

    static func flatten(_ object: [String: JSONTree], prefix: String, into fields: inout [String: JSONValue]) {
        for (key, value) in object {
            let name = prefix + key
            switch value {
            case .object(let nested): flatten(nested, prefix: name + ".", into: &fields)
            case .scalar(let scalar): fields[name] = scalar
            case .null: break
            case .array:
                if let data = try? JSONEncoder.sorted.encode(value) {
                    fields[name] = .string(String(decoding: data, as: UTF8.self))
                }
            }
        }
    }
}

/// Any JSON value, as decoded from a payload or an event.
indirect enum JSONTree: Codable, Sendable {
    case object([String: JSONTree])
    case array([JSONTree])
    case scalar(JSONValue)
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let object = try? container.decode([String: JSONTree].self) {
            self = .object(object)
        } else if let array = try? container.decode([JSONTree].self) {
            self = .array(array)
        } else {
            self = .scalar(try container.decode(JSONValue.self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .object(let object): try container.encode(object)
        case .array(let array): try container.encode(array)
        case .scalar(let scalar): try container.encode(scalar)
        case .null: try container.encodeNil()
        }
    }
}

/// A JSON scalar of an event's fields.
enum JSONValue: Sendable, Equatable, Codable {
    case string(String)
    case number(Double)
    case bool(Bool)

    var text: String {
        switch self {
        case .string(let text): text
        case .number(let number):
            number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let value): value ? "true" : "false"
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .number(let number):
            if number.rounded() == number, abs(number) < 1e15 {
                try container.encode(Int64(number))
            } else {
                try container.encode(number)
            }
        case .bool(let value): try container.encode(value)
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }
}

/// `{name}` placeholders filled from fields (`{{` and `}}` for braces); an unknown name becomes "".
/// Parsed once, when the configuration or action is read.
struct TextTemplate: Sendable, Equatable {
    enum Piece: Sendable, Equatable {
        case literal(String)
        case field(String)
    }

    let source: String
    let pieces: [Piece]

    init(_ source: String) throws(MQTTError) {
        var pieces: [Piece] = []
        var literal = ""
        var name: String?
        var index = source.startIndex
        while index < source.endIndex {
            let character = source[index]
            let next = source.index(after: index)
            if name == nil, character == "{" || character == "}", next < source.endIndex, source[next] == character {
                literal.append(character)
                index = source.index(after: next)
                continue
            }
            switch (character, name) {
            case ("{", nil):
                if !literal.isEmpty { pieces.append(.literal(literal)) }
                literal = ""
                name = ""
            case ("{", _): throw MQTTError("\"\(source)\": a '{' inside a placeholder")
            case ("}", let placeholder?):
                pieces.append(.field(placeholder))
                name = nil
            case ("}", nil): throw MQTTError("\"\(source)\": a '}' without '{' (write '}}' for a brace)")
            case (_, let placeholder?): name = placeholder + String(character)
            case (_, nil): literal.append(character)
            }
            index = next
        }
        guard name == nil else { throw MQTTError("\"\(source)\": a '{' without '}'") }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.source = source
        self.pieces = pieces
    }

    func render(_ fields: [String: String]) -> String {
        pieces.map { piece in
            switch piece {
            case .literal(let text): text
            case .field(let name): fields[name] ?? ""
            }
        }.joined()
    }
}
