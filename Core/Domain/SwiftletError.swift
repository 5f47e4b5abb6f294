/// An error the domain reports to its callers. Adapters map it to their own answers (an SMSEagle
/// error string, an HTTP status, an SMTP reply) at the edge.
public struct SwiftletError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A request parameter is missing or malformed; `detail` names it.
        case invalidParameter
        /// The caller's credentials were not accepted.
        case unauthenticated
        /// The caller may not do this.
        case forbidden
        /// The store could not do its work.
        case storage
        /// What the request names does not exist; `detail` says what.
        case notFound
        /// The hardware cannot do this at all (e.g. voice calls on a data-only modem).
        case notSupported
        /// The modem could not do it now (not ready, rejected by the network); `detail` says why.
        case unavailable
    }

    public let kind: Kind
    public let detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public static func invalidParameter(_ name: String, _ reason: String) -> SwiftletError {
        SwiftletError(.invalidParameter, "\(name): \(reason)")
    }

    public var description: String { detail }
}
