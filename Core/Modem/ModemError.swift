/// What went wrong talking to a modem. `detail` is written for the admin reading the log.
public struct ModemError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The device could not be opened or configured.
        case cannotOpen
        /// The modem did not answer within the command's time limit.
        case timeout
        /// The modem answered ERROR, `+CMS ERROR` or `+CME ERROR`.
        case rejected
        /// The connection to the modem ended.
        case disconnected
        /// The modem is not ready to take work.
        case unavailable
        /// The modem's answer could not be understood.
        case unexpectedAnswer
        /// The SIM refused the configured PIN. Not retried: a few wrong tries block the SIM.
        case pinRejected
    }

    public let kind: Kind
    public let detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { detail }
}
