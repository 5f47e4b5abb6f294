import SwiftletPluginSDK

/// An object identifier, as SNMP numbers it.
public typealias OID = [UInt32]

/// One value served at an OID.
public struct SNMPValue: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int64)
        case gauge(Int64)
        case counter64(Int64)
    }
    public var oid: OID
    public var value: Value

    public init(_ oid: OID, _ value: Value) {
        self.oid = oid
        self.value = value
    }
}

/// The names SMSEagle serves through snmpd's `extend` (NET-SNMP-EXTEND-MIB), which published
/// monitoring plugins read (Checkmk's SMSEagle plugin, check_smseagle for Nagios/Icinga): one
/// entry per name, indexed by the name as a length-prefixed ASCII string, its value as text in
/// `nsExtendOutput1Line`/`nsExtendOutputFull` (and as line 1 in `nsExtendOutLine`).
public enum SMSEagleNames {
    static let outputTable: OID = [1, 3, 6, 1, 4, 1, 8072, 1, 3, 2, 3, 1]
    static let lineColumn: OID = [1, 3, 6, 1, 4, 1, 8072, 1, 3, 2, 4, 1, 2]

    /// The names and their values for `snapshot`, in SMSEagle's terms:
    /// - per modem N (from 1): `GSM_SignalN` (percent; 0 when the modem is not ready),
    ///   `GSM_NetNameN` (the operator; empty when not registered), `GSM_ModemStateN` (`on`/`off`),
    ///   `SIM_StateN` (`READY` while the modem works), `SIM_RegStateN` (`Registered Home`,
    ///   `Registered Roaming`, `Searching`, `Registration Denied`, `Unknown`), `SMSCountInN` and
    ///   `SMSCountOutN` (messages received and sent through it, as kept);
    /// - `FolderInbox_Total`, `FolderOutbox_Total` (waiting to be sent), `FolderSent_Last24H`,
    ///   `FolderSent_Last1M` (30 days), `FolderSent_Last24HSendErr`;
    /// - `Temp`, `Temp1`–`Temp4`, `Humidity`: a plugin's gauge with the label `sensor` of that
    ///   name, else `-1` (not present).
    public static func values(_ snapshot: StatusSnapshot) -> [(name: String, text: String)] {
        var values: [(name: String, text: String)] = []
        for modem in snapshot.modems {
            let n = modem.no
            let ready = modem.state == "ready"
            values += [
                ("GSM_Signal\(n)", "\(ready ? max(modem.signal, 0) : 0)"),
                ("GSM_NetName\(n)", ready ? modem.operator ?? "" : ""),
                ("GSM_ModemState\(n)", ready ? "on" : "off"),
                ("SIM_State\(n)", ready ? "READY" : "NOT READY"),
                ("SIM_RegState\(n)", ready ? registration(modem.registration) : "Unknown"),
                ("SMSCountIn\(n)", "\(modem.received)"),
                ("SMSCountOut\(n)", "\(modem.sent)"),
            ]
        }
        let queue = snapshot.queue
        values += [
            ("FolderInbox_Total", "\(snapshot.inbox)"),
            ("FolderOutbox_Total", "\(queue.queued + queue.claimed + queue.submitting)"),
            ("FolderSent_Last24H", "\(snapshot.traffic.sentLastDay)"),
            ("FolderSent_Last1M", "\(snapshot.traffic.sentLast30Days)"),
            ("FolderSent_Last24HSendErr", "\(snapshot.traffic.failedLastDay)"),
        ]
        let sensors = Sensors.readings(snapshot)
        for name in ["Temp", "Temp1", "Temp2", "Temp3", "Temp4", "Humidity"] {
            values.append((name, sensors.first { $0.name == name }.map { Sensors.text($0.value) } ?? "-1"))
        }
        return values
    }

    static func registration(_ state: String) -> String {
        switch state {
        case "home": "Registered Home"
        case "roaming": "Registered Roaming"
        case "searching": "Searching"
        case "denied": "Registration Denied"
        default: "Unknown"
        }
    }

    /// A name as an index of the extend tables: its length, then its bytes.
    static func index(_ name: String) -> OID { [UInt32(name.utf8.count)] + name.utf8.map(UInt32.init) }

    /// The instances one name occupies: nsExtendOutput1Line, nsExtendOutputFull, nsExtendOutNumLines,
    /// nsExtendResult, and nsExtendOutLine line 1. Each is registered on its own with snmpd, so the
    /// extend entries snmpd has of its own stay served beside them.
    public static func instances(name: String, text: String) -> [SNMPValue] {
        let index = index(name)
        return [
            SNMPValue(outputTable + [1] + index, .string(text)),
            SNMPValue(outputTable + [2] + index, .string(text)),
            SNMPValue(outputTable + [3] + index, .integer(1)),
            SNMPValue(outputTable + [4] + index, .integer(0)),
            SNMPValue(lineColumn + index + [1], .string(text)),
        ]
    }
}

/// Readings of sensors: gauges plugins report (ABI 1.4 `report_metric`) with a `sensor` label.
enum Sensors {
    static func readings(_ snapshot: StatusSnapshot) -> [(name: String, value: Double, metric: String)] {
        snapshot.metrics.compactMap { sample in
            guard sample.type == .gauge, let name = sample.labels?["sensor"] else { return nil }
            return (name, sample.value, sample.name)
        }
    }

    /// A reading as SMSEagle writes it: a decimal number, e.g. `21.5`.
    static func text(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? "\(Int64(value))" : "\((value * 100).rounded() / 100)"
    }
}
