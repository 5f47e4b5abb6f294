import SwiftletPluginSDK

/// The gateway's own MIB, `SWIFTLET-MIB` (Plugins/SNMP/SWIFTLET-MIB.txt): its OIDs and the values
/// it serves for a status snapshot.
///
/// Swiftlet has no enterprise number of its own yet, so the module sits in Net-SNMP's experimental
/// arc (`netSnmpPlaypen`, .1.3.6.1.4.1.8072.9999.9999), which exists for this; it moves under an
/// IANA number with a new major version of the MIB.
public enum SwiftletMIB {
    public static let root: OID = [1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7765]
    static let objects = root + [1]
    static let gateway = objects + [1]
    static let modemEntry = objects + [2, 1]
    static let queueGroup = objects + [3]
    static let pluginEntry = objects + [4, 1]
    static let sensorEntry = objects + [5, 1]

    /// The notifications (`swiftletNotifications`, under `root.0`).
    public enum Notification: UInt32, Sendable {
        case modemDown = 1
        case modemUp = 2
        case queueStuck = 3
        case pluginDown = 4

        public var oid: OID { SwiftletMIB.root + [0, rawValue] }
    }

    /// swModemState: ready(1), connecting(2), down(3), disabled(4).
    static func modemState(_ modem: StatusSnapshot.Modem) -> Int64 {
        if !modem.enabled { return 4 }
        switch modem.state {
        case "ready": return 1
        case "connecting": return 2
        case "disabled": return 4
        default: return 3
        }
    }

    /// swModemRegistration: home(1), roaming(2), searching(3), denied(4), unknown(5).
    static func registration(_ state: String) -> Int64 {
        ["home": 1, "roaming": 2, "searching": 3, "denied": 4][state] ?? 5
    }

    /// swPluginHealth: ok(1), degraded(2), down(3), unknown(4).
    static func health(_ state: String) -> Int64 { ["ok": 1, "degraded": 2, "down": 3][state] ?? 4 }

    static func modemColumn(_ column: UInt32, _ number: Int) -> OID { modemEntry + [column, UInt32(number)] }
    static func pluginColumn(_ column: UInt32, _ index: Int) -> OID { pluginEntry + [column, UInt32(index)] }

    public static func values(_ snapshot: StatusSnapshot) -> [SNMPValue] {
        var values = [
            SNMPValue(gateway + [1, 0], .string(snapshot.version)),
            SNMPValue(gateway + [2, 0], .string(snapshot.node)),
            SNMPValue(gateway + [3, 0], .gauge(Int64(snapshot.uptimeSeconds))),
        ]
        for modem in snapshot.modems {
            let n = modem.no
            values += [
                SNMPValue(modemColumn(2, n), .string(modem.name)),
                SNMPValue(modemColumn(3, n), .integer(modemState(modem))),
                SNMPValue(modemColumn(4, n), .integer(Int64(modem.state == "ready" ? modem.signal : -1))),
                SNMPValue(modemColumn(5, n), .integer(registration(modem.registration))),
                SNMPValue(modemColumn(6, n), .string(modem.operator ?? "")),
                SNMPValue(modemColumn(7, n), .gauge(Int64(modem.sent))),
                SNMPValue(modemColumn(8, n), .gauge(Int64(modem.received))),
            ]
        }
        let queue = snapshot.queue
        let figures = [
            queue.queued, queue.claimed, queue.submitting, queue.sent, queue.failed, queue.oldestSeconds,
            snapshot.inbox, snapshot.traffic.sentLastDay, snapshot.traffic.failedLastDay,
            snapshot.webhooksPending,
        ]
        for (index, figure) in figures.enumerated() {
            values.append(SNMPValue(queueGroup + [UInt32(index + 1), 0], .gauge(Int64(figure))))
        }
        for (index, plugin) in snapshot.plugins.enumerated() {
            values += [
                SNMPValue(pluginColumn(2, index + 1), .string(plugin.id)),
                SNMPValue(pluginColumn(3, index + 1), .integer(health(plugin.health))),
                SNMPValue(pluginColumn(4, index + 1), .string(plugin.detail)),
            ]
        }
        for (index, sensor) in Sensors.readings(snapshot).enumerated() {
            let row = UInt32(index + 1)
            values += [
                SNMPValue(sensorEntry + [2, row], .string(sensor.name)),
                SNMPValue(sensorEntry + [3, row], .string(Sensors.text(sensor.value))),
                SNMPValue(sensorEntry + [4, row], .string(sensor.metric)),
            ]
        }
        return values
    }
}
