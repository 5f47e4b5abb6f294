import CPseudoTerminal
import Glibc
import SwiftletModem

/// A pseudo-terminal pair: the simulator holds the controlling side; the driver opens `devicePath`
/// like any serial device.
final class PseudoTerminal: Sendable {
    let controller: CInt
    /// The device the driver opens, e.g. `/dev/pts/4`.
    let devicePath: String
    /// The simulator keeps the device side open too, so the line does not hang up whenever the
    /// driver closes it (reopening after a reconnect then works as with a real modem).
    private let keepAlive: CInt

    init() throws(ModemError) {
        var name = [CChar](repeating: 0, count: 128)
        let controller = swiftlet_open_pty(&name, name.count)
        guard controller >= 0 else {
            throw ModemError(.cannotOpen, "cannot open a pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Raw on the device side: the line discipline must not echo or translate what either side writes.
        let device: CInt
        do {
            device = try SerialPort.open(path: path, baudRate: 115200)
        } catch {
            SerialPort.close(controller)
            throw error
        }
        self.controller = controller
        self.devicePath = path
        self.keepAlive = device
    }

    deinit { SerialPort.close(keepAlive) }
}
