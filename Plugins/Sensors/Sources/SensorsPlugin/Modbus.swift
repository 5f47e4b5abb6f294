import CModbus
import Foundation

/// A value in the registers of a Modbus TCP or RTU device (a temperature transmitter, a PLC) through
/// libmodbus: one 16-bit register or two, as a signed or unsigned integer or an IEEE float, times
/// `scale` plus `offset`. A connection per reading: a device that restarted or a cable re-plugged
/// costs nothing to notice.
struct ModbusRegister: Sendable, Equatable {
    enum Transport: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case rtu(device: String, baud: Int, parity: Character, dataBits: Int, stopBits: Int)
    }

    enum Table: String, Sendable { case input, holding }
    enum DataType: String, Sendable { case int16, uint16, int32, uint32, float32 }

    var transport: Transport
    var unit: Int
    var address: Int
    var table: Table
    var type: DataType
    /// Two-register values: the high word first (`big`, Modbus' usual) or second (`little`).
    var highWordFirst: Bool
    var scale: Double
    var offset: Double
    var timeout: Int

    /// `tcp://host:port` (port 502 by default), or a serial device (`/dev/ttyUSB0`) for RTU.
    static func transport(_ device: String, baud: Int, parity: String, stopBits: Int) -> Transport? {
        if device.hasPrefix("tcp://") {
            guard let url = URL(string: device), let host = url.host, !host.isEmpty else { return nil }
            return .tcp(host: host, port: url.port ?? 502)
        }
        guard device.hasPrefix("/"), let parity = parity.uppercased().first, "NEO".contains(parity) else { return nil }
        return .rtu(device: device, baud: baud, parity: parity, dataBits: 8, stopBits: stopBits)
    }

    var description: String {
        switch transport {
        case .tcp(let host, let port): "Modbus TCP \(host):\(port) unit \(unit) \(table) register \(address)"
        case .rtu(let device, let baud, _, _, _):
            "Modbus RTU \(device) (\(baud) baud) unit \(unit) \(table) register \(address)"
        }
    }

    func read() throws(ReadingError) -> Double {
        let context: OpaquePointer?
        switch transport {
        case .tcp(let host, let port): context = modbus_new_tcp(host, Int32(port))
        case .rtu(let device, let baud, let parity, let dataBits, let stopBits):
            context = modbus_new_rtu(
                device,
                Int32(baud),
                CChar(parity.asciiValue ?? 78),
                Int32(dataBits),
                Int32(stopBits)
            )
        }
        guard let context else { throw ReadingError("\(description): \(Self.lastError())") }
        defer { modbus_free(context) }
        modbus_set_slave(context, Int32(unit))
        modbus_set_response_timeout(context, UInt32(timeout), 0)
        guard modbus_connect(context) == 0 else {
            throw ReadingError("\(description): cannot connect: \(Self.lastError())")
        }
        defer { modbus_close(context) }
        let count = [.int16, .uint16].contains(type) ? 1 : 2
        var words = [UInt16](repeating: 0, count: count)
        let read =
            table == .input
            ? modbus_read_input_registers(context, Int32(address), Int32(count), &words)
            : modbus_read_registers(context, Int32(address), Int32(count), &words)
        guard read == count else { throw ReadingError("\(description): \(Self.lastError())") }
        return Self.value(words, type: type, highWordFirst: highWordFirst) * scale + offset
    }

    /// The registers as `type`.
    static func value(_ words: [UInt16], type: DataType, highWordFirst: Bool) -> Double {
        let (high, low) =
            words.count == 2 ? (highWordFirst ? (words[0], words[1]) : (words[1], words[0])) : (0, words[0])
        let combined = UInt32(high) << 16 | UInt32(low)
        switch type {
        case .int16: return Double(Int16(bitPattern: words[0]))
        case .uint16: return Double(words[0])
        case .int32: return Double(Int32(bitPattern: combined))
        case .uint32: return Double(combined)
        case .float32: return Double(Float(bitPattern: combined))
        }
    }

    private static func lastError() -> String { String(cString: modbus_strerror(errno)) }
}
