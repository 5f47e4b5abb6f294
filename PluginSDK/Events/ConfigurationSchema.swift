import Foundation

/// The subset of JSON Schema a plugin manifest uses to describe its configuration: `type`
/// (object, array, string, integer, number, boolean), `properties`, `required`,
/// `additionalProperties` (false, or a schema for the values), `items`, `enum`, `minimum`/`maximum`,
/// `minLength`/`maxLength`, `minItems`/`maxItems`, `default` and `description`.
public final class ConfigurationSchema: Decodable, Sendable {
    public let type: String?
    public let description: String?
    public let properties: [String: ConfigurationSchema]?
    public let required: [String]?
    /// nil: any extra key is allowed; a schema: extra keys' values must match it.
    public let additionalProperties: ConfigurationSchema?
    public let additionalPropertiesAllowed: Bool
    public let items: ConfigurationSchema?
    public let enumValues: [JSONValue]?
    public let minimum: Double?
    public let maximum: Double?
    public let minLength: Int?
    public let maxLength: Int?
    public let minItems: Int?
    public let maxItems: Int?
    public let defaultValue: JSONValue?

    static let types: Set<String> = ["object", "array", "string", "integer", "number", "boolean"]

    enum CodingKeys: String, CodingKey {
        case type, description, properties, required, additionalProperties, items, minimum, maximum, minLength,
            maxLength, minItems, maxItems
        case enumValues = "enum"
        case defaultValue = "default"
    }

    public required init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decodeIfPresent(String.self, forKey: .type)
        if let type, !Self.types.contains(type) {
            throw DecodingError.dataCorruptedError(
                forKey: .type,
                in: container,
                debugDescription: "'\(type)' is not one of \(Self.types.sorted().joined(separator: ", "))"
            )
        }
        description = try container.decodeIfPresent(String.self, forKey: .description)
        properties = try container.decodeIfPresent([String: ConfigurationSchema].self, forKey: .properties)
        required = try container.decodeIfPresent([String].self, forKey: .required)
        if let allowed = try? container.decodeIfPresent(Bool.self, forKey: .additionalProperties) {
            additionalProperties = nil
            additionalPropertiesAllowed = allowed
        } else {
            additionalProperties = try container.decodeIfPresent(
                ConfigurationSchema.self,
                forKey: .additionalProperties
            )
            additionalPropertiesAllowed = true
        }
        items = try container.decodeIfPresent(ConfigurationSchema.self, forKey: .items)
        enumValues = try container.decodeIfPresent([JSONValue].self, forKey: .enumValues)
        minimum = try container.decodeIfPresent(Double.self, forKey: .minimum)
        maximum = try container.decodeIfPresent(Double.self, forKey: .maximum)
        minLength = try container.decodeIfPresent(Int.self, forKey: .minLength)
        maxLength = try container.decodeIfPresent(Int.self, forKey: .maxLength)
        minItems = try container.decodeIfPresent(Int.self, forKey: .minItems)
        maxItems = try container.decodeIfPresent(Int.self, forKey: .maxItems)
        defaultValue = try container.decodeIfPresent(JSONValue.self, forKey: .defaultValue)
    }

    /// A value that does not match: where, which key, why.
    public struct Violation: Error, Sendable, Equatable {
        public var line: Int?
        public var key: String
        public var reason: String
    }

    /// Checks `value` (nil: absent) and returns it as JSON with defaults filled in.
    public func validate(_ value: ConfigValue?, key: String, parentLine: Int? = nil) throws(Violation) -> JSONValue {
        guard let value, !value.isEmpty || type == "string" else {
            if let defaultValue { return defaultValue }
            switch type {
            case "object": return try validate(.mapping([], line: value?.line ?? parentLine), key: key)
            case "array": return try validate(.sequence([], line: value?.line ?? parentLine), key: key)
            default:
                throw Violation(line: value?.line ?? parentLine, key: key, reason: "a value is required")
            }
        }
        func fail(_ reason: String) -> Violation { Violation(line: value.line, key: key, reason: reason) }
        let result: JSONValue
        switch (type, value) {
        case ("object", .mapping(let entries, let line)), (nil, .mapping(let entries, let line)):
            var object: [String: JSONValue] = [:]
            let known = properties ?? [:]
            for entry in entries {
                let path = key.isEmpty ? entry.key : key + "." + entry.key
                if let schema = known[entry.key] {
                    object[entry.key] = try schema.validate(entry.value, key: path, parentLine: entry.keyLine)
                } else if let schema = additionalProperties {
                    object[entry.key] = try schema.validate(entry.value, key: path, parentLine: entry.keyLine)
                } else if additionalPropertiesAllowed {
                    object[entry.key] = try Self.any.validate(entry.value, key: path, parentLine: entry.keyLine)
                } else {
                    let names = known.keys.sorted().joined(separator: ", ")
                    throw Violation(
                        line: entry.keyLine,
                        key: path,
                        reason: "unknown key (known keys here: \(names.isEmpty ? "none" : names))"
                    )
                }
            }
            for name in (required ?? []) where object[name] == nil {
                throw Violation(line: line, key: key.isEmpty ? name : key + "." + name, reason: "required")
            }
            for (name, schema) in known where object[name] == nil {
                if let value = schema.defaultValue { object[name] = value }
            }
            result = .object(object)
        case ("array", .sequence(let items, _)), (nil, .sequence(let items, _)):
            if let minItems, items.count < minItems { throw fail("needs at least \(minItems) item(s)") }
            if let maxItems, items.count > maxItems { throw fail("takes at most \(maxItems) item(s)") }
            let schema = self.items ?? Self.any
            var array: [JSONValue] = []
            for (index, item) in items.enumerated() {
                array.append(try schema.validate(item, key: "\(key)[\(index)]", parentLine: value.line))
            }
            result = .array(array)
        case ("string", .scalar(let text, _, _)):
            if let minLength, text.count < minLength {
                throw fail(minLength == 1 ? "must not be empty" : "must be at least \(minLength) characters")
            }
            if let maxLength, text.count > maxLength { throw fail("must be at most \(maxLength) characters") }
            result = .string(text)
        case ("integer", .scalar(let text, false, _)):
            guard let number = Int64(text) else { throw fail("'\(text)' is not a whole number") }
            try checkRange(Double(number), text, fail)
            result = .integer(number)
        case ("number", .scalar(let text, false, _)):
            guard let number = Double(text), number.isFinite else { throw fail("'\(text)' is not a number") }
            try checkRange(number, text, fail)
            result = .number(number)
        case ("boolean", .scalar(let text, false, _)):
            switch text {
            case "true", "yes", "on": result = .bool(true)
            case "false", "no", "off": result = .bool(false)
            default: throw fail("'\(text)' is not true or false")
            }
        case (nil, .scalar(let text, let quoted, _)):
            result = quoted ? .string(text) : Self.guess(text)
        case ("object", _): throw fail("must be a mapping of keys to values")
        case ("array", _): throw fail("must be a list")
        case ("string", _): throw fail("must be a text")
        case ("integer", _): throw fail("must be a whole number")
        case ("number", _): throw fail("must be a number")
        case ("boolean", _): throw fail("must be true or false")
        default: throw fail("unexpected value")
        }
        if let enumValues, !enumValues.contains(result) {
            throw fail("must be one of \(enumValues.map(\.yaml).joined(separator: ", "))")
        }
        return result
    }

    private func checkRange(_ number: Double, _ text: String, _ fail: (String) -> Violation) throws(Violation) {
        if let minimum, number < minimum { throw fail("'\(text)' is less than \(Self.format(minimum))") }
        if let maximum, number > maximum { throw fail("'\(text)' is more than \(Self.format(maximum))") }
    }

    static func format(_ number: Double) -> String {
        number.rounded() == number ? String(Int64(number)) : String(number)
    }

    /// A plain YAML scalar where the schema does not say its type.
    public static func guess(_ text: String) -> JSONValue {
        switch text {
        case "true", "yes", "on": return .bool(true)
        case "false", "no", "off": return .bool(false)
        case "null", "~": return .null
        default:
            if let integer = Int64(text) { return .integer(integer) }
            if let number = Double(text), number.isFinite { return .number(number) }
            return .string(text)
        }
    }

    /// Accepts anything.
    public static let any: ConfigurationSchema = try! JSONDecoder().decode(
        ConfigurationSchema.self,
        from: Data("{}".utf8)
    )
}
