import Foundation
import Logging
import SwiftletDomain
import SwiftletEvents

/// The inbox as the gateway uses it: every message that is committed — from a modem, joined from
/// its parts, put in incomplete by housekeeping, or delivered by a plugin — is published as
/// `sms.incoming`, with the text as stored (all parts joined). One place, so no way into the inbox
/// can forget to tell subscribers.
struct PublishingInbox: InboxWriter {
    let store: any InboxWriter & MessageStore
    let events: EventBus
    var logger = Logger(label: "swiftlet")

    func store(_ message: NewIncomingMessage) async throws -> MessageID? {
        let id = try await store.store(message)
        if let id { await publish([id]) }
        return id
    }

    func deliverIncomplete(receivedBefore cutoff: Date) async throws -> [MessageID] {
        let ids = try await store.deliverIncomplete(receivedBefore: cutoff)
        await publish(ids)
        return ids
    }

    /// Reads the committed messages back (a concatenated one's text exists only in the store) and
    /// publishes them. Nothing is read while nobody listens. A failed read loses the event, never the message.
    private func publish(_ ids: [MessageID]) async {
        guard !ids.isEmpty, events.wants(IncomingSMSEvent.kind) else { return }
        var query = MessageQuery(folder: .inbox)
        query.idFrom = ids.min()
        query.idTo = ids.max()
        let messages: [IncomingMessage]
        do {
            messages = try await store.incoming(matching: query)
        } catch {
            logger.error(
                "messages are in the inbox, but cannot be read back to tell plugins",
                metadata: ["message.ids": "\(ids)", "error": "\(error)"]
            )
            return
        }
        for message in messages where ids.contains(message.id) {
            events.publish(
                kind: IncomingSMSEvent.kind,
                body: IncomingSMSEvent(
                    id: Int(message.id),
                    from: message.sender,
                    text: message.text,
                    sentAt: message.sentAt,
                    receivedAt: message.receivedAt,
                    modem: message.modem,
                    unicode: message.unicode
                )
            )
        }
    }
}
