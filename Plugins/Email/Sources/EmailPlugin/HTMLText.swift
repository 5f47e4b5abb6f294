import Foundation

/// HTML-only mail turned into the text a person would read: scripts and styles dropped, block
/// elements and line breaks as new lines, tags removed, entities decoded, spaces collapsed.
enum HTMLText {
    static func text(from html: String) -> String {
        var html = html
        for element in ["script", "style", "head", "title"] {
            html = html.replacingOccurrences(
                of: "(?s)<\(element)\\b[^>]*>.*?</\(element)\\s*>",
                with: " ",
                options: [.regularExpression, .caseInsensitive]
            )
        }
        html = html.replacingOccurrences(of: "(?s)<!--.*?-->", with: " ", options: .regularExpression)
        // Whitespace in HTML source is not layout; elements are.
        html = html.replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression)
        html = html.replacingOccurrences(
            of: "<(br|/p|/div|/tr|/h[1-6]|/li|/table|/blockquote|hr)\\b[^>]*>",
            with: "\n",
            options: [.regularExpression, .caseInsensitive]
        )
        html = html.replacingOccurrences(
            of: "<li\\b[^>]*>",
            with: "\n- ",
            options: [.regularExpression, .caseInsensitive]
        )
        html = html.replacingOccurrences(
            of: "</t[dh]\\s*>",
            with: " ",
            options: [.regularExpression, .caseInsensitive]
        )
        html = html.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
        let text = decodeEntities(html)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "[ \\t\u{00A0}]+", with: " ", options: .regularExpression)
                .trimmingCharacters(in: .whitespaces)
        }
        // At most one empty line in a row, none at the ends.
        var result: [String] = []
        for line in lines where !(line.isEmpty && (result.last?.isEmpty ?? true)) { result.append(line) }
        while result.last?.isEmpty == true { result.removeLast() }
        return result.joined(separator: "\n")
    }

    static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{00A0}",
        "auml": "ä", "ouml": "ö", "uuml": "ü", "aring": "å", "Auml": "Ä", "Ouml": "Ö", "Uuml": "Ü",
        "Aring": "Å", "eacute": "é", "egrave": "è", "szlig": "ß", "euro": "€", "deg": "°",
        "ndash": "–", "mdash": "—", "hellip": "…", "copy": "©", "reg": "®",
        "laquo": "«", "raquo": "»", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”",
    ]

    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semicolon = after.prefix(10).firstIndex(of: ";") {
                let name = after[..<semicolon]
                var decoded: String?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    decoded = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
                } else if name.hasPrefix("#") {
                    decoded = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map { String($0) }
                } else {
                    decoded = named[String(name)]
                }
                if let decoded {
                    out += decoded
                    rest = after[after.index(after: semicolon)...]
                    continue
                }
            }
            out += "&"
            rest = after
        }
        return out + rest
    }
}
