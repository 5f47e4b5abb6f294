import Foundation

/// Which messages of a folder to list (the filters of `read_sms`). `nil` means "no filter".
public struct MessageQuery: Sendable, Equatable {
    public var folder: Folder
    public var idFrom: MessageID?
    public var idTo: MessageID?
    /// Sender number (inbox).
    public var sender: String?
    /// Recipient number (outgoing folders).
    public var recipient: String?
    public var dateFrom: Date?
    public var dateTo: Date?
    public var limit: Int?
    public var unreadOnly = false
    /// The user that queued the message (outgoing folders).
    public var createdBy: String?

    public init(folder: Folder) { self.folder = folder }
}
