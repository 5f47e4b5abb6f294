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
    /// The user that queued the message (outgoing folders), as the caller asked.
    public var createdBy: String?
    /// Only the outgoing messages this user owns (``APIUser/messageOwner``); nil: everyone's. Received
    /// messages are not filtered by it.
    public var owner: String?
    /// Only messages of this modem (`modem_no`): received by it, sent by it, or queued for it.
    public var modem: (number: Int, name: String)?
    /// Received messages filed in this custom folder (`custom`) instead of those in the inbox.
    public var customFolder: String?

    public static func == (lhs: MessageQuery, rhs: MessageQuery) -> Bool {
        lhs.folder == rhs.folder && lhs.idFrom == rhs.idFrom && lhs.idTo == rhs.idTo && lhs.sender == rhs.sender
            && lhs.recipient == rhs.recipient && lhs.dateFrom == rhs.dateFrom && lhs.dateTo == rhs.dateTo
            && lhs.limit == rhs.limit && lhs.unreadOnly == rhs.unreadOnly && lhs.createdBy == rhs.createdBy
            && lhs.owner == rhs.owner
            && lhs.modem?.number == rhs.modem?.number && lhs.modem?.name == rhs.modem?.name
            && lhs.customFolder == rhs.customFolder
    }

    /// A query of every message of `folder`, for the gateway itself (not for a user).
    public init(folder: Folder) { self.folder = folder }

    /// A query of `folder` limited to what `user` may see.
    public init(folder: Folder, for user: APIUser) {
        self.folder = folder
        self.owner = user.messageOwner
    }
}
