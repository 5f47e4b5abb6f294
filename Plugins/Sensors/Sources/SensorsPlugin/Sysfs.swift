import Foundation

/// What a sensor measures, and in what unit the gateway shows it.
public enum Quantity: String, Sendable, Codable {
    case temperature
    case humidity

    var unit: String { self == .temperature ? "°C" : "%" }
    /// The unit in metric names (Prometheus' base units).
    var metricUnit: String { self == .temperature ? "celsius" : "percent" }
}

/// Why a reading could not be taken: the sensor's own words, for the log and the alarm.
struct ReadingError: Error, CustomStringConvertible, Equatable {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Readings from the kernel's sysfs files, under a root an admin (or a test, or a container) chooses:
/// 1-Wire (`w1`), hwmon and IIO, scaled as the kernel's ABI documents say.
struct Sysfs: Sendable {
    /// `/` on a real system; a prepared tree in tests.
    var root: URL

    // MARK: 1-Wire (Documentation/w1/slaves/w1_therm.rst)

    var w1Devices: URL { root.appendingPathComponent("sys/bus/w1/devices") }

    /// A DS18B20's temperature from `w1_slave`: line 1 ends `crc=XX YES` when the CRC is good, line 2
    /// ends `t=<millidegrees>`. A failed CRC, and 85 °C (the value a DS18B20 holds before its first
    /// conversion, read after a power glitch), are no reading.
    func w1Temperature(id: String) throws(ReadingError) -> Double {
        let file = w1Devices.appendingPathComponent(id).appendingPathComponent("w1_slave")
        let text = try read(file)
        let lines = text.split(separator: "\n")
        guard lines.count >= 2 else { throw ReadingError("\(file.path): incomplete answer '\(text)'") }
        guard lines[0].hasSuffix("YES") else { throw ReadingError("1-Wire \(id): bad CRC ('\(lines[0])')") }
        guard let range = lines[1].range(of: "t="), let milli = Int(lines[1][range.upperBound...]) else {
            throw ReadingError("1-Wire \(id): no t= in '\(lines[1])'")
        }
        guard milli != 85_000 else { throw ReadingError("1-Wire \(id): 85 °C, the power-on value: no conversion yet") }
        return Double(milli) / 1000
    }

    /// The 1-Wire temperature sensors present: family codes 10 (DS18S20), 22 (DS1822), 28 (DS18B20),
    /// 3b (DS1825), 42 (DS28EA00).
    func w1Sensors() -> [String] {
        let families = ["10-", "22-", "28-", "3b-", "42-"]
        return ((try? FileManager.default.contentsOfDirectory(atPath: w1Devices.path)) ?? [])
            .filter { name in families.contains { name.hasPrefix($0) } }.sorted()
    }

    // MARK: hwmon (Documentation/hwmon/sysfs-interface.rst)

    var hwmonClass: URL { root.appendingPathComponent("sys/class/hwmon") }

    /// The hwmon chips present: directory (`hwmon0`) and chip name (`sht3x`).
    func hwmonChips() -> [(directory: String, name: String)] {
        ((try? FileManager.default.contentsOfDirectory(atPath: hwmonClass.path)) ?? []).sorted().map { directory in
            let name = try? read(hwmonClass.appendingPathComponent(directory).appendingPathComponent("name"))
            return (directory, name?.trimmingCharacters(in: .whitespacesAndNewlines) ?? directory)
        }
    }

    /// `temp<N>_input` (millidegrees Celsius) or `humidity<N>_input` (milli-percent) of the chip
    /// called `chip` (its `name`, or its directory `hwmonN`: numbers can change across boots, names
    /// do not).
    func hwmon(chip: String, quantity: Quantity, channel: Int) throws(ReadingError) -> Double {
        guard let directory = hwmonChips().first(where: { $0.name == chip || $0.directory == chip })?.directory else {
            throw ReadingError("hwmon: no chip '\(chip)' under \(hwmonClass.path)")
        }
        let file = hwmonClass.appendingPathComponent(directory).appendingPathComponent(
            "\(quantity == .temperature ? "temp" : "humidity")\(channel)_input"
        )
        return try milli(file)
    }

    // MARK: IIO (Documentation/ABI/testing/sysfs-bus-iio)

    var iioDevices: URL { root.appendingPathComponent("sys/bus/iio/devices") }

    /// The IIO devices present: directory (`iio:device0`) and name (`dht11`).
    func iioDevicesPresent() -> [(directory: String, name: String)] {
        ((try? FileManager.default.contentsOfDirectory(atPath: iioDevices.path)) ?? [])
            .filter { $0.hasPrefix("iio:device") }.sorted()
            .map { directory in
                let name = try? read(iioDevices.appendingPathComponent(directory).appendingPathComponent("name"))
                return (directory, name?.trimmingCharacters(in: .whitespacesAndNewlines) ?? directory)
            }
    }

    /// `in_temp_input` (millidegrees) or `in_humidityrelative_input` (milli-percent); where a driver
    /// offers only raw values, `(in_X_raw + in_X_offset) × in_X_scale`, also in milli-units.
    func iio(device: String, quantity: Quantity) throws(ReadingError) -> Double {
        guard
            let directory = iioDevicesPresent().first(where: { $0.name == device || $0.directory == device })?.directory
        else { throw ReadingError("IIO: no device '\(device)' under \(iioDevices.path)") }
        let folder = iioDevices.appendingPathComponent(directory)
        let channel = quantity == .temperature ? "in_temp" : "in_humidityrelative"
        let input = folder.appendingPathComponent("\(channel)_input")
        if FileManager.default.fileExists(atPath: input.path) { return try milli(input) }
        let raw = try number(folder.appendingPathComponent("\(channel)_raw"))
        let offsetFile = folder.appendingPathComponent("\(channel)_offset")
        let offset = FileManager.default.fileExists(atPath: offsetFile.path) ? try number(offsetFile) : 0
        let scaleFile = folder.appendingPathComponent("\(channel)_scale")
        let scale = FileManager.default.fileExists(atPath: scaleFile.path) ? try number(scaleFile) : 1
        return (raw + offset) * scale / 1000
    }

    // MARK: GPIO

    /// The GPIO chips the kernel has (`gpiochip0`), for the admin wiring inputs and outputs.
    func gpioChips() -> [String] {
        let folder = root.appendingPathComponent("sys/bus/gpio/devices")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasPrefix("gpiochip") }.sorted()
    }

    // MARK: Files

    private func read(_ file: URL) throws(ReadingError) -> String {
        do {
            return try String(contentsOf: file, encoding: .utf8)
        } catch {
            // A sensor that is unplugged loses its directory; one that fails answers EIO.
            throw ReadingError("cannot read \(file.path): \((error as NSError).localizedDescription)")
        }
    }

    private func number(_ file: URL) throws(ReadingError) -> Double {
        let text = try read(file).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let value = Double(text) else { throw ReadingError("\(file.path): '\(text)' is not a number") }
        return value
    }

    private func milli(_ file: URL) throws(ReadingError) -> Double { try number(file) / 1000 }
}
