/// The message folders of SMSEagle's API.
public enum Folder: String, CaseIterable, Sendable {
    /// Received messages.
    case inbox
    /// Outgoing messages not yet sent: queued, claimed by a modem, or being submitted.
    case outbox
    /// Outgoing messages the network accepted.
    case sentitems
    /// Outgoing messages that could not be sent.
    case sendingerror
}
