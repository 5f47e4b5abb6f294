import Foundation
import SwiftletPluginSDK
import SwiftletPluginTestKit
import TestSupport
import Testing

@testable import SensorsPlugin

/// The plugin with the SDK's FakeHost made from its manifest, on a sysfs tree and line files the
/// test changes.
@Suite("Sensors plugin")
struct SensorsPluginTests {
    static let manifest = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Plugins/Sensors/sensors.plugin.json").path

    func published(_ host: FakeHost, _ kind: String) -> [[String: String]] {
        host.published.filter { $0.kind == kind }.compactMap {
            try? JSONDecoder().decode([String: String].self, from: $0.json)
        }
    }

    @Test(
        "readings become gauges with the sensor label and sensors.reading; a threshold crossed is sensors.alarm; a relay switched by the rule action confirms to the sender; a door opening is sensors.input"
    )
    func endToEndInProcess() async throws {
        let tree = try SysfsTree()
        try tree.ds18b20("28-000005e2fdc3", 21.5)
        try tree.write("gpio/door", "1\n")
        try tree.write("gpio/relay1", "0\n")
        let host = try FakeHost(manifest: Self.manifest)
        host.answerPublishAndWait { _ in ["a rule"] }
        let json = """
            {"sysfs_root": "\(tree.root.path)", "interval": 3600,
             "sensors": [{"name": "Temp1", "source": "w1", "device": "28-000005e2fdc3"}],
             "alarms": [{"sensor": "Temp1", "above": 30, "hysteresis": 1}],
             "inputs": [{"name": "Door", "backend": "file", "path": "\(tree.root.path)/gpio/door", "normally": "closed", "debounce_ms": 0}],
             "outputs": [{"name": "RELAY1", "backend": "file", "path": "\(tree.root.path)/gpio/relay1"}]}
            """
        let plugin = try host.makePlugin(SensorsPlugin.self, configuration: json)
        try await plugin.start()
        defer { Task { await plugin.stop() } }
        #expect(host.ruleKinds["sensors.alarm"] == .trigger && host.ruleKinds["sensors.output"] == .action)
        #expect(host.logs.contains { $0.message.hasPrefix("found: 1-Wire 28-000005e2fdc3; hwmon none; IIO none") })
        let gauge = try #require(host.metrics.last { $0.name == "temperature_celsius" })
        #expect(gauge.labels == ["sensor": "Temp1"] && gauge.value == 21.5 && gauge.type == .gauge)
        #expect(
            published(host, "sensors.reading").last == [
                "sensor": "Temp1", "value": "21.5", "unit": "°C", "quantity": "temperature",
            ]
        )
        #expect(published(host, "sensors.alarm").isEmpty)

        try tree.ds18b20("28-000005e2fdc3", 31.25)
        await plugin.poll()
        #expect(published(host, "sensors.alarm").last?["state"] == "alarm")
        #expect(
            published(host, "sensors.alarm").last?["value"] == "31.2"
                || published(host, "sensors.alarm").last?["value"] == "31.3"
        )
        try tree.ds18b20("28-000005e2fdc3", 23, crc: false)
        await plugin.poll()
        #expect(host.healthReports.last?.health == .degraded)
        #expect(host.healthReports.last?.detail.contains("bad CRC") == true)
        try tree.ds18b20("28-000005e2fdc3", 20)
        await plugin.poll()
        #expect(published(host, "sensors.alarm").last?["state"] == "recovered")
        #expect(host.healthReports.last?.health == .ok)

        let action =
            #"{"rule": "relay", "parameters": {"output": "RELAY1", "state": "on"}, "event": {"from": "+46705550001"}}"#
        await plugin.handle(Event(kind: "sensors.output", json: Data(action.utf8)))
        _ = try await eventually("the relay's file set and the confirmation queued") {
            (try? String(contentsOf: tree.root.appendingPathComponent("gpio/relay1"), encoding: .utf8)) == "1\n"
                && !host.sent.isEmpty ? true : nil
        }
        #expect(host.sent.last?.to == ["+46705550001"] && host.sent.last?.text == "RELAY1 is on")
        // A pulse: on, confirmed as such, and off again after its seconds; without a sender, no confirmation.
        let pulse =
            #"{"rule": "pump", "parameters": {"output": "RELAY1", "state": "pulse", "seconds": 1}, "event": {}}"#
        try tree.write("gpio/relay1", "0\n")
        await plugin.handle(Event(kind: "sensors.output", json: Data(pulse.utf8)))
        _ = try await eventually("the pulse's on") {
            (try? String(contentsOf: tree.root.appendingPathComponent("gpio/relay1"), encoding: .utf8)) == "1\n"
                ? true : nil
        }
        _ = try await eventually("the pulse's off") {
            (try? String(contentsOf: tree.root.appendingPathComponent("gpio/relay1"), encoding: .utf8)) == "0\n"
                ? true : nil
        }
        #expect(host.sent.count == 1)

        try tree.write("gpio/door", "0\n")
        let opened = try await eventually("sensors.input") { published(host, "sensors.input").last }
        #expect(opened == ["input": "Door", "state": "active", "contact": "open", "level": "0"])
    }

    @Test("the configuration refuses an alarm on a sensor that does not exist, and a gpio line without chip and line")
    func configuration() throws {
        let host = try FakeHost(manifest: Self.manifest)
        func refusal(_ json: String) -> String? {
            do {
                _ = try host.makePlugin(SensorsPlugin.self, configuration: json)
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal(#"{"alarms": [{"sensor": "Temp9", "above": 3}]}"#)?.contains("no sensor 'Temp9'") == true)
        #expect(refusal(#"{"inputs": [{"name": "PIR", "backend": "gpio"}]}"#)?.contains("chip and line") == true)
        #expect(
            refusal(
                #"{"sensors": [{"name": "T", "source": "w1", "device": "28-1"}], "alarms": [{"sensor": "T", "above": 3, "below": 5}]}"#
            )?.contains("must be under") == true
        )
    }
}
