import Foundation
import Logging
import ModemSimulator
import ServiceLifecycle
import SwiftletDomain
import SwiftletModem
import SwiftletStore
import TestSupport
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
        let outbox = Outbox(store: store, didQueue: { _, _ in wakeup.signalSoon() })

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

@Suite("The modem pool")
struct ModemPoolTests {
    /// Two simulated modems, their workers and a dispatcher over a fresh store, for `body`.
    func withPool(
        settings: GatewayConfiguration.Dispatcher,
        maxPerMinute: Int? = nil,
        simulator: SimulatorSettings = SimulatorSettings(),
        _ body: (SQLiteStore, Outbox, [ModemSimulator]) async throws -> Void
    ) async throws {
        let logger = Logger(label: "test")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-pool-\(UUID())").path
        let store = try SQLiteStore(directory: directory)
        let simulators = try (0..<2).map { _ in try ModemSimulator(settings: simulator, logger: logger) }
        let wakeup = Wakeup()
        let workers = simulators.enumerated().map { index, simulator in
            var configuration = ModemConfiguration(name: "modem\(index + 1)", device: simulator.devicePath)
            configuration.maxPerMinute = maxPerMinute
            return ModemWorker(
                configuration: configuration,
                logger: logger,
                receive: { _ in },
                stateChanged: { _ in wakeup.signalSoon() }
            )
        }
        let dispatcher = Dispatcher(
            queue: store,
            modems: workers,
            settings: settings,
            owner: "test",
            wakeup: wakeup,
            logger: logger
        )
        let outbox = Outbox(store: store, modemCount: 2, didQueue: { _, _ in wakeup.signalSoon() })
        try await withThrowingTaskGroup(of: Void.self) { group in
            for simulator in simulators { group.addTask { try await simulator.run() } }
            for worker in workers { group.addTask { await worker.run() } }
            group.addTask { try await dispatcher.run() }
            defer { group.cancelAll() }
            try await waitUntil("both modems to be ready") { workers.allSatisfy { $0.state == .ready } }
            try await body(store, outbox, simulators)
        }
    }

    @Test func whenOneModemFailsEveryMessageGoesOutThroughTheOtherOnce() async throws {
        var settings = GatewayConfiguration.Dispatcher()
        settings.benchAfter = 2
        settings.retryDelay = .milliseconds(100)
        settings.maxAttempts = 5
        try await withPool(settings: settings) { store, outbox, simulators in
            await simulators[1].setRejectingSends(500)
            let texts = (1...8).map { "alarm \($0)" }
            for text in texts {
                _ = try await outbox.send(SendRequest(recipients: ["+46701234567"], text: text, createdBy: "t"))
            }
            try await waitUntil("every message sent", timeout: .seconds(20)) {
                (try? await store.outgoing(matching: MessageQuery(folder: .sentitems)).count) == texts.count
            }
            #expect(try await store.outgoing(matching: MessageQuery(folder: .sendingerror)).isEmpty)
            let delivered = await simulators[0].receivedMessages().map(\.text)
            #expect(delivered.sorted() == texts.sorted())  // each exactly once
            #expect(await simulators[1].receivedMessages().isEmpty)
        }
    }

    /// A message the network refuses because of its recipient says nothing about the modem; a
    /// modem fault benches it.
    @Test(arguments: [(30, true), (28, true), (500, false), (331, false)])
    func onlyModemFaultsBenchAModem(cmsError: Int, sendsOn: Bool) async throws {
        var settings = GatewayConfiguration.Dispatcher()
        settings.benchAfter = 1
        settings.benchFor = .seconds(60)
        settings.maxAttempts = 1
        try await withPool(settings: settings) { store, outbox, simulators in
            await simulators[1].setRejectingSends(cmsError)
            let viaTwo = SendOptions(modemNumber: 2)
            _ = try await outbox.send(
                SendRequest(recipients: ["+46700000000"], text: "a", options: viaTwo, createdBy: "t")
            )
            try await waitUntil("the first message to fail") {
                (try? await store.outgoing(matching: MessageQuery(folder: .sendingerror)).count) == 1
            }
            let failed = try await store.outgoing(matching: MessageQuery(folder: .sendingerror))
            let reason = try #require(failed.first?.lastError)
            #expect(reason.hasPrefix("the network refused the message: +CMS ERROR: \(cmsError) ("), "\(reason)")
            await simulators[1].setRejectingSends(nil)
            _ = try await outbox.send(
                SendRequest(recipients: ["+46701234567"], text: "b", options: viaTwo, createdBy: "t")
            )
            if sendsOn {
                try await waitUntil("the next message sent on the same modem") {
                    await simulators[1].receivedMessages().map(\.text) == ["b"]
                }
            } else {
                try await Task.sleep(for: .seconds(2))  // the benched modem must stay silent meanwhile
                #expect(await simulators[1].receivedMessages().isEmpty)
            }
        }
    }

    /// `+CMS ERROR: 500` (unknown error) for one recipient, retried, is one failure, not three: the
    /// modem is not benched and sends the next message at once.
    @Test func oneRecipientsUnknownErrorsDoNotBenchAModem() async throws {
        var settings = GatewayConfiguration.Dispatcher()
        settings.benchAfter = 2
        settings.benchFor = .seconds(60)
        settings.maxAttempts = 3
        settings.retryDelay = .milliseconds(50)
        var network = SimulatorSettings()
        network.refusedNumbers = ["+46700000666"]
        try await withPool(settings: settings, simulator: network) { store, outbox, simulators in
            let viaTwo = SendOptions(modemNumber: 2)
            _ = try await outbox.send(
                SendRequest(recipients: ["+46700000666"], text: "a", options: viaTwo, createdBy: "t")
            )
            try await waitUntil("the refused message given up after its attempts") {
                (try? await store.outgoing(matching: MessageQuery(folder: .sendingerror)).first?.attempts) == 3
            }
            _ = try await outbox.send(
                SendRequest(recipients: ["+46701234567"], text: "b", options: viaTwo, createdBy: "t")
            )
            try await waitUntil("b sent by modem 2", timeout: .seconds(10)) {
                await simulators[1].receivedMessages().map(\.text) == ["b"]
            }
        }
    }

    @Test func aMessageForModemTwoIsSentByModemTwo() async throws {
        try await withPool(settings: GatewayConfiguration.Dispatcher()) { store, outbox, simulators in
            for _ in 0..<3 {
                _ = try await outbox.send(
                    SendRequest(
                        recipients: ["+46701234567"],
                        text: "via two",
                        options: SendOptions(modemNumber: 2),
                        createdBy: "t"
                    )
                )
            }
            try await waitUntil("the messages sent") {
                (try? await store.outgoing(matching: MessageQuery(folder: .sentitems)).count) == 3
            }
            #expect(await simulators[1].receivedMessages().count == 3)
            #expect(await simulators[0].receivedMessages().isEmpty)
            let modems = try await store.outgoing(matching: MessageQuery(folder: .sentitems)).map(\.modem)
            #expect(modems == ["modem2", "modem2", "modem2"])
        }
    }

    @Test func aModemWithARateLimitSpacesItsSends() async throws {
        try await withPool(settings: GatewayConfiguration.Dispatcher(), maxPerMinute: 120) { store, outbox, _ in
            let started = ContinuousClock.now
            for index in 0..<6 {
                _ = try await outbox.send(
                    SendRequest(
                        recipients: ["+46701234567"],
                        text: "m\(index)",
                        options: SendOptions(modemNumber: index % 2 + 1),
                        createdBy: "t"
                    )
                )
            }
            try await waitUntil("the messages sent") {
                (try? await store.outgoing(matching: MessageQuery(folder: .sentitems)).count) == 6
            }
            // Three messages per modem at most every 0.5 s: at least 1 s from the first to the last.
            #expect(ContinuousClock.now - started >= .milliseconds(1000))
        }
    }
}

extension ModemPoolTests {
    @Test func aRetryGoesToAnotherModemSoAFlakyModemCostsNoMessage() async throws {
        var settings = GatewayConfiguration.Dispatcher()
        settings.benchAfter = 1000  // never benched: only the retry rule keeps messages off the bad modem
        settings.retryDelay = .milliseconds(50)
        settings.maxAttempts = 2
        try await withPool(settings: settings) { store, outbox, simulators in
            await simulators[1].setRejectingSends(500)
            let texts = (1...10).map { "retry \($0)" }
            for text in texts {
                _ = try await outbox.send(SendRequest(recipients: ["+46701234567"], text: text, createdBy: "t"))
            }
            try await waitUntil("every message sent or failed", timeout: .seconds(20)) {
                let sent = (try? await store.outgoing(matching: MessageQuery(folder: .sentitems)).count) ?? 0
                let failed = (try? await store.outgoing(matching: MessageQuery(folder: .sendingerror)).count) ?? 0
                return sent + failed == texts.count
            }
            #expect(try await store.outgoing(matching: MessageQuery(folder: .sendingerror)).isEmpty)
            #expect(await simulators[0].receivedMessages().map(\.text).sorted() == texts.sorted())
        }
    }
}
