/// Where an outgoing message is in its life: `queued → claimed → submitting → sent | failed`.
///
/// - `queued`: committed, waiting for its time and a modem.
/// - `claimed`: a dispatcher holds it under a lease; if the lease expires it is queued again.
/// - `submitting`: `AT+CMGS` may be under way. A crash here can at most duplicate the message, so a
///   message found in this state after a crash is queued again (and the log says so).
/// - `sent`: the network accepted it (a message reference was returned).
/// - `failed`: given up after the configured attempts, with the reason.
public enum OutgoingState: String, CaseIterable, Sendable {
    case queued
    case claimed
    case submitting
    case sent
    case failed

    /// The API folder a message in this state is listed in.
    public var folder: Folder {
        switch self {
        case .queued, .claimed, .submitting: .outbox
        case .sent: .sentitems
        case .failed: .sendingerror
        }
    }

    /// The states listed in `folder` (none for the inbox).
    public static func states(in folder: Folder) -> [OutgoingState] {
        allCases.filter { $0.folder == folder }
    }
}
