/// The answer of an APIv1 method, before it is written as text or XML.
enum APIv1Reply: Equatable {
    /// Queued messages, one id per recipient (`0` for a test send).
    case queued([Int64])
    /// A number, e.g. `get_queue_length`; `element` names it in XML.
    case count(element: String, value: Int)
    /// A text value, e.g. `get_modem_state`'s `enabled`; `element` names it in XML.
    case value(element: String, String)
    /// `OK`, for methods that answer nothing else.
    case ok
    /// `Error` with no text, as `delete_sms` answers an operation that failed.
    case failed
    /// Rows of `read_sms`, each an ordered list of column names and values.
    case rows([[(String, String)]], container: String = "messages", item: String = "item")
    /// A created phonebook entry: `OK; ID=N`, its id named `element` in XML and extended JSON.
    case created(element: String, id: Int64)
    /// One of SMSEagle's documented error texts.
    case error(String)

    static let invalidLoginText = "Invalid login or password"
    static let invalidTokenText = "Invalid access token"
    static let wrongParameters = APIv1Reply.error("Wrong parameters")
    static let noData = APIv1Reply.error("No data to display")

    static func == (lhs: APIv1Reply, rhs: APIv1Reply) -> Bool {
        switch (lhs, rhs) {
        case (.queued(let a), .queued(let b)): a == b
        case (.count(let a, let x), .count(let b, let y)): a == b && x == y
        case (.value(let a, let x), .value(let b, let y)): a == b && x == y
        case (.ok, .ok), (.failed, .failed): true
        case (.error(let a), .error(let b)): a == b
        case (.rows(let a, let c1, let i1), .rows(let b, let c2, let i2)):
            c1 == c2 && i1 == i2 && a.map { $0.map { "\($0.0)=\($0.1)" } } == b.map { $0.map { "\($0.0)=\($0.1)" } }
        case (.created(let a, let x), .created(let b, let y)): a == b && x == y
        default: false
        }
    }

    /// The plain-text form (`responsetype=text`, the default).
    var text: String {
        switch self {
        case .queued(let ids): ids.map { "OK; ID=\($0)" }.joined(separator: "\n")
        case .count(_, let value): "\(value)"
        case .value(_, let value): value
        case .ok: "OK"
        case .failed: "Error"
        case .error(let message): message
        case .created(_, let id): "OK; ID=\(id)"
        case .rows(let rows, _, _):
            // A header line of column names, then one line per message with every value quoted.
            ([rows.first?.map(\.0).joined(separator: ";") ?? ""]
                + rows.map { row in
                    row.map { "\"" + $0.1.replacingAll("\"", with: "\"\"") + "\"" }.joined(separator: ";")
                })
                .joined(separator: "\n")
        }
    }

    /// The XML form (`responsetype=xml`).
    var xml: String {
        func element(_ name: String, _ value: String) -> String { "<\(name)>\(XML.escape(value))</\(name)>" }
        var lines = ["<xml>"]
        switch self {
        case .queued(let ids) where ids.count == 1:
            lines += [element("message_id", "\(ids[0])"), element("status", "ok")]
        case .queued(let ids):
            for id in ids {
                lines += ["<item>", element("message_id", "\(id)"), element("status", "ok"), "</item>"]
            }
        case .count(let name, let value):
            lines += [element(name, "\(value)"), element("status", "ok")]
        case .value(let name, let value):
            lines += [element(name, value), element("status", "ok")]
        case .ok:
            lines.append(element("status", "ok"))
        case .failed:
            lines.append(element("status", "error"))
        case .error(let message):
            lines += [element("error_text", message), element("status", "error")]
        case .created(let name, let id):
            lines += [element(name, "\(id)"), element("status", "ok")]
        case .rows(let rows, let container, let item):
            lines.append("<\(container)>")
            for row in rows {
                lines.append("<\(item)>")
                lines += row.map { element($0.0, $0.1) }
                lines.append("</\(item)>")
            }
            lines += ["</\(container)>", element("status", "ok")]
        }
        lines.append("</xml>")
        return lines.joined(separator: "\n")
    }
}

enum XML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // Characters XML 1.0 cannot carry at all are dropped.
                if scalar.value >= 0x20 || scalar == "\n" || scalar == "\r" || scalar == "\t" {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self {
            if character == target { out += replacement } else { out.append(character) }
        }
        return out
    }
}
