import Foundation
import SwiftletPluginSDK
import SwiftletPluginTestKit
import Testing

@testable import SensorsPlugin

/// A sysfs tree in a temporary directory, laid out as the kernel lays it out, whose files the tests
/// change as a sensor would.
final class SysfsTree: @unchecked Sendable {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("sysfs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func write(_ path: String, _ text: String) throws {
        let file = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
    }

    func remove(_ path: String) throws { try FileManager.default.removeItem(at: root.appendingPathComponent(path)) }

    /// A DS18B20's `w1_slave` as the w1_therm driver writes it, at `celsius`, with a good or bad CRC.
    func ds18b20(_ id: String, _ celsius: Double, crc: Bool = true) throws {
        let milli = Int((celsius * 1000).rounded())
        try write(
            "sys/bus/w1/devices/\(id)/w1_slave",
            "72 01 4b 46 7f ff 0e 10 57 : crc=57 \(crc ? "YES" : "NO")\n72 01 4b 46 7f ff 0e 10 57 t=\(milli)\n"
        )
    }
}

@Suite("Sensors: sysfs readings")
struct SysfsTests {
    @Test(
        "1-Wire: the temperature of a good CRC; a bad CRC, the 85 °C power-on value and a vanished probe are no reading"
    )
    func oneWire() throws {
        let tree = try SysfsTree()
        let sysfs = Sysfs(root: tree.root)
        try tree.ds18b20("28-000005e2fdc3", 23.125)
        try tree.write("sys/bus/w1/devices/w1_bus_master1/name", "w1_bus_master1\n")
        #expect(try sysfs.w1Temperature(id: "28-000005e2fdc3") == 23.125)
        #expect(sysfs.w1Sensors() == ["28-000005e2fdc3"])
        try tree.ds18b20("28-000005e2fdc3", -10.5)
        #expect(try sysfs.w1Temperature(id: "28-000005e2fdc3") == -10.5)
        try tree.ds18b20("28-000005e2fdc3", 23, crc: false)
        #expect(throws: ReadingError.self) { try sysfs.w1Temperature(id: "28-000005e2fdc3") }
        try tree.ds18b20("28-000005e2fdc3", 85)
        #expect(throws: ReadingError.self) { try sysfs.w1Temperature(id: "28-000005e2fdc3") }
        try tree.remove("sys/bus/w1/devices/28-000005e2fdc3")
        #expect(throws: ReadingError.self) { try sysfs.w1Temperature(id: "28-000005e2fdc3") }
    }

    @Test(
        "hwmon by chip name or directory, temperature and humidity in milli-units; IIO input or (raw + offset) × scale"
    )
    func hwmonAndIIO() throws {
        let tree = try SysfsTree()
        let sysfs = Sysfs(root: tree.root)
        try tree.write("sys/class/hwmon/hwmon0/name", "coretemp\n")
        try tree.write("sys/class/hwmon/hwmon3/name", "sht3x\n")
        try tree.write("sys/class/hwmon/hwmon3/temp1_input", "21450\n")
        try tree.write("sys/class/hwmon/hwmon3/humidity1_input", "48200\n")
        #expect(try sysfs.hwmon(chip: "sht3x", quantity: .temperature, channel: 1) == 21.45)
        #expect(try sysfs.hwmon(chip: "hwmon3", quantity: .humidity, channel: 1) == 48.2)
        #expect(throws: ReadingError.self) { try sysfs.hwmon(chip: "bme280", quantity: .temperature, channel: 1) }
        try tree.write("sys/bus/iio/devices/iio:device0/name", "dht11\n")
        try tree.write("sys/bus/iio/devices/iio:device0/in_temp_input", "19000\n")
        try tree.write("sys/bus/iio/devices/iio:device0/in_humidityrelative_input", "55000\n")
        #expect(try sysfs.iio(device: "dht11", quantity: .temperature) == 19)
        #expect(try sysfs.iio(device: "iio:device0", quantity: .humidity) == 55)
        try tree.write("sys/bus/iio/devices/iio:device1/name", "si7020\n")
        try tree.write("sys/bus/iio/devices/iio:device1/in_temp_raw", "26000\n")
        try tree.write("sys/bus/iio/devices/iio:device1/in_temp_offset", "-4000\n")
        try tree.write("sys/bus/iio/devices/iio:device1/in_temp_scale", "1.25\n")
        #expect(try sysfs.iio(device: "si7020", quantity: .temperature) == 27.5)
    }
}

@Suite("Sensors: GPIO through libgpiod, at its edges")
struct GPIOTests {
    // This machine's kernel has neither gpio-sim nor gpio-mockup: no line can be opened, so what is
    // tested is what an admin sees when the chip or line is wrong.
    @Test("a chip that does not exist is refused with the chip's name and the system's reason")
    func missingChip() {
        #expect {
            _ = try GPIOLine(chip: "gpiochip99", offset: 17, direction: .input, activeLow: false)
        } throws: { error in
            "\(error)".contains("cannot open GPIO chip gpiochip99: No such file or directory")
        }
    }

    @Test("the chips the kernel lists under sys/bus/gpio/devices are found")
    func chips() throws {
        let tree = try SysfsTree()
        try tree.write("sys/bus/gpio/devices/gpiochip0/dev", "254:0\n")
        try tree.write("sys/bus/gpio/devices/gpiochip1/dev", "254:1\n")
        #expect(Sysfs(root: tree.root).gpioChips() == ["gpiochip0", "gpiochip1"])
    }
}

@Suite("Sensors: alarms and inputs")
struct AlarmTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(
        "an alarm after the duration, reminders while it lasts, recovery only past the hysteresis, no second alarm from wavering"
    )
    func aboveWithHysteresis() {
        var alarm = AlarmTracker(above: 30, below: nil, hysteresis: 1, duration: 60, remindEvery: 300, staleAfter: nil)
        #expect(alarm.reading(31, at: t0).isEmpty)
        #expect(alarm.reading(31.2, at: t0 + 30).isEmpty)
        #expect(alarm.reading(31.4, at: t0 + 60) == [.alarm(.above, value: 31.4, threshold: 30)])
        #expect(alarm.reading(29.5, at: t0 + 90).isEmpty)  // inside, but not by the hysteresis
        #expect(alarm.reading(30.5, at: t0 + 120).isEmpty)
        #expect(alarm.reading(31, at: t0 + 360) == [.reminder(.above, value: 31, threshold: 30, since: t0)])
        #expect(alarm.reading(31, at: t0 + 400).isEmpty)
        #expect(alarm.reading(28.9, at: t0 + 420) == [.recovered(.above, value: 28.9, threshold: 30, since: t0)])
        // A short excursion (shorter than the duration) fires nothing.
        #expect(alarm.reading(32, at: t0 + 500).isEmpty)
        #expect(alarm.reading(25, at: t0 + 530).isEmpty)
        #expect(alarm.reading(32, at: t0 + 540).isEmpty)
        #expect(alarm.reading(32, at: t0 + 590).isEmpty)
    }

    @Test(
        "below, at once without a duration; a sensor without a good reading for stale_after is an alarm, once, and says when it reads again"
    )
    func belowAndStale() {
        var alarm = AlarmTracker(above: nil, below: 2, hysteresis: 0.5, duration: 0, remindEvery: nil, staleAfter: 120)
        #expect(alarm.reading(1.5, at: t0) == [.alarm(.below, value: 1.5, threshold: 2)])
        #expect(alarm.reading(1, at: t0 + 3600).isEmpty)  // no reminders configured
        #expect(alarm.reading(2.4, at: t0 + 3700).isEmpty)
        #expect(alarm.reading(2.5, at: t0 + 3710) == [.recovered(.below, value: 2.5, threshold: 2, since: t0)])
        #expect(alarm.noReading("bad CRC", at: t0 + 3760).isEmpty)
        #expect(alarm.noReading("bad CRC", at: t0 + 3830) == [.noReading(reason: "bad CRC", since: t0 + 3710)])
        #expect(alarm.noReading("bad CRC", at: t0 + 3900).isEmpty)
        #expect(alarm.reading(3, at: t0 + 3910) == [.readingAgain(value: 3)])
    }

    @Test("an input's level counts once it held for the debounce interval; a bounce does not")
    func debounce() {
        var debouncer = Debouncer(interval: 0.05)
        #expect(debouncer.feed(false, at: t0) == nil)
        #expect(debouncer.feed(false, at: t0 + 0.06) == false)
        #expect(debouncer.feed(true, at: t0 + 1) == nil)
        #expect(debouncer.feed(false, at: t0 + 1.01) == nil)  // bounced back
        #expect(debouncer.feed(false, at: t0 + 1.2) == nil)
        #expect(debouncer.feed(true, at: t0 + 2) == nil)
        #expect(debouncer.feed(true, at: t0 + 2.06) == true)
    }
}
