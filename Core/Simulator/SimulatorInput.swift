/// What the simulator reads from the line.
enum SimulatorInput: Equatable {
    /// A command line, without its CR.
    case command(String)
    /// A PDU in hex, ended with Ctrl-Z.
    case pdu(String)
    /// ESC after the prompt: the driver gave up on the message.
    case cancelledPDU
}

/// Splits the driver's bytes into commands (ended by CR) and, after a `> ` prompt, a PDU (ended by
/// Ctrl-Z, or cancelled by ESC), as a modem's command interpreter does.
struct SimulatorInputParser {
    private var buffer: [UInt8] = []
    private var awaitingPDU = false

    /// After answering `AT+CMGS` with the prompt, the next input is a PDU.
    mutating func expectPDU() { awaitingPDU = true }

    mutating func feed(_ bytes: some Sequence<UInt8>) -> [SimulatorInput] {
        var inputs: [SimulatorInput] = []
        for byte in bytes {
            if awaitingPDU {
                switch byte {
                case 0x1A:
                    inputs.append(.pdu(String(decoding: buffer, as: UTF8.self)))
                    reset()
                case 0x1B:
                    inputs.append(.cancelledPDU)
                    reset()
                case UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: " "):
                    continue
                default:
                    buffer.append(byte)
                }
            } else {
                switch byte {
                case UInt8(ascii: "\r"):
                    let line = String(decoding: buffer, as: UTF8.self)
                    buffer.removeAll()
                    if !line.isEmpty { inputs.append(.command(line)) }
                case UInt8(ascii: "\n"), 0x1A, 0x1B:
                    buffer.removeAll(keepingCapacity: true)
                default:
                    if buffer.count < 1024 { buffer.append(byte) }
                }
            }
        }
        return inputs
    }

    private mutating func reset() {
        buffer.removeAll()
        awaitingPDU = false
    }
}
