/// What is wrong with a rule or with running it, written for the admin.
public struct RuleError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
