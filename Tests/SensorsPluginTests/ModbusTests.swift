import Foundation
import SwiftletPluginSDK
import SwiftletPluginTestKit
import TestSupport
import Testing

@testable import SensorsPlugin

/// Modbus TCP against a real server of another implementation (pymodbus, `Tests/Support/modbus_server.py`)
/// whose registers the test changes.
@Suite("Sensors: Modbus TCP against pymodbus")
struct ModbusTests {
    init() {
        // As the gateway does: a server that closes a connection must be EPIPE, not the end of the process.
        signal(SIGPIPE, SIG_IGN)
    }

    @Test(
        "an input register scaled by 0.1, an int32 over two registers, a float in holding registers; a register changed crosses the threshold; a server gone is no reading"
    )
    func registers() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("modbus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let registers = folder.appendingPathComponent("registers.json")
        // 21.5 °C in tenths; -70000 as int32 (high word first); 48.25 as an IEEE float (0x4241 0x0000).
        let minus70000 = UInt32(bitPattern: -70000)
        func write(tenths: Int) throws {
            try
                #"{"input": {"3": \#(tenths), "20": \#(minus70000 >> 16), "21": \#(minus70000 & 0xFFFF)}, "holding": {"10": 16961, "11": 0}}"#
                .write(to: registers, atomically: true, encoding: .utf8)
        }
        try write(tenths: 215)
        let port = MosquittoBroker.freePort()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Support/modbus_server.py").path
        var server: DaemonProcess? = try DaemonProcess(
            "/usr/bin/python3",
            [script, "--port", "\(port)", "--registers", registers.path],
            errors: folder.appendingPathComponent("server.log").path
        )
        defer { server?.stop() }
        let host = try FakeHost(manifest: SensorsPluginTests.manifest)
        let device = "tcp://127.0.0.1:\(port)"
        let plugin = try host.makePlugin(
            SensorsPlugin.self,
            configuration: """
                {"interval": 3600, "sensors": [
                  {"name": "Temp1", "source": "modbus", "device": "\(device)", "register": 3, "scale": 0.1},
                  {"name": "Counter", "source": "modbus", "device": "\(device)", "register": 20, "type": "int32"},
                  {"name": "Humidity", "source": "modbus", "device": "\(device)", "register": 10, "table": "holding",
                   "type": "float32", "quantity": "humidity"}],
                 "alarms": [{"sensor": "Temp1", "above": 30}]}
                """
        )
        let sensors = plugin.settings.sensors
        func value(_ name: String) async throws -> Double {
            try await eventually("\(name) read over Modbus") {
                try? plugin.read(sensors.first { $0.name == name }!)
            }
        }
        #expect(abs(try await value("Temp1") - 21.5) < 0.001)
        #expect(try await value("Counter") == -70000)
        #expect(try await value("Humidity") == 48.25)

        host.answerPublishAndWait { _ in ["a rule"] }
        try write(tenths: 312)
        _ = try await eventually("the new register value") {
            (try? plugin.read(sensors[0])).flatMap { abs($0 - 31.2) < 0.001 ? true : nil }
        }
        await plugin.poll()
        let alarm = host.published.last { $0.kind == "sensors.alarm" }
        let fields = try alarm.map { try JSONDecoder().decode([String: String].self, from: $0.json) }
        #expect(fields?["state"] == "alarm" && fields?["value"] == "31.2", "\(String(describing: fields))")

        server?.stop()
        server = nil
        #expect(throws: ReadingError.self) { try plugin.read(sensors[0]) }
    }

    @Test("register words as each type, both word orders")
    func types() {
        #expect(ModbusRegister.value([0xFFFE], type: .int16, highWordFirst: true) == -2)
        #expect(ModbusRegister.value([0xFFFE], type: .uint16, highWordFirst: true) == 65534)
        #expect(ModbusRegister.value([0x0001, 0x0002], type: .uint32, highWordFirst: true) == 65538)
        #expect(ModbusRegister.value([0x0002, 0x0001], type: .uint32, highWordFirst: false) == 65538)
        #expect(ModbusRegister.value([0x4241, 0x0000], type: .float32, highWordFirst: true) == 48.25)
        #expect(
            ModbusRegister.transport("tcp://plc.local", baud: 9600, parity: "N", stopBits: 1)
                == .tcp(host: "plc.local", port: 502)
        )
        #expect(ModbusRegister.transport("COM1", baud: 9600, parity: "N", stopBits: 1) == nil)
    }
}
