import CGMime
import Foundation
import Synchronization

/// A received mail as the gateway needs it: who sent it, its subject, its text, its attachments.
/// Parsed by GMime: MIME structure, transfer encodings, RFC 2047 encoded words and charsets.
struct Mail: Sendable {
    struct Attachment: Sendable, Equatable {
        var mimeType: String
        var filename: String?
        var data: Data
        var text: String?
    }

    /// The address in From (lower case), or nil.
    var from: String?
    /// The address in Reply-To, or nil.
    var replyTo: String?
    /// The decoded subject; empty if none.
    var subject: String
    var messageID: String?
    /// The text: the first text/plain part, else the first text/html part turned into text.
    var text: String
    var attachments: [Attachment]

    /// Parses `raw` (RFC 5322 with MIME, lines ending in CRLF or LF). Nil if it is not a message.
    init?(_ raw: Data) {
        Self.initialise
        guard
            let message = raw.withUnsafeBytes({ bytes in
                swiftlet_mime_parse(bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
            })
        else { return nil }
        defer { swiftlet_mime_free(message) }
        from = swiftlet_mime_first_address(g_mime_message_get_from(message)).map { String(cString: $0).lowercased() }
        replyTo = swiftlet_mime_first_address(g_mime_message_get_reply_to(message)).map {
            String(cString: $0).lowercased()
        }
        subject = g_mime_message_get_subject(message).map { String(cString: $0) } ?? ""
        messageID = g_mime_message_get_message_id(message).map { String(cString: $0) }

        final class Parts {
            var plain: String?
            var html: String?
            var attachments: [Attachment] = []
        }
        let parts = Parts()
        swiftlet_mime_walk(
            message,
            { context, part in
                guard let context, let part = part?.pointee else { return }
                let parts = Unmanaged<Parts>.fromOpaque(context).takeUnretainedValue()
                let mimeType = String(cString: part.mime_type)
                let disposition = part.disposition.map { String(cString: $0).lowercased() }
                let filename = part.filename.map { String(cString: $0) }
                let text = part.text.map { String(cString: $0) }
                let isAttachment = disposition == "attachment" || (filename != nil && disposition != "inline")
                if !isAttachment, let text {
                    if mimeType == "text/plain", parts.plain == nil {
                        parts.plain = text
                        return
                    }
                    if mimeType == "text/html", parts.html == nil {
                        parts.html = text
                        return
                    }
                }
                let data = part.bytes.map { Data(bytes: $0, count: part.size) } ?? Data()
                parts.attachments.append(Attachment(mimeType: mimeType, filename: filename, data: data, text: text))
            },
            Unmanaged.passUnretained(parts).toOpaque()
        )
        text = parts.plain ?? parts.html.map(HTMLText.text(from:)) ?? ""
        attachments = parts.attachments
    }

    /// GMime must be initialised once per process before any use.
    private static let initialise: Void = { g_mime_init() }()
}
