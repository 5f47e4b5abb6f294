import Foundation
import SNMPPlugin
import SwiftletPluginSDK
import TestSupport
import Testing

@Suite("SNMP plugin: values and MIB")
struct SNMPValuesTests {
    func snapshot(modemState: String = "ready", registration: String = "roaming") -> StatusSnapshot {
        var modem = StatusSnapshot.Modem(
            no: 1,
            name: "telia",
            state: modemState,
            enabled: true,
            signal: 58,
            registration: registration,
            operator: "Telia SE"
        )
        modem.sent = 12
        modem.received = 3
        var queue = StatusSnapshot.Queue()
        queue.queued = 4
        queue.claimed = 1
        queue.oldestSeconds = 90
        var snapshot = StatusSnapshot(
            version: "0.2.0",
            node: "gw1",
            uptimeSeconds: 60,
            at: Date(),
            queue: queue,
            inbox: 7,
            modems: [modem],
            plugins: [.init(id: "mqtt", health: "down", detail: "broker gone")],
            providers: [],
            metrics: [
                MetricSample(
                    name: "swiftlet_sensors_temperature_celsius",
                    type: .gauge,
                    labels: ["sensor": "Temp1"],
                    value: 21.5
                ),
                MetricSample(
                    name: "swiftlet_sensors_humidity_percent",
                    type: .gauge,
                    labels: ["sensor": "Humidity"],
                    value: 40
                ),
                MetricSample(name: "swiftlet_mqtt_sent_total", type: .counter, labels: ["sensor": "Temp2"], value: 9),
            ]
        )
        var traffic = StatusSnapshot.Traffic()
        traffic.sentLastDay = 5
        traffic.sentLast30Days = 40
        traffic.failedLastDay = 2
        snapshot.traffic = traffic
        return snapshot
    }

    @Test func smseagleNamesAsItsMonitoringPluginsParseThem() {
        let values = Dictionary(uniqueKeysWithValues: SMSEagleNames.values(snapshot()).map { ($0.name, $0.text) })
        #expect(
            values == [
                "GSM_Signal1": "58", "GSM_NetName1": "Telia SE", "GSM_ModemState1": "on", "SIM_State1": "READY",
                "SIM_RegState1": "Registered Roaming", "SMSCountIn1": "3", "SMSCountOut1": "12",
                "FolderInbox_Total": "7", "FolderOutbox_Total": "5", "FolderSent_Last24H": "5",
                "FolderSent_Last1M": "40",
                "FolderSent_Last24HSendErr": "2", "Temp": "-1", "Temp1": "21.5", "Temp2": "-1", "Temp3": "-1",
                "Temp4": "-1", "Humidity": "40",
            ]
        )
        let down = Dictionary(
            uniqueKeysWithValues: SMSEagleNames.values(snapshot(modemState: "down")).map { ($0.name, $0.text) }
        )
        #expect(down["GSM_Signal1"] == "0" && down["GSM_ModemState1"] == "off" && down["GSM_NetName1"] == "")
        #expect(down["SIM_RegState1"] == "Unknown" && down["SIM_State1"] == "NOT READY")
    }

    @Test func anExtendIndexIsTheNameLengthPrefixed() {
        // As check_smseagle hard-codes it: GSM_Signal1 under nsExtendOutputFull.
        let instances = SMSEagleNames.instances(name: "GSM_Signal1", text: "58")
        let full: OID = [1, 3, 6, 1, 4, 1, 8072, 1, 3, 2, 3, 1, 2, 11, 71, 83, 77, 95, 83, 105, 103, 110, 97, 108, 49]
        #expect(instances.contains(SNMPValue(full, .string("58"))))
        #expect(
            instances.map(\.oid).contains([1, 3, 6, 1, 4, 1, 8072, 1, 3, 2, 4, 1, 2] + Array(full.suffix(12)) + [1])
        )
    }

    @Test func ownMIBValuesUseTheMIBsNumbers() {
        let values = SwiftletMIB.values(snapshot())
        let root = SwiftletMIB.root
        #expect(values.contains(SNMPValue(root + [1, 2, 1, 4, 1], .integer(58))))  // swModemSignal.1
        #expect(values.contains(SNMPValue(root + [1, 2, 1, 5, 1], .integer(2))))  // swModemRegistration.1 roaming
        #expect(values.contains(SNMPValue(root + [1, 3, 6, 0], .gauge(90))))  // swQueueOldestAge.0
        #expect(values.contains(SNMPValue(root + [1, 4, 1, 3, 1], .integer(3))))  // swPluginHealth.1 down
        #expect(values.contains(SNMPValue(root + [1, 5, 1, 3, 1], .string("21.5"))))  // swSensorValue.1
        #expect(!values.contains { $0.oid == root + [1, 5, 1, 2, 3] }, "a counter is no sensor reading")
    }

    /// The MIB passes libsmi's strictest check, with the SMIv2 base modules of RFC 2578-2580.
    @Test func theMIBPassesSmilint() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let result = try await MosquittoBroker.runDetached(
            "/usr/bin/env",
            [
                "SMIPATH=\(root)/Tests/Fixtures/ietf-mibs:/usr/share/snmp/mibs", "/usr/bin/smilint", "-l", "9", "-s",
                "\(root)/Plugins/SNMP/SWIFTLET-MIB.txt",
            ]
        )
        #expect(result.status == 0 && result.output.isEmpty, "smilint:\n\(result.output)")
    }
}
