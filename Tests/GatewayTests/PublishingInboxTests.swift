import Foundation
import SwiftletDomain
import SwiftletPluginHost
import SwiftletPluginSDK
import SwiftletStore
import Synchronization
import Testing

@testable import SwiftletGateway

@Suite("sms.incoming is published for every way into the inbox")
struct PublishingInboxTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-inbox-\(UUID())").path

    func part(
        _ text: String,
        _ sequence: Int,
        of total: Int,
        from sender: String = "+46701234567"
    ) -> NewIncomingMessage {
        NewIncomingMessage(
            sender: sender,
            text: text,
            sentAt: Date(timeIntervalSince1970: 1_800_000_000),
            serviceCentre: nil,
            unicode: false,
            modem: "modem1",
            part: MessagePart(reference: 7, total: total, sequence: sequence)
        )
    }

    final class Seen: Sendable {
        let events = Mutex<[IncomingSMSEvent]>([])
        func withLock<T>(_ body: ([IncomingSMSEvent]) -> T) -> T { events.withLock { body($0) } }
    }

    func subscribed() throws -> (PublishingInbox, Seen) {
        let events = EventBus()
        let seen = Seen()
        events.subscribe("test", to: IncomingSMSEvent.kind) { _, json in
            let event = try! Event(kind: IncomingSMSEvent.kind, json: json).decode(IncomingSMSEvent.self)
            seen.events.withLock { $0.append(event) }
        }
        return (PublishingInbox(store: try SQLiteStore(directory: directory), events: events), seen)
    }

    @Test("a concatenated message is published once, when complete, with every part's text joined")
    func joinedText() async throws {
        let (inbox, seen) = try subscribed()
        #expect(try await inbox.store(part("world", 2, of: 2)) == nil)
        #expect(seen.withLock { $0.isEmpty })
        let id = try #require(try await inbox.store(part("JOIN hello ", 1, of: 2)))
        #expect(seen.withLock { $0.map(\.id) } == [Int(id)])
        #expect(seen.withLock { $0.map(\.text) } == ["JOIN hello world"])
        #expect(seen.withLock { $0.map(\.from) } == ["+46701234567"])
    }

    @Test("a message put into the inbox incomplete by housekeeping is published too")
    func incomplete() async throws {
        let (inbox, seen) = try subscribed()
        #expect(try await inbox.store(part("STOP now", 1, of: 3)) == nil)
        let ids = try await inbox.deliverIncomplete(receivedBefore: Date().addingTimeInterval(1))
        #expect(ids.count == 1)
        #expect(seen.withLock { $0.map(\.id) } == ids.map { Int($0) })
        #expect(seen.withLock { $0.first?.text.hasPrefix("STOP now") } == true)
    }
}
