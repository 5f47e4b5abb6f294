/// Parses `read_sms`'s text answer: a header line of column names, then one line per message with
/// each value in double quotes (a quote inside doubled), separated by `;`.
func parseRows(_ body: String) -> [[String: String]] {
    var lines = body.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    guard !lines.isEmpty else { return [] }
    let header = lines.removeFirst().split(separator: ";").map(String.init)
    return lines.map { line in
        var values: [String] = []
        var current = ""
        var inQuotes = false
        var iterator = Array(line).makeIterator()
        var pending: Character? = iterator.next()
        while let character = pending {
            pending = iterator.next()
            if character == "\"" {
                if inQuotes, pending == "\"" {
                    current.append("\"")
                    pending = iterator.next()
                } else {
                    inQuotes.toggle()
                }
            } else if character == ";", !inQuotes {
                values.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        values.append(current)
        return Dictionary(uniqueKeysWithValues: zip(header, values))
    }
}
