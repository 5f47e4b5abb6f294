import Foundation
import SwiftletPluginSDK
import Synchronization

/// Sensors and digital I/O that work without a network: temperatures and humidity from the kernel's
/// sysfs files (1-Wire, hwmon, IIO) and Modbus TCP/RTU registers (libmodbus), digital inputs and
/// outputs (GPIO through libgpiod, or files).
///
/// Everything goes through the rule engine, so quiet hours, shifts, escalations and voice calls
/// apply: triggers `sensors.reading` (each reading), `sensors.alarm` (alarm, reminder, recovered,
/// no reading, reading again) and `sensors.input` (an input changed); the action `sensors.output`
/// (on, off, pulse, after a delay) confirms to whoever asked. Readings are gauges with the label
/// `sensor`, which the metrics and the SNMP plugin's `Temp1`…`Temp4`/`Humidity` show.
public final class SensorsPlugin: Plugin {
    public static let id = "sensors"
    public static let version = "1.0.0"

    static let readingKind = "sensors.reading"
    static let alarmKind = "sensors.alarm"
    static let inputKind = "sensors.input"
    static let outputKind = "sensors.output"
    static let outputSchema = """
        {"type": "object", "additionalProperties": false, "required": ["output", "state"], "properties": {
          "output": {"type": "string", "minLength": 1, "description": "The output's name."},
          "state": {"type": "string", "enum": ["on", "off", "pulse"], "description": "on, off, or pulse (on, then off after seconds)."},
          "seconds": {"type": "integer", "minimum": 1, "maximum": 86400, "description": "How long a pulse lasts."},
          "delay": {"type": "integer", "minimum": 0, "maximum": 86400, "description": "Seconds to wait before switching."},
          "confirm": {"type": "boolean", "description": "Send the confirmation to the SMS's sender (default true)."}}}
        """

    let settings: SensorSettings
    let host: any PluginHost
    private let trackers: Mutex<[String: AlarmTracker]>
    /// The last problem of each sensor (logged when it changes) and its last value.
    private let readings = Mutex<[String: (value: Double?, problem: String?)]>([:])
    /// The outputs' lines, by name.
    private let lines = Mutex<[String: any DigitalLine]>([:])
    private let running = Atomic<Bool>(false)
    private let timer = Mutex<UInt64?>(nil)
    /// What `found()` said at start, for the health (`swiftlet plugins list` and `plugins info`).
    private let discovered = Mutex("")

    public init(configuration: Configuration, host: any PluginHost) throws {
        settings = try SensorSettings(configuration)
        self.host = host
        var trackers: [String: AlarmTracker] = [:]
        for (name, alarm) in settings.alarms {
            trackers[name] = AlarmTracker(
                above: alarm.above,
                below: alarm.below,
                hysteresis: alarm.hysteresis ?? 0,
                duration: TimeInterval(alarm.duration ?? 0),
                remindEvery: alarm.remindEvery.map(TimeInterval.init),
                staleAfter: alarm.staleAfter.map(TimeInterval.init)
            )
        }
        self.trackers = Mutex(trackers)
    }

    public func start() async throws {
        for kind in [Self.readingKind, Self.alarmKind, Self.inputKind] {
            try host.registerRuleKind(kind, role: .trigger, schema: nil)
        }
        try host.registerRuleKind(Self.outputKind, role: .action, schema: Self.outputSchema)
        let found = found()
        discovered.withLock { $0 = found }
        host.log(.info, "found: \(found)")
        running.store(true, ordering: .sequentiallyConsistent)
        for output in settings.outputs {
            let line = try open(output, direction: .output(initial: false))
            try? line.set(false)
            lines.withLock { $0[output.name] = line }
        }
        for input in settings.inputs {
            let line = try open(input, direction: .input)
            // The input's thread owns its line, and closes it when the plugin stops.
            Thread.detachNewThread { [self] in
                watch(input, line)
                line.close()
            }
        }
        let id = try host.startTimer(after: .seconds(settings.interval), every: .seconds(settings.interval)) { [self] in
            Task { await poll() }
        }
        timer.withLock { $0 = id }
        await poll()
    }

    public func stop() async {
        running.store(false, ordering: .sequentiallyConsistent)
        if let id = timer.withLock({ $0 }) { try? host.cancelTimer(id) }
        for line in lines.withLock({ $0.values }) { line.close() }
    }

    /// What the sysfs root holds, for the log (and an admin wiring a new probe).
    func found() -> String {
        let sysfs = settings.sysfs
        var parts: [String] = []
        let w1 = sysfs.w1Sensors()
        parts.append("1-Wire " + (w1.isEmpty ? "none" : w1.joined(separator: ", ")))
        let hwmon = sysfs.hwmonChips()
        parts.append(
            "hwmon " + (hwmon.isEmpty ? "none" : hwmon.map { "\($0.directory) (\($0.name))" }.joined(separator: ", "))
        )
        let iio = sysfs.iioDevicesPresent()
        parts.append(
            "IIO " + (iio.isEmpty ? "none" : iio.map { "\($0.directory) (\($0.name))" }.joined(separator: ", "))
        )
        let gpio = sysfs.gpioChips()
        parts.append("GPIO " + (gpio.isEmpty ? "none" : gpio.joined(separator: ", ")))
        return parts.joined(separator: "; ") + " under \(sysfs.root.path)"
    }

    // MARK: Sensors

    func read(_ sensor: Sensor) throws(ReadingError) -> Double {
        switch sensor.source {
        case "w1": return try settings.sysfs.w1Temperature(id: sensor.device)
        case "hwmon":
            return try settings.sysfs.hwmon(
                chip: sensor.device,
                quantity: sensor.quantity ?? .temperature,
                channel: sensor.channel ?? 1
            )
        case "iio": return try settings.sysfs.iio(device: sensor.device, quantity: sensor.quantity ?? .temperature)
        default:
            guard let register = settings.registers[sensor.name] else {
                throw ReadingError("no register for \(sensor.name)")
            }
            return try register.read()
        }
    }

    /// Reads every sensor once: gauges, `sensors.reading`, and the alarms' notices.
    func poll(now: Date = Date()) async {
        var problems: [String] = []
        for sensor in settings.sensors {
            let quantity = sensor.quantity ?? .temperature
            let result = Result { () throws(ReadingError) in try read(sensor) }
            let previous = readings.withLock { $0[sensor.name] }
            switch result {
            case .success(let value):
                readings.withLock { $0[sensor.name] = (value, nil) }
                if previous?.problem != nil {
                    host.log(.info, "\(sensor.name): reading again (\(Self.format(value)) \(quantity.unit))")
                }
                try? host.reportMetric(
                    MetricSample(
                        name: "\(quantity.rawValue)_\(quantity.metricUnit)",
                        type: .gauge,
                        help: "The last reading of each sensor (\(quantity.unit)).",
                        labels: ["sensor": sensor.name],
                        value: value
                    )
                )
                try? host.publish(
                    Self.readingKind,
                    [
                        "sensor": sensor.name, "value": Self.format(value), "unit": quantity.unit,
                        "quantity": quantity.rawValue,
                    ]
                )
                for (name, alarm) in settings.alarms where alarm.sensor == sensor.name {
                    let notices = trackers.withLock { $0[name]?.reading(value, at: now) } ?? []
                    for notice in notices { await announce(notice, sensor: sensor, alarm: name) }
                }
            case .failure(let error):
                problems.append("\(sensor.name): \(error)")
                readings.withLock { $0[sensor.name] = (nil, error.description) }
                if previous?.problem != error.description { host.log(.warning, "\(sensor.name): no reading: \(error)") }
                for (name, alarm) in settings.alarms where alarm.sensor == sensor.name {
                    let notices = trackers.withLock { $0[name]?.noReading(error.description, at: now) } ?? []
                    for notice in notices { await announce(notice, sensor: sensor, alarm: name) }
                }
            }
        }
        let inputs = settings.inputs.count
        let outputs = settings.outputs.count
        let summary =
            "\(settings.sensors.count) sensors, \(inputs) inputs, \(outputs) outputs; found: \(discovered.withLock { $0 })"
        if problems.isEmpty {
            host.reportHealth(.ok, summary)
        } else {
            host.reportHealth(.degraded, "\(summary); " + problems.joined(separator: "; "))
        }
    }

    /// Hands an alarm's notice to the rules, and waits until they have acted on it.
    private func announce(_ notice: AlarmTracker.Notice, sensor: Sensor, alarm: String) async {
        let unit = (sensor.quantity ?? .temperature).unit
        var fields = ["sensor": sensor.name, "alarm": alarm, "unit": unit]
        switch notice {
        case .alarm(let direction, let value, let threshold):
            fields.merge([
                "state": "alarm", "direction": direction.rawValue, "value": Self.format(value),
                "threshold": Self.format(threshold),
            ]) { $1 }
        case .reminder(let direction, let value, let threshold, let since):
            fields.merge([
                "state": "reminder", "direction": direction.rawValue, "value": Self.format(value),
                "threshold": Self.format(threshold), "since": Self.iso(since),
            ]) { $1 }
        case .recovered(let direction, let value, let threshold, let since):
            fields.merge([
                "state": "recovered", "direction": direction.rawValue, "value": Self.format(value),
                "threshold": Self.format(threshold), "since": Self.iso(since),
            ]) { $1 }
        case .noReading(let reason, let since):
            fields.merge(["state": "no_reading", "reason": reason, "since": Self.iso(since)]) { $1 }
        case .readingAgain(let value):
            fields.merge(["state": "reading_again", "value": Self.format(value)]) { $1 }
        }
        host.log(
            .notice,
            "\(sensor.name): \(fields["state"] ?? "") \(fields["value"].map { "\($0) \(unit)" } ?? fields["reason"] ?? "")"
        )
        do {
            let rules = try await host.publishAndWait(Self.alarmKind, json: JSONCoding.encoder.encode(fields))
            if rules.isEmpty {
                host.log(.warning, "\(sensor.name): \(fields["state"] ?? "") — no rule acts on \(Self.alarmKind)")
            }
        } catch {
            host.log(.error, "\(sensor.name): the alarm could not be handed to the rules: \(error)")
        }
    }

    // MARK: Inputs and outputs

    private func open(_ line: Line, direction: GPIOLine.Direction) throws -> any DigitalLine {
        if line.backend == "file", let path = line.path { return FileLine(path: path) }
        do {
            return try GPIOLine(
                chip: line.chip ?? "",
                offset: line.line ?? 0,
                direction: direction,
                activeLow: line.activeLow ?? false
            )
        } catch {
            throw PluginError(.unavailable, "\(line.name): \(error)")
        }
    }

    /// An input's own thread: waits for an edge (or polls a file), debounces, and hands each change
    /// to the rules.
    private func watch(_ input: Line, _ line: any DigitalLine) {
        var debouncer = Debouncer(interval: Double(input.debounceMs ?? 50) / 1000)
        let closedIsHigh = (input.closedIs ?? "high") == "high"
        let normallyClosed = (input.normally ?? "open") == "closed"
        var first = true
        var problem: String?
        while running.load(ordering: .sequentiallyConsistent) {
            do {
                let high = try line.level()
                problem = nil
                if let accepted = debouncer.feed(high, at: Date()) {
                    let closed = accepted == closedIsHigh
                    let active = closed != normallyClosed
                    if first {
                        first = false
                        host.log(
                            .info,
                            "\(input.name): \(active ? "active" : "normal") (contact \(closed ? "closed" : "open")) at start"
                        )
                    } else {
                        changed(input, active: active, closed: closed, high: accepted)
                    }
                }
            } catch {
                if problem != error.description { host.log(.warning, "\(input.name): \(error)") }
                problem = error.description
            }
            line.wait(timeout: .seconds(1))
        }
    }

    private func changed(_ input: Line, active: Bool, closed: Bool, high: Bool) {
        let fields = [
            "input": input.name, "state": active ? "active" : "normal", "contact": closed ? "closed" : "open",
            "level": high ? "1" : "0",
        ]
        host.log(.notice, "\(input.name): \(fields["state"]!) (contact \(fields["contact"]!))")
        PluginThreads.wait { [host] in
            do {
                _ = try await host.publishAndWait(Self.inputKind, json: JSONCoding.encoder.encode(fields))
            } catch {
                host.log(.error, "\(input.name): the change could not be handed to the rules: \(error)")
            }
        }
    }

    public func handle(_ event: Event) async {
        guard event.kind == Self.outputKind else { return }
        struct Parameters: Decodable, Sendable {
            var output: String
            var state: String
            var seconds: Int?
            var delay: Int?
            var confirm: Bool?
        }
        guard let body = try? JSONCoding.decoder.decode(RuleActionEvent<Parameters>.self, from: event.json) else {
            host.log(
                .error,
                "\(Self.outputKind): parameters not understood: \(String(decoding: event.json, as: UTF8.self))"
            )
            return
        }
        let parameters = body.parameters
        guard let line = lines.withLock({ $0[parameters.output] }) else {
            host.log(.error, "rule \(body.rule): there is no output '\(parameters.output)'")
            return
        }
        let sender = (parameters.confirm ?? true) ? body.event["from"] : nil
        Task { [self] in
            if let delay = parameters.delay, delay > 0 { try? await Task.sleep(for: .seconds(delay)) }
            let on = parameters.state != "off"
            do {
                try line.set(on)
            } catch {
                host.log(.error, "\(parameters.output): cannot switch \(on ? "on" : "off"): \(error)")
                await confirm(sender, output: parameters.output, state: "failed: \(error)")
                return
            }
            host.log(.notice, "\(parameters.output): \(on ? "on" : "off") (rule \(body.rule))")
            let pulse = parameters.state == "pulse" ? parameters.seconds ?? 1 : nil
            await confirm(
                sender,
                output: parameters.output,
                state: pulse.map { "on for \($0) s" } ?? (on ? "on" : "off")
            )
            if let pulse {
                try? await Task.sleep(for: .seconds(pulse))
                try? line.set(false)
                host.log(.notice, "\(parameters.output): off after a pulse of \(pulse) s")
            }
        }
    }

    private func confirm(_ sender: String?, output: String, state: String) async {
        guard let sender, !sender.isEmpty else { return }
        let text = settings.confirmation.replacingOccurrences(of: "{output}", with: output)
            .replacingOccurrences(of: "{state}", with: state)
        do {
            _ = try await host.send(OutgoingSMS(to: [sender], text: OutgoingSMS.clip(text)))
        } catch {
            host.log(.error, "\(output): the confirmation to \(sender) could not be queued: \(error)")
        }
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }
    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }
}
