import Foundation
import TestSupport
import Testing

/// The built gateway with the `sensors` plugin on a sysfs tree the test writes as the kernel would:
/// alarms through rules to the simulated network, a relay switched by SMS, a door contact.
@Suite("End to end: sensors")
struct SensorsEndToEndTests {
    static let probe = "28-000005e2fdc3"

    func write(_ root: URL, _ path: String, _ text: String) throws {
        let file = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
    }

    /// The DS18B20's `w1_slave` at `celsius`.
    func temperature(_ root: URL, _ celsius: Double) throws {
        let milli = Int((celsius * 1000).rounded())
        try write(
            root,
            "sys/bus/w1/devices/\(Self.probe)/w1_slave",
            "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=\(milli)\n"
        )
    }

    func texts(_ gateway: GatewayProcess, to number: String) throws -> [String] {
        try gateway.simulatorReceived().filter { $0["recipient"] as? String == number }.compactMap {
            $0["text"] as? String
        }
    }

    @Test(
        "a temperature over its threshold sends one alarm, reminders while it lasts and one recovery; RELAY 1 ON from the allowed sender switches the relay and confirms, from another it does not; a door opening sends an SMS; /metrics shows the reading"
    )
    func alarmsRelayAndDoor() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sysfs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try temperature(root, 21.5)
        try write(root, "lines/door", "1\n")
        try write(root, "lines/relay1", "0\n")
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let gateway = try GatewayProcess()
        try await gateway.start(
            config: """
                plugin_directory: \(plugins)
                sensor_history:
                  resolution: 1s
                plugins:
                  sensors:
                    sysfs_root: \(root.path)
                    interval: 1
                    sensors:
                      - {name: Temp1, source: w1, device: \(Self.probe)}
                    alarms:
                      - {sensor: Temp1, above: 30, hysteresis: 1, remind_every: 3}
                    inputs:
                      - {name: Door, backend: file, path: \(root.path)/lines/door, normally: closed, debounce_ms: 0}
                    outputs:
                      - {name: RELAY1, backend: file, path: \(root.path)/lines/relay1}
                rules:
                  - name: temperature
                    on: sensors.alarm
                    then:
                      - send_sms: {to: ["+46700000042"], text: "{sensor} {state} {value}"}
                  - name: door
                    on: sensors.input
                    then:
                      - send_sms: {to: ["+46700000043"], text: "{input} {state}"}
                  - name: relay
                    on: sms.incoming
                    if: {all: [{field: text, equals: "RELAY 1 ON", ignore_case: true}, {field: from, equals: "+46705550001"}]}
                    then:
                      - sensors.output: {output: RELAY1, state: "on"}

                """
        )
        defer { gateway.stop() }
        try await gateway.waitForLog("found: 1-Wire \(Self.probe)")
        let info = try await eventually("plugins info with the running plugin's health") {
            let shown = try GatewayProcess.run([
                "plugins", "info", "sensors", "--data-dir", gateway.dataDirectory, "--config",
                gateway.dataDirectory + "-swiftlet.yaml",
            ])
            return shown.stdout.contains("running:      ok:") ? shown.stdout : nil
        }
        #expect(info.contains("1 sensors, 1 inputs, 1 outputs; found: 1-Wire \(Self.probe); hwmon none"), "\(info)")
        let metrics = try await eventually("the reading in /metrics") {
            let body = try await gateway.get("/metrics").body
            return body.contains(#"swiftlet_sensors_temperature_celsius{sensor="Temp1"} 21.5"#) ? body : nil
        }
        #expect(metrics.contains("# TYPE swiftlet_sensors_temperature_celsius gauge"))

        try temperature(root, 31.5)
        let alarm = try await eventually("the alarm and a reminder") {
            let list = try texts(gateway, to: "+46700000042")
            return list.count >= 2 ? list : nil
        }
        #expect(alarm.prefix(2) == ["Temp1 alarm 31.5", "Temp1 reminder 31.5"])
        try temperature(root, 29.5)  // inside, but not by the hysteresis: still the alarm
        try await Task.sleep(for: .seconds(1.5))
        try temperature(root, 25)
        let all = try await eventually("the recovery") {
            let list = try texts(gateway, to: "+46700000042")
            return list.last?.hasPrefix("Temp1 recovered") == true ? list : nil
        }
        #expect(all.filter { $0.contains(" alarm ") }.count == 1, "\(all)")
        #expect(all.filter { $0.contains("recovered") } == ["Temp1 recovered 25.0"], "\(all)")

        try gateway.inject(from: "+46705559999", "RELAY 1 ON")
        try await Task.sleep(for: .seconds(1))
        #expect(try String(contentsOf: root.appendingPathComponent("lines/relay1"), encoding: .utf8) == "0\n")
        try gateway.inject(from: "+46705550001", "relay 1 on")
        _ = try await eventually("the relay on and the confirmation") {
            let on = try String(contentsOf: root.appendingPathComponent("lines/relay1"), encoding: .utf8) == "1\n"
            let confirmed = try texts(gateway, to: "+46705550001") == ["RELAY1 is on"]
            return on && confirmed ? true : nil
        }

        try write(root, "lines/door", "0\n")
        _ = try await eventually("the door's SMS") {
            (try texts(gateway, to: "+46700000043")) == ["Door active"] ? true : nil
        }

        // The history: recorded every second (sensor_history.resolution), read by the API and the web.
        let token = try gateway.createToken(user: "api")
        let latest = try await gateway.get("/swiftlet/v1/sensors", [("access_token", token)])
        #expect(latest.status == 200, "\(latest.body)")
        let sensors = try JSONSerialization.jsonObject(with: Data(latest.body.utf8)) as? [[String: Any]]
        #expect(sensors?.first?["sensor"] as? String == "Temp1" && sensors?.first?["unit"] as? String == "°C")
        #expect(sensors?.first?["value"] as? Double == 25, "\(latest.body)")
        let csv = try await gateway.get(
            "/swiftlet/v1/sensors/Temp1/history",
            [("access_token", token), ("format", "csv")]
        )
        let lines = csv.body.split(separator: "\n")
        #expect(lines.first == "time,value" && lines.count > 5, "\(csv.body)")
        #expect(lines.contains { $0.hasSuffix(",31.5") } && lines.contains { $0.hasSuffix(",21.5") }, "\(csv.body)")
        // A probe that vanished: no reading, so nothing is recorded (a gap), not its last value again.
        try FileManager.default.removeItem(at: root.appendingPathComponent("sys/bus/w1/devices/\(Self.probe)"))
        try await Task.sleep(for: .seconds(3))  // a reading taken just before may still be recorded
        let before = try await gateway.get("/swiftlet/v1/sensors", [("access_token", token)]).body
        try await Task.sleep(for: .seconds(2.5))
        let after = try await gateway.get("/swiftlet/v1/sensors", [("access_token", token)]).body
        #expect(before == after, "the vanished probe's reading was recorded again: \(before) → \(after)")
        let bad = try await gateway.get(
            "/swiftlet/v1/sensors/Temp1/history",
            [("access_token", token), ("from", "yesterday")]
        )
        #expect(bad.status == 400 && bad.body.contains("not an ISO 8601 time"), "\(bad.body)")
        #expect(try await gateway.get("/swiftlet/v1/sensors").status == 401)

        let added = try GatewayProcess.run(["user", "add", "ops", "--data-dir", gateway.dataDirectory])
        #expect(added.status == 0, "\(added.stderr)")
        let password = try GatewayProcess.run(
            ["user", "set-password", "ops", "--data-dir", gateway.dataDirectory],
            input: "ops-password-1\n"
        )
        #expect(password.status == 0, "\(password.stderr)")
        let web = WebSession(gateway: gateway)
        defer { web.end() }
        #expect(try await web.signIn("ops", "ops-password-1").hasPrefix("303"))
        let page = try await web.get("/sensors")
        #expect(page.contains("Temp1: 25.0 °C") && page.contains("<polyline class=\"reading\""), "\(page)")
        let export = try await web.get("/sensors/Temp1/csv")
        #expect(export.hasPrefix("time,value\n"), "\(export)")
    }
}
