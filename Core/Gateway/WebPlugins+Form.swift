import Foundation
import SwiftletDomain
import SwiftletEvents
import SwiftletPluginHost
import SwiftletWeb

/// A plugin's configuration form from its manifest's schema, and the form's values back into a
/// configuration section.
extension WebPlugins {
    /// Keys whose values are secrets: a password input, never filled in from the file.
    static func isSecret(_ key: String) -> Bool {
        ["password", "secret", "token"].contains { key.lowercased().contains($0) }
    }

    /// One field per top-level key the form can show; the other keys (sections and lists of
    /// sections) are named for the file.
    static func form(_ manifest: PluginManifest, section: PluginSettings.Section?) -> ([PluginField], [String]) {
        guard let schema = manifest.configuration, let properties = schema.properties else { return ([], []) }
        let required = Set(schema.required ?? [])
        let current = section.flatMap { value -> [String: ConfigValue]? in
            guard case .mapping(let entries, _)? = value.value else { return nil }
            return Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        }
        var fields: [PluginField] = []
        var fileOnly: [String] = []
        for (key, property) in properties.sorted(by: { $0.key < $1.key }) {
            guard let kind = kind(of: property, key: key) else {
                fileOnly.append(key)
                continue
            }
            let value = current?[key].map(text) ?? property.defaultValue.map(text) ?? ""
            fields.append(
                PluginField(
                    key: key,
                    kind: kind,
                    description: property.description ?? "",
                    value: kind == .password ? "" : value,
                    required: required.contains(key) && property.defaultValue == nil,
                    options: property.enumValues?.map(text) ?? []
                )
            )
        }
        return (fields, fileOnly)
    }

    static func kind(of property: ConfigurationSchema, key: String) -> PluginField.Kind? {
        if property.enumValues != nil { return .select }
        switch property.type {
        case "boolean": return .checkbox
        case "integer", "number": return .number
        case "array": return property.items?.type == "object" || property.items?.type == "array" ? nil : .lines
        case "object": return nil
        default: return isSecret(key) ? .password : .text
        }
    }

    static func text(_ value: ConfigValue) -> String {
        switch value {
        case .scalar(let text, _, _): text
        case .sequence(let items, _): items.map(text).joined(separator: "\n")
        case .mapping: ""
        }
    }

    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .array(let items): items.map(text).joined(separator: "\n")
        default: value.yaml
        }
    }

    /// The section the form's `values` make: each field typed as its schema says (an empty field is
    /// left out, so its default applies), an empty password keeping the one in the file, and the
    /// keys the form does not show kept as they were.
    static func value(
        of values: [String: String],
        manifest: PluginManifest,
        keeping old: ConfigValue?
    ) throws -> ConfigValue {
        var kept: [ConfigValue.Entry] = []
        if case .mapping(let entries, _)? = old { kept = entries }
        guard let properties = manifest.configuration?.properties else { return .mapping(kept, line: nil) }
        var entries: [ConfigValue.Entry] = []
        for (key, property) in properties.sorted(by: { $0.key < $1.key }) {
            let previous = kept.first { $0.key == key }?.value
            guard let kind = kind(of: property, key: key) else {
                if let previous { entries.append(.init(key: key, keyLine: nil, value: previous)) }
                continue
            }
            let typed = values[key]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            let text = property.type == nil || property.type == "string"
            var value: ConfigValue?
            switch kind {
            case .checkbox:
                value = .scalar(typed.isEmpty ? "false" : "true", quoted: false, line: nil)
            case .password:
                value = typed.isEmpty ? previous : .scalar(typed, quoted: true, line: nil)
            case .lines:
                let items = typed.split(whereSeparator: \.isNewline)
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                let quoted = property.items?.type == nil || property.items?.type == "string"
                value =
                    items.isEmpty
                    ? nil : .sequence(items.map { .scalar($0, quoted: quoted, line: nil) }, line: nil)
            case .number, .select, .text:
                value = typed.isEmpty ? nil : .scalar(typed, quoted: text, line: nil)
            }
            if let value { entries.append(.init(key: key, keyLine: nil, value: value)) }
        }
        // Keys the schema does not name stay, so the check reports them as it would from the file.
        entries += kept.filter { properties[$0.key] == nil }
        return .mapping(entries, line: nil)
    }

    /// `value` as YAML: strings double-quoted with JSON's escapes (valid YAML), so no text typed into
    /// the form can change the file's structure.
    static func yaml(_ value: ConfigValue, indent: String) -> String {
        switch value {
        case .mapping(let entries, _):
            guard !entries.isEmpty else { return indent.isEmpty ? "{}\n" : " {}\n" }
            return entries.map { entry in
                let key = quoted(entry.key)
                switch entry.value {
                case .scalar: return "\(indent)\(key): \(scalar(entry.value))\n"
                case .sequence(let items, _) where items.isEmpty: return "\(indent)\(key): []\n"
                case .mapping(let inner, _) where inner.isEmpty: return "\(indent)\(key): {}\n"
                default: return "\(indent)\(key):\n" + yaml(entry.value, indent: indent + "  ")
                }
            }.joined()
        case .sequence(let items, _):
            return items.map { item in
                switch item {
                case .scalar: return "\(indent)- \(scalar(item))\n"
                default:
                    let body = yaml(item, indent: indent + "  ")
                    return "\(indent)- " + body.dropFirst(indent.count + 2)
                }
            }.joined()
        case .scalar:
            return scalar(value) + "\n"
        }
    }

    static func scalar(_ value: ConfigValue) -> String {
        guard case .scalar(let text, let isQuoted, _) = value else { return "" }
        // An unquoted value came from a plain YAML scalar or is a number or boolean: safe as it is,
        // unless it holds something YAML reads specially.
        if !isQuoted, !text.isEmpty, text.allSatisfy({ $0.isLetter || $0.isNumber || "+-._:/@".contains($0) }) {
            return text
        }
        return quoted(text)
    }

    static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let data = (try? encoder.encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
