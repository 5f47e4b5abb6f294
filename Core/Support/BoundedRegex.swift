import Foundation

/// A regular expression that cannot hang the gateway: matching stops after a time budget.
///
/// A rule's pattern comes from an admin's YAML or the API, and its subject from anyone who can send
/// an SMS; a pattern like `^(a+)+$` against `aaaa…b` backtracks for ages. ICU reports progress while
/// it matches (`.reportProgress`), and the match is abandoned once the budget is spent.
public struct BoundedRegex: Sendable, Equatable {
    public let pattern: String
    private let regex: NSRegularExpression
    /// How long one match may take.
    public let budget: Duration

    public static let maximumPatternLength = 1000

    public static func == (a: BoundedRegex, b: BoundedRegex) -> Bool {
        a.pattern == b.pattern && a.budget == b.budget && a.regex.options == b.regex.options
    }

    /// Throws ``RegexError`` for a pattern that does not compile or is too long.
    public init(
        _ pattern: String,
        caseInsensitive: Bool = true,
        budget: Duration = .milliseconds(50)
    ) throws(RegexError) {
        guard pattern.count <= Self.maximumPatternLength else {
            throw RegexError("the pattern is longer than \(Self.maximumPatternLength) characters")
        }
        do {
            regex = try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        } catch {
            throw RegexError("'\(pattern)' is not a regular expression: \(error.localizedDescription)")
        }
        self.pattern = pattern
        self.budget = budget
    }

    /// The first match in `text`: the whole match, then each capture group ("" for a group that did
    /// not take part); nil when there is none. Throws ``RegexError`` when the budget ran out.
    public func firstMatch(in text: String) throws(RegexError) -> [String]? {
        let deadline = ContinuousClock.now + budget
        var found: NSTextCheckingResult?
        var timedOut = false
        let range = NSRange(text.startIndex..., in: text)
        regex.enumerateMatches(in: text, options: [.reportProgress], range: range) { match, _, stop in
            if let match {
                found = match
                stop.pointee = true
            } else if ContinuousClock.now > deadline {
                timedOut = true
                stop.pointee = true
            }
        }
        if timedOut {
            throw RegexError("matching '\(pattern)' took longer than its budget of \(budget); treated as no match")
        }
        guard let found else { return nil }
        return (0..<found.numberOfRanges).map { index in
            Range(found.range(at: index), in: text).map { String(text[$0]) } ?? ""
        }
    }
}

/// Why a pattern cannot be used, or why a match was abandoned, written for the admin.
public struct RegexError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
