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
        /// The modem or its SIM cannot do this at all (e.g. voice calls on a data-only modem).
        case notSupported
        /// The admin disabled the modem.
        case disabled
    }

    public let kind: Kind
    public let detail: String
    /// The `<err>` of a `+CMS ERROR` answer (TS 27.005 3.2.5), when that was the answer.
    public var cmsError: Int?
    /// For `.rejected`: the modem's final result code as it wrote it (`ERROR`, `+CME ERROR: 16`,
    /// `+CMS ERROR: 28`), with the meaning of a `+CMS` code after it.
    public var result: String?

    public init(_ kind: Kind, _ detail: String, cmsError: Int? = nil, result: String? = nil) {
        self.kind = kind
        self.detail = detail
        self.cmsError = cmsError
        self.result = result
    }

    /// Who a failure tells against: the message (its recipient, its content), the modem (its SIM,
    /// its network), or nobody in particular.
    public enum Blame: Sendable, Equatable {
        case message
        case modem
        /// `+CMS ERROR: 500` (unknown error) and the like: repeated failures for one recipient say
        /// nothing about the modem, failures for several do.
        case unknown
    }

    public var blame: Blame {
        if blamesTheMessage || kind == .notSupported { return .message }
        return cmsError == 500 ? .unknown : .modem
    }

    /// Whether the network refused this message for a reason of its own (the recipient does not
    /// exist, is out of service, the PDU is invalid) rather than because of the modem, its SIM or
    /// the network: another message through the same modem would go out. Such failures do not count
    /// against the modem.
    public var blamesTheMessage: Bool {
        guard let cmsError else { return false }
        // TS 24.011 8.2.5.4 causes: 1 unassigned number, 8 operator determined barring, 10 call
        // barred, 21 short message transfer rejected, 27 destination out of service, 28 unidentified
        // subscriber, 29 facility rejected, 30 unknown subscriber, 50 requested facility not subscribed,
        // 95–99 invalid message/information; TS 27.005: 304 invalid PDU mode parameter, 305 invalid
        // text mode parameter. 500 (unknown error) blames nobody (``blame``).
        return [1, 8, 10, 21, 27, 28, 29, 30, 50, 95, 96, 97, 98, 99, 304, 305].contains(cmsError)
    }

    public var description: String { detail }
}

/// What `+CMS ERROR` codes mean (TS 27.005 3.2.5, with the TS 24.011 causes below 128), for logs and
/// the sending-error folder.
enum CMSError {
    static func meaning(_ code: Int) -> String? {
        switch code {
        case 1: "unassigned number"
        case 8: "operator determined barring"
        case 10: "call barred"
        case 21: "short message transfer rejected"
        case 27: "destination out of service"
        case 28: "unidentified subscriber"
        case 29: "facility rejected"
        case 30: "unknown subscriber"
        case 38: "network out of order"
        case 41: "temporary failure"
        case 42: "congestion"
        case 47: "resources unavailable"
        case 50: "requested facility not subscribed"
        case 69: "requested facility not implemented"
        case 95...99: "invalid message"
        case 111: "protocol error"
        case 300: "ME failure"
        case 302: "operation not allowed"
        case 303: "operation not supported"
        case 304: "invalid PDU mode parameter"
        case 310: "SIM not inserted"
        case 311: "SIM PIN required"
        case 313: "SIM failure"
        case 320: "memory failure"
        case 322: "memory full"
        case 330: "SMSC address unknown"
        case 331: "no network service"
        case 332: "network timeout"
        case 500: "unknown error"
        default: nil
        }
    }
}
