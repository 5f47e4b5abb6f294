import Foundation
import SwiftletPluginSDK

extension SensorsPlugin {
    /// The plugin's section, as the manifest's schema describes it (defaults filled in by the gateway).
    public struct Configuration: Decodable, Sendable {
        /// Where `sys/` is: `/` on a real system, a prepared tree in tests and containers.
        public var sysfsRoot: String
        /// Seconds between readings.
        public var interval: Int
        public var sensors: [Sensor]?
        public var alarms: [Alarm]?
        public var inputs: [Line]?
        public var outputs: [Line]?
        /// The confirmation an output action sends to whoever asked (an SMS's sender).
        public var confirmation: String
    }

    public struct Sensor: Decodable, Sendable {
        /// How the gateway names it (SNMP's `Temp1`…`Temp4` and `Humidity` read these names).
        public var name: String
        /// `w1`, `hwmon` or `iio`.
        public var source: String
        /// The 1-Wire id (`28-000005e2fdc3`), hwmon chip (`sht3x` or `hwmon0`) or IIO device (`dht11`).
        public var device: String
        public var quantity: Quantity?
        /// hwmon's channel number (`temp2_input`).
        public var channel: Int?
        /// Modbus: the unit (slave) id, the register's address, its table (`input` or `holding`),
        /// its type, word order, and the scale and offset that make it a value; RTU's line settings.
        public var unit: Int?
        public var register: Int?
        public var table: String?
        public var type: String?
        public var wordOrder: String?
        public var scale: Double?
        public var offset: Double?
        public var baud: Int?
        public var parity: String?
        public var stopBits: Int?
    }

    public struct Alarm: Decodable, Sendable {
        public var sensor: String
        public var above: Double?
        public var below: Double?
        public var hysteresis: Double?
        /// Seconds the deviation must last before the alarm.
        public var duration: Int?
        /// Seconds between reminders while it lasts (none without).
        public var remindEvery: Int?
        /// Seconds without a good reading before the sensor itself is an alarm.
        public var staleAfter: Int?
    }

    public struct Line: Decodable, Sendable {
        public var name: String
        /// `gpio` or `file`.
        public var backend: String
        public var chip: String?
        public var line: Int?
        public var path: String?
        /// Inputs: the contact's state at rest, `open` or `closed` (a PIR's relay is normally closed).
        public var normally: String?
        /// Inputs: the level a closed contact reads (`high`, or `low` with a pull-up).
        public var closedIs: String?
        /// Inputs: milliseconds a level must hold before it counts.
        public var debounceMs: Int?
        /// Outputs: the relay is on when the line is low.
        public var activeLow: Bool?
    }
}

/// The configuration checked: names unique, every alarm on a sensor that exists, each source's keys.
struct SensorSettings: Sendable {
    var sysfs: Sysfs
    var interval: Int
    var sensors: [SensorsPlugin.Sensor]
    /// The Modbus sensors' registers, by sensor name.
    var registers: [String: ModbusRegister] = [:]
    var alarms: [(name: String, alarm: SensorsPlugin.Alarm)]
    var inputs: [SensorsPlugin.Line]
    var outputs: [SensorsPlugin.Line]
    var confirmation: String

    init(_ configuration: SensorsPlugin.Configuration) throws(PluginError) {
        func invalid(_ text: String) -> PluginError { PluginError(.invalid, text) }
        sysfs = Sysfs(root: URL(fileURLWithPath: configuration.sysfsRoot))
        interval = configuration.interval
        sensors = configuration.sensors ?? []
        inputs = configuration.inputs ?? []
        outputs = configuration.outputs ?? []
        confirmation = configuration.confirmation
        var names: Set<String> = []
        for name in sensors.map(\.name) + inputs.map(\.name) + outputs.map(\.name) {
            guard names.insert(name.lowercased()).inserted else {
                throw invalid("'\(name)' names two sensors, inputs or outputs")
            }
        }
        for (index, sensor) in sensors.enumerated() {
            let key = "sensors[\(index)]"
            switch sensor.source {
            case "w1":
                guard sensor.quantity ?? .temperature == .temperature else {
                    throw invalid("\(key): 1-Wire sensors measure temperature")
                }
            case "hwmon", "iio":
                break
            case "modbus":
                guard
                    let transport = ModbusRegister.transport(
                        sensor.device,
                        baud: sensor.baud ?? 9600,
                        parity: sensor.parity ?? "N",
                        stopBits: sensor.stopBits ?? 1
                    )
                else {
                    throw invalid(
                        "\(key).device: '\(sensor.device)' is neither tcp://HOST[:PORT] nor a serial device (/dev/ttyUSB0)"
                    )
                }
                guard let address = sensor.register else { throw invalid("\(key): modbus needs register") }
                guard let table = ModbusRegister.Table(rawValue: sensor.table ?? "input"),
                    let type = ModbusRegister.DataType(rawValue: sensor.type ?? "int16")
                else {
                    throw invalid("\(key): table is input or holding; type int16, uint16, int32, uint32 or float32")
                }
                registers[sensor.name] = ModbusRegister(
                    transport: transport,
                    unit: sensor.unit ?? 1,
                    address: address,
                    table: table,
                    type: type,
                    highWordFirst: (sensor.wordOrder ?? "big") == "big",
                    scale: sensor.scale ?? 1,
                    offset: sensor.offset ?? 0,
                    timeout: 2
                )
            default:
                throw invalid("\(key).source: '\(sensor.source)' is not w1, hwmon, iio or modbus")
            }
        }
        var alarms: [(String, SensorsPlugin.Alarm)] = []
        for (index, alarm) in (configuration.alarms ?? []).enumerated() {
            let key = "alarms[\(index)]"
            guard sensors.contains(where: { $0.name == alarm.sensor }) else {
                throw invalid("\(key).sensor: there is no sensor '\(alarm.sensor)'")
            }
            guard alarm.above != nil || alarm.below != nil || alarm.staleAfter != nil else {
                throw invalid("\(key): give above, below or stale_after")
            }
            if let above = alarm.above, let below = alarm.below, below >= above {
                throw invalid("\(key): below (\(below)) must be under above (\(above))")
            }
            alarms.append(("\(alarm.sensor)#\(index + 1)", alarm))
        }
        self.alarms = alarms
        for (kind, lines) in [("inputs", inputs), ("outputs", outputs)] {
            for (index, line) in lines.enumerated() {
                let key = "\(kind)[\(index)]"
                switch line.backend {
                case "gpio":
                    guard line.chip != nil, line.line != nil else { throw invalid("\(key): gpio needs chip and line") }
                case "file":
                    guard line.path != nil else { throw invalid("\(key): file needs path") }
                default:
                    throw invalid("\(key).backend: '\(line.backend)' is not gpio or file")
                }
                if let normally = line.normally, !["open", "closed"].contains(normally) {
                    throw invalid("\(key).normally: '\(normally)' is not open or closed")
                }
                if let level = line.closedIs, !["high", "low"].contains(level) {
                    throw invalid("\(key).closed_is: '\(level)' is not high or low")
                }
            }
        }
    }
}
