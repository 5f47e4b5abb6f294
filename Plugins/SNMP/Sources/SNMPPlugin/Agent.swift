import CSNMPAgent
import SwiftletPluginSDK
import Synchronization

/// The AgentX subagent (`CSNMPAgent`, net-snmp on a thread of its own), seen from Swift.
enum Agent {
    /// Where net-snmp's own log lines go: the plugin's host, while it runs.
    static let log = Mutex<(any PluginHost)?>(nil)

    static func start(socket: String, pingSeconds: Int, host: any PluginHost) throws {
        log.withLock { $0 = host }
        let started = swiftlet_snmp_start(socket, Int32(clamping: pingSeconds)) { priority, message in
            guard let message else { return }
            let text = String(cString: message)
            // The subagent needs no MIB files; net-snmp looks for its default ones all the same.
            let aboutMIBFiles = text.hasPrefix("MIB search path") || text.hasPrefix("Cannot find module")
            let level: LogLevel =
                switch aboutMIBFiles ? 7 : priority {
                case ...3: .error
                case 4: .warning
                case 5: .notice
                case 6: .info
                default: .debug
                }
            Agent.log.withLock { $0 }?.log(level, "net-snmp: " + text)
        }
        guard started == 0 else {
            throw PluginError(
                .unavailable,
                "the SNMP subagent is already running in this process, or its thread cannot start"
            )
        }
    }

    static func stop() {
        swiftlet_snmp_stop()
        log.withLock { $0 = nil }
    }

    static var isConnected: Bool { swiftlet_snmp_connected() != 0 }

    static func register(_ oid: OID, priority: Int32 = 127) {
        oid.withUnsafeBufferPointer { swiftlet_snmp_register($0.baseAddress, $0.count, priority) }
    }

    static func publish(_ values: [SNMPValue]) {
        withCValues(values) { swiftlet_snmp_publish($0, values.count) }
    }

    static func notify(_ trap: OID, _ values: [SNMPValue]) {
        withCValues(values) { pointer in
            trap.withUnsafeBufferPointer { swiftlet_snmp_notify($0.baseAddress, $0.count, pointer, values.count) }
        }
    }

    /// Calls `body` with the values laid out as the C interface wants them, valid during the call:
    /// every OID in one buffer, every text in another, and the entries pointing into them.
    private static func withCValues(_ values: [SNMPValue], _ body: (UnsafePointer<swiftlet_snmp_value>?) -> Void) {
        var oids: [UInt32] = []
        var texts: [CChar] = []
        var spans: [(oid: Range<Int>, text: Range<Int>)] = []
        for value in values {
            let oidStart = oids.count
            oids += value.oid
            let textStart = texts.count
            if case .string(let text) = value.value { texts += text.utf8.map { CChar(bitPattern: $0) } }
            spans.append((oidStart..<oids.count, textStart..<texts.count))
        }
        oids.withUnsafeBufferPointer { oidBuffer in
            texts.withUnsafeBufferPointer { textBuffer in
                let entries = zip(values, spans).map { value, span in
                    var entry = swiftlet_snmp_value()
                    entry.oid = oidBuffer.baseAddress.map { $0 + span.oid.lowerBound }
                    entry.oid_length = span.oid.count
                    entry.text = textBuffer.baseAddress.map { $0 + span.text.lowerBound }
                    entry.text_length = span.text.count
                    switch value.value {
                    case .string:
                        entry.type = Int32(SWIFTLET_SNMP_STRING)
                    case .integer(let number):
                        entry.type = Int32(SWIFTLET_SNMP_INTEGER)
                        entry.number = number
                    case .gauge(let number):
                        entry.type = Int32(SWIFTLET_SNMP_GAUGE)
                        entry.number = number
                    case .counter64(let number):
                        entry.type = Int32(SWIFTLET_SNMP_COUNTER64)
                        entry.number = number
                    }
                    return entry
                }
                entries.withUnsafeBufferPointer { body($0.baseAddress) }
            }
        }
    }
}
