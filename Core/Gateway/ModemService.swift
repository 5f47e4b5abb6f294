import ModemSimulator
import ServiceLifecycle
import SwiftletModem

/// Runs a ``ModemWorker`` under the service group, stopping it on graceful shutdown.
struct ModemService: Service {
    let worker: ModemWorker

    func run() async throws {
        await cancelWhenGracefulShutdown { await worker.run() }
    }
}

/// Runs the simulated modem under the service group.
struct SimulatorService: Service {
    let simulator: ModemSimulator

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await simulator.run() }
        } catch is CancellationError {
            // Stopped on graceful shutdown.
        }
    }
}
