import Foundation
import Logging
import ModemSimulator
import ServiceLifecycle
import SwiftletDomain
import SwiftletModem
import SwiftletStore
import Testing

@testable import SwiftletGateway

@Suite("The dispatcher with the real store and the simulated modem")
struct DispatcherTests {
    @Test func aMessageQueuedWhileTheModemIsMissingIsSentWhenItAppears() async throws {
        let logger = Logger(label: "test")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-dispatch-\(UUID())")
            .path
        let store = try SQLiteStore(directory: directory)
        let simulator = try ModemSimulator(logger: logger)
        let link = directory + "/ttyModem"
        let wakeup = Wakeup()
        let worker = ModemWorker(
            configuration: ModemConfiguration(name: "late", device: link),
            logger: logger,
            receive: { _ in },
            stateChanged: { _ in wakeup.signalSoon() }
        )
        var settings = GatewayConfiguration.Dispatcher()
        settings.sweepInterval = .seconds(60)  // only events may wake the dispatcher in this test
        let dispatcher = Dispatcher(
            queue: store,
            modems: [worker],
            settings: settings,
            owner: "test",
            wakeup: wakeup,
            logger: logger
        )
        let outbox = Outbox(store: store, didQueue: { wakeup.signalSoon() })

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await simulator.run() }
            group.addTask { await worker.run() }
            group.addTask { try await dispatcher.run() }
            defer { group.cancelAll() }

            let ids = try await outbox.send(
                SendRequest(recipients: ["+46701234567"], text: "wait for me", createdBy: "t")
            )
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await store.queueLength(createdFrom: nil, createdTo: nil) == 1)

            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: simulator.devicePath)
            try await waitUntil("the message to be sent", timeout: .seconds(15)) {
                (try? await store.outgoing(matching: MessageQuery(folder: .sentitems)).map(\.id)) == ids
            }
            #expect(await simulator.receivedMessages().map(\.text) == ["wait for me"])

            // With the modem up, a new message goes out at once: queueing wakes the dispatcher.
            let started = ContinuousClock.now
            _ = try await outbox.send(SendRequest(recipients: ["+46701234567"], text: "now", createdBy: "t"))
            try await waitUntil("the second message to be sent") { await simulator.receivedMessages().count == 2 }
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }
}
