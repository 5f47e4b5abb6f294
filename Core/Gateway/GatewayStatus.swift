import Foundation
import SwiftletDomain
import SwiftletEvents
import SwiftletModem
import SwiftletPluginHost
import SwiftletStore

/// The gateway's state in one read-only snapshot (ABI 1.4 `status_snapshot`): the queue by state,
/// the modems, the plugins' health, the providers and the metrics. What SNMP and metrics plugins read.
struct GatewayStatus: Sendable {
    let store: SQLiteStore
    let modems: [ModemWorker]
    let providers: ProviderRegistry
    let metrics: MetricsRegistry
    let node: String
    let started: Date

    func snapshot() async throws -> StatusSnapshot {
        let counts = try await store.outgoingCountsByState()
        var queue = StatusSnapshot.Queue()
        queue.queued = counts["queued"] ?? 0
        queue.claimed = counts["claimed"] ?? 0
        queue.submitting = counts["submitting"] ?? 0
        queue.sent = counts["sent"] ?? 0
        queue.failed = counts["failed"] ?? 0
        let now = Date()
        queue.oldestSeconds = Int(try await store.oldestDueAge(now: now) ?? 0)
        var traffic = StatusSnapshot.Traffic()
        traffic.sentLastDay = try await store.count(in: .sentitems, from: now - 86400, to: nil, modem: nil)
        traffic.sentLast30Days = try await store.count(in: .sentitems, from: now - 30 * 86400, to: nil, modem: nil)
        traffic.failedLastDay = try await store.count(in: .sendingerror, from: now - 86400, to: nil, modem: nil)
        var modems: [StatusSnapshot.Modem] = []
        for (index, modem) in self.modems.enumerated() {
            var entry = StatusSnapshot.Modem(
                no: index + 1,
                name: modem.configuration.name,
                state: Self.name(modem.state),
                enabled: modem.isEnabled,
                signal: modem.state == .ready ? modem.signal?.percent ?? -1 : -1,
                registration: Self.name(modem.registration),
                operator: modem.state == .ready ? modem.operatorName : nil
            )
            let key = (number: index + 1, name: modem.configuration.name)
            entry.sent = try await store.count(in: .sentitems, from: nil, to: nil, modem: key)
            entry.received = try await store.count(in: .inbox, from: nil, to: nil, modem: key)
            modems.append(entry)
        }
        var snapshot = StatusSnapshot(
            version: SwiftletVersion.text,
            node: node,
            uptimeSeconds: Int(now.timeIntervalSince(started)),
            at: now,
            queue: queue,
            inbox: try await store.count(in: .inbox, from: nil, to: nil, modem: nil),
            modems: modems,
            plugins: try await store.pluginHealth().map {
                StatusSnapshot.Plugin(id: $0.plugin, health: $0.state, detail: $0.detail)
            },
            providers: providers.providers().map {
                StatusSnapshot.Provider(role: $0.role.name, name: $0.name, plugin: $0.plugin)
            },
            metrics: metrics.samples
        )
        snapshot.traffic = traffic
        snapshot.webhooksPending = try await store.pendingWebhookDeliveries()
        return snapshot
    }

    static func name(_ state: ModemState) -> String {
        switch state {
        case .ready: "ready"
        case .connecting: "connecting"
        case .down: "down"
        case .disabled: "disabled"
        }
    }

    static func name(_ registration: Registration?) -> String {
        switch registration {
        case .home: "home"
        case .roaming: "roaming"
        case .searching: "searching"
        case .denied: "denied"
        case .notSearching, .unknown, nil: "unknown"
        }
    }
}
