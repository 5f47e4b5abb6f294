/// The text of a message a rule sends, with placeholders filled from the event that fired it:
/// `{sender}`, `{text}` or any other field of the event, `{words:3}` (the first three words of the
/// text), `{chars:20}` (its first 20 characters), `{1}`…`{9}` (the pattern's capture groups), `{{`
/// and `}}` for braces. Checked when the rule is loaded, so a typo is an error then, not a blank in
/// an alarm at 3 a.m.
public struct MessageTemplate: Sendable, Equatable {
    enum Piece: Sendable, Equatable {
        case literal(String)
        case field(String)
        case words(Int)
        case characters(Int)
        case capture(Int)
    }

    let pieces: [Piece]
    public let source: String

    /// Throws ``RuleError`` naming the placeholder that is not understood, or an unclosed brace.
    /// `fields` are the names the trigger's events carry; nil accepts any name (events whose
    /// fields are not known in advance: API calls, plugins' kinds).
    public init(_ source: String, fields: Set<String>?) throws(RuleError) {
        var pieces: [Piece] = []
        var literal = ""
        var index = source.startIndex
        while index < source.endIndex {
            let character = source[index]
            let next = source.index(after: index)
            if character == "{", next < source.endIndex, source[next] == "{" {
                literal.append("{")
                index = source.index(after: next)
                continue
            }
            if character == "}", next < source.endIndex, source[next] == "}" {
                literal.append("}")
                index = source.index(after: next)
                continue
            }
            guard character == "{" else {
                if character == "}" { throw RuleError("a '}' without '{' in \"\(source)\" (write '}}' for a brace)") }
                literal.append(character)
                index = next
                continue
            }
            guard let close = source[next...].firstIndex(of: "}") else {
                throw RuleError("an unclosed '{' in \"\(source)\" (write '{{' for a brace)")
            }
            if !literal.isEmpty {
                pieces.append(.literal(literal))
                literal = ""
            }
            pieces.append(try Self.placeholder(String(source[next..<close]), fields: fields))
            index = source.index(after: close)
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.pieces = pieces
        self.source = source
    }

    static func placeholder(_ name: String, fields: Set<String>?) throws(RuleError) -> Piece {
        if let number = Int(name), (0...9).contains(number) { return .capture(number) }
        let parts = name.split(separator: ":", maxSplits: 1).map(String.init)
        if parts.count == 2, let count = Int(parts[1]), count > 0 {
            switch parts[0] {
            case "words": return .words(count)
            case "chars": return .characters(count)
            default: break
            }
        }
        guard !name.isEmpty, name.count <= 64 else { throw RuleError("{\(name)} is not a placeholder") }
        guard let fields else { return .field(name) }
        guard fields.contains(name) else {
            let known = (fields.sorted() + ["words:N", "chars:N", "1…9"]).map { "{\($0)}" }.joined(separator: ", ")
            throw RuleError("{\(name)} is not a placeholder here; known: \(known)")
        }
        return .field(name)
    }

    /// The text for an event with these fields (`text` is what `{words:N}` and `{chars:N}` cut) and
    /// these captures; a capture the pattern did not make is empty.
    public func render(_ fields: [String: String], captures: [String] = []) -> String {
        var out = ""
        let text = fields["text"] ?? ""
        for piece in pieces {
            switch piece {
            case .literal(let literal): out += literal
            case .field(let name): out += fields[name] ?? ""
            case .words(let count):
                out += text.split(whereSeparator: \.isWhitespace).prefix(count).joined(separator: " ")
            case .characters(let count): out += String(text.prefix(count))
            case .capture(let number): out += captures.indices.contains(number) ? captures[number] : ""
            }
        }
        return out
    }
}
