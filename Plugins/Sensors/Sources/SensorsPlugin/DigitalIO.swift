import CGPIOD
import Foundation
import Synchronization

/// A digital line as the plugin uses it, whatever drives it: the GPIO character device through
/// libgpiod, or a file (a test, a container, a relay board with a sysfs driver). libgpiod 2 (Debian 13)
/// has another API; a backend for it is another type behind this protocol.
protocol DigitalLine: Sendable {
    /// The level now (true: high).
    func level() throws(ReadingError) -> Bool
    /// Sets an output's level.
    func set(_ high: Bool) throws(ReadingError)
    /// Blocks until the level may have changed or `timeout` passed (an edge event, or a poll
    /// interval); returns at once with nothing to wait for.
    func wait(timeout: Duration)
    func close()
}

/// A line whose level is the first character of a file: `1` high, `0` low.
struct FileLine: DigitalLine {
    var path: String
    var pollInterval: Duration = .milliseconds(50)

    func level() throws(ReadingError) -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ReadingError("cannot read \(path)")
        }
        switch text.trimmingCharacters(in: .whitespacesAndNewlines) {
        case "1": return true
        case "0": return false
        case let other: throw ReadingError("\(path): '\(other)' is neither 0 nor 1")
        }
    }

    func set(_ high: Bool) throws(ReadingError) {
        do {
            try (high ? "1\n" : "0\n").write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw ReadingError("cannot write \(path): \(error)")
        }
    }

    func wait(timeout: Duration) { Thread.sleep(forTimeInterval: Self.seconds(min(timeout, pollInterval))) }

    func close() {}

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// A line of a GPIO chip through libgpiod's v1 API (`gpiod_chip_open_by_name`, both-edge events for
/// an input, `gpiod_line_request_output` for an output). Needs a `/dev/gpiochipN` and the rights to
/// open it (group `gpio` on most boards).
final class GPIOLine: DigitalLine, @unchecked Sendable {
    // @unchecked: libgpiod's line is used from the input's one thread, or under `lock` for outputs.
    private let chip: OpaquePointer
    private let line: OpaquePointer
    private let lock = Mutex(())
    let description: String

    enum Direction {
        case input
        case output(initial: Bool)
    }

    /// Opens line `offset` of `chip` (`gpiochip0`) for `direction`; `consumer` names the gateway in
    /// `gpioinfo`.
    init(
        chip name: String,
        offset: Int,
        direction: Direction,
        activeLow: Bool,
        consumer: String = "swiftlet"
    ) throws(ReadingError) {
        description = "\(name) line \(offset)"
        guard let chip = gpiod_chip_open_by_name(name) else {
            throw ReadingError("cannot open GPIO chip \(name): \(String(cString: strerror(errno)))")
        }
        guard let line = gpiod_chip_get_line(chip, UInt32(offset)) else {
            gpiod_chip_close(chip)
            throw ReadingError("GPIO chip \(name) has no line \(offset): \(String(cString: strerror(errno)))")
        }
        let flags = activeLow ? Int32(GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW) : 0
        let rc: Int32
        switch direction {
        case .input: rc = gpiod_line_request_both_edges_events_flags(line, consumer, flags)
        case .output(let initial): rc = gpiod_line_request_output_flags(line, consumer, flags, initial ? 1 : 0)
        }
        guard rc == 0 else {
            let reason = String(cString: strerror(errno))
            gpiod_chip_close(chip)
            throw ReadingError("cannot request \(name) line \(offset): \(reason) (is another program using it?)")
        }
        self.chip = chip
        self.line = line
    }

    func level() throws(ReadingError) -> Bool {
        let value = lock.withLock { _ in gpiod_line_get_value(line) }
        guard value >= 0 else { throw ReadingError("\(description): \(String(cString: strerror(errno)))") }
        return value == 1
    }

    func set(_ high: Bool) throws(ReadingError) {
        let rc = lock.withLock { _ in gpiod_line_set_value(line, high ? 1 : 0) }
        guard rc == 0 else { throw ReadingError("\(description): \(String(cString: strerror(errno)))") }
    }

    /// Waits for an edge and consumes it; the level is read after.
    func wait(timeout: Duration) {
        var time = timespec(
            tv_sec: Int(timeout.components.seconds),
            tv_nsec: Int(timeout.components.attoseconds / 1_000_000_000)
        )
        if gpiod_line_event_wait(line, &time) == 1 {
            var event = gpiod_line_event()
            _ = gpiod_line_event_read(line, &event)
        }
    }

    func close() {
        lock.withLock { _ in
            gpiod_line_release(line)
            gpiod_chip_close(chip)
        }
    }
}
