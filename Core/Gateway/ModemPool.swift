import SwiftletDomain
import SwiftletModem

/// The gateway's modems as the APIs see them: `modem_no` 1…N in the order of the configuration.
struct ModemPool: ModemControl {
    let workers: [ModemWorker]
    let settings: any ModemSettingsStore

    var modemCount: Int { workers.count }

    func worker(_ number: Int) throws -> ModemWorker {
        guard workers.indices.contains(number - 1) else {
            throw SwiftletError(.notFound, "there is no modem \(number) (this gateway has \(workers.count))")
        }
        return workers[number - 1]
    }

    func name(ofModem number: Int) throws -> String { try worker(number).configuration.name }

    func signalPercent(modem: Int) throws -> Int {
        let worker = try worker(modem)
        guard worker.state == .ready else { return -1 }
        return worker.signal?.percent ?? -1
    }

    func isEnabled(modem: Int) throws -> Bool { try worker(modem).isEnabled }

    func setEnabled(modem: Int, _ enabled: Bool) async throws {
        let worker = try worker(modem)
        try await settings.setModem(worker.configuration.name, enabled: enabled)
        worker.setEnabled(enabled)
    }

    func call(modem: Int, number: PhoneNumber, seconds: Int) async throws {
        let worker = try worker(modem)
        try await Self.mapped { try await worker.call(number.value, duration: .seconds(seconds)) }
    }

    func callForwarding(modem: Int) async throws -> String? {
        let worker = try worker(modem)
        let forwarding = try await Self.mapped { try await worker.callForwarding() }
        return forwarding.enabled ? forwarding.number ?? "" : nil
    }

    func setCallForwarding(modem: Int, to number: PhoneNumber?) async throws {
        let worker = try worker(modem)
        try await Self.mapped { try await worker.setCallForwarding(to: number?.value) }
    }

    /// Modem errors as the domain's: `.notSupported`, or `.unavailable` with the modem's reason.
    static func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ModemError {
            throw SwiftletError(error.kind == .notSupported ? .notSupported : .unavailable, error.detail)
        }
    }
}
