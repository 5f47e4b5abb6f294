import Foundation
import SwiftletPluginSDK
import Synchronization

/// SNMP for central monitoring: an AgentX subagent of the system's snmpd (net-snmp) that serves
/// the names SMSEagle's monitoring plugins read (NET-SNMP-EXTEND-MIB), the gateway's own
/// `SWIFTLET-MIB`, and optionally `sysDescr`; and sends notifications through snmpd when a modem
/// goes down or comes back, the queue is stuck, or a plugin goes down.
///
/// Why a subagent and not snmpd `extend` lines: a spike against snmpd 5.9.3 showed that instances
/// registered by a subagent inside `nsExtendObjects` are served and walked in order beside snmpd's
/// own extend entries (GET, GETNEXT, GETBULK), so one mechanism serves both MIBs, with values
/// current at each refresh, no process forked per poll, no files for snmpd to read, and the
/// notifications from the same session. snmpd keeps SNMPv1/v2c/v3 (communities, USM users, views).
public final class SNMPPlugin: Plugin {
    public static let id = "snmp"
    public static let version = "1.0.0"

    public struct Configuration: Decodable, Sendable {
        /// snmpd's AgentX socket (`agentXSocket` in snmpd.conf).
        public var agentxSocket: String
        /// Seconds between reconnection attempts while snmpd is away.
        public var pingInterval: Int
        /// Seconds between refreshes of the values from the gateway's status.
        public var refresh: Int
        /// Serve the names SMSEagle serves under NET-SNMP-EXTEND-MIB.
        public var smseagleCompatible: Bool
        /// Served as `sysDescr.0` in place of snmpd's; Checkmk recognises an SMSEagle by "smseagle" in it.
        public var sysDescr: String?
        /// Seconds the oldest due message may wait before `swQueueStuck` is sent.
        public var queueStuckAfter: Int
    }

    let configuration: Configuration
    let host: any PluginHost
    private let state = Mutex(Watch())
    private let timer = Mutex<UInt64?>(nil)

    public init(configuration: Configuration, host: any PluginHost) throws {
        guard configuration.refresh >= 1, configuration.pingInterval >= 1, configuration.queueStuckAfter >= 1 else {
            throw PluginError(.invalid, "refresh, ping_interval and queue_stuck_after are at least 1 second")
        }
        self.configuration = configuration
        self.host = host
    }

    public func start() async throws {
        let snapshot = try await host.statusSnapshot()
        try host.subscribe(ModemStatusEvent.kind)
        let id = try host.startTimer(after: .seconds(configuration.refresh), every: .seconds(configuration.refresh)) {
            [self] in Task { await refresh() }
        }
        timer.withLock { $0 = id }
        state.withLock { $0.start() }
        try Agent.start(socket: configuration.agentxSocket, pingSeconds: configuration.pingInterval, host: host)
        host.reportHealth(.degraded, "connecting to snmpd's AgentX socket \(configuration.agentxSocket)")
        // The gateway's own MIB as one subtree; each SMSEagle name's instances one by one, so that
        // snmpd's own extend entries stay served beside them; sysDescr.0 as an instance.
        Agent.register(SwiftletMIB.root)
        if configuration.smseagleCompatible {
            for (name, text) in SMSEagleNames.values(snapshot) {
                for instance in SMSEagleNames.instances(name: name, text: text) { Agent.register(instance.oid) }
            }
        }
        if configuration.sysDescr != nil { Agent.register(Self.sysDescr) }
        publish(snapshot)
        host.log(.info, "SNMP subagent started; snmpd's AgentX socket: \(configuration.agentxSocket)")
    }

    public func handle(_ event: Event) async {
        guard event.kind == ModemStatusEvent.kind, let status = try? event.decode(ModemStatusEvent.self) else { return }
        // Notified at once; the values follow at the refresh right after.
        if let notification = state.withLock({ $0.modem(status) }) {
            send(
                notification,
                values: [
                    SNMPValue(SwiftletMIB.modemColumn(2, status.modemNo), .string(status.modem)),
                    SNMPValue(
                        SwiftletMIB.modemColumn(3, status.modemNo),
                        .integer(status.state == .ready ? 1 : status.state == .connecting ? 2 : 3)
                    ),
                ]
            )
        }
        await refresh()
    }

    public func stop() async {
        if let id = timer.withLock({ $0 }) { try? host.cancelTimer(id) }
        Agent.stop()
    }

    static let sysDescr: OID = [1, 3, 6, 1, 2, 1, 1, 1, 0]

    func refresh() async {
        let snapshot: StatusSnapshot
        do {
            snapshot = try await host.statusSnapshot()
        } catch {
            host.log(.warning, "cannot read the gateway's status: \(error)")
            return
        }
        publish(snapshot)
        let (stuck, pluginsDown) = state.withLock { $0.update(snapshot, stuckAfter: configuration.queueStuckAfter) }
        if stuck {
            send(
                .queueStuck,
                values: [
                    SNMPValue(SwiftletMIB.queueGroup + [6, 0], .gauge(Int64(snapshot.queue.oldestSeconds))),
                    SNMPValue(SwiftletMIB.queueGroup + [1, 0], .gauge(Int64(snapshot.queue.queued))),
                ]
            )
        }
        for (index, plugin) in pluginsDown {
            send(
                .pluginDown,
                values: [
                    SNMPValue(SwiftletMIB.pluginColumn(2, index), .string(plugin.id)),
                    SNMPValue(SwiftletMIB.pluginColumn(4, index), .string(plugin.detail)),
                ]
            )
        }
        let connected = Agent.isConnected
        if state.withLock({ $0.connectionChanged(connected) }) {
            host.reportHealth(
                connected ? .ok : .degraded,
                connected
                    ? "serving snmpd as an AgentX subagent through \(configuration.agentxSocket)"
                    : "cannot reach snmpd's AgentX socket \(configuration.agentxSocket); trying again every \(configuration.pingInterval) s"
            )
        }
    }

    private func publish(_ snapshot: StatusSnapshot) {
        var values = SwiftletMIB.values(snapshot)
        if configuration.smseagleCompatible {
            for (name, text) in SMSEagleNames.values(snapshot) {
                values += SMSEagleNames.instances(name: name, text: text)
            }
        }
        if let sysDescr = configuration.sysDescr { values.append(SNMPValue(Self.sysDescr, .string(sysDescr))) }
        Agent.publish(values)
    }

    private func send(_ notification: SwiftletMIB.Notification, values: [SNMPValue]) {
        Agent.notify(notification.oid, values)
        host.log(.notice, "SNMP notification sent: \(notification)")
    }
}

/// What was last notified, so each change is notified once.
struct Watch {
    /// Modems (by number) notified down and not yet up again.
    var modemsDown: Set<Int> = []
    var queueStuck = false
    var pluginHealth: [String: String] = [:]
    var connected: Bool?

    /// Nothing notified yet: a plugin already down at the first refresh is notified then.
    mutating func start() {
        connected = false
        pluginHealth = [:]
    }

    /// The notification a modem's new state calls for, if any.
    mutating func modem(_ status: ModemStatusEvent) -> SwiftletMIB.Notification? {
        switch status.state {
        case .down: modemsDown.insert(status.modemNo).inserted ? .modemDown : nil
        case .ready: modemsDown.remove(status.modemNo) != nil ? .modemUp : nil
        case .connecting: nil
        }
    }

    /// Whether the queue has just become stuck, and the plugins (with their row) that just went down.
    mutating func update(_ snapshot: StatusSnapshot, stuckAfter: Int) -> (Bool, [(Int, StatusSnapshot.Plugin)]) {
        let stuck = (snapshot.queue.oldestSeconds) >= stuckAfter
        defer { queueStuck = stuck }
        var down: [(Int, StatusSnapshot.Plugin)] = []
        for (index, plugin) in snapshot.plugins.enumerated() {
            if plugin.health == "down", pluginHealth[plugin.id] != "down" { down.append((index + 1, plugin)) }
            pluginHealth[plugin.id] = plugin.health
        }
        return (stuck && !queueStuck, down)
    }

    /// Whether the connection to snmpd changed since the last look (the first look counts).
    mutating func connectionChanged(_ now: Bool) -> Bool {
        defer { connected = now }
        return connected != now
    }
}
