import CMosquitto
import Dispatch
import Foundation
import Synchronization

/// One connection to a broker through libmosquitto, whose network loop runs on a thread of its own,
/// never on the Swift concurrency pool.
///
/// The thread is ours rather than `mosquitto_loop_start`'s: libmosquitto's own reconnect loop gives
/// up for good after a TLS or authentication failure and can miss a disconnect that arrives while it
/// sleeps. Ours connects, runs `mosquitto_loop` until the connection ends, waits (exponential
/// backoff, interruptible) and connects again until `stop`.
///
/// Acknowledgements: with `mosquitto_threaded_set` libmosquitto queues the PUBACK of a QoS 1 message
/// before calling `on_message` and writes it only after the callback has returned (checked against
/// libmosquitto 2.0.11 by the plugin's tests). So the callback blocks until the message is handled
/// and committed, and when it could not be, shuts the socket down before returning: the PUBACK is
/// never written (reconnecting discards it) and the broker offers the message again on the next
/// connection.
final class Mosquitto: @unchecked Sendable {
    // @unchecked: `handle` is used through libmosquitto's thread-safe functions; the callbacks are
    // set once, before the loop starts.

    struct Message: Sendable {
        var topic: String
        var payload: [UInt8]
        var qos: Int
        var retained: Bool
        var mid: Int
    }

    enum Event: Sendable {
        /// CONNACK accepted; whether the broker kept our session.
        case connected(sessionPresent: Bool)
        /// CONNACK refused, with the broker's reason.
        case refused(String)
        /// The connection ended (we are reconnecting unless stopping).
        case lost(String)
        /// A connection attempt failed before the broker answered (no route, refused, TLS).
        case unreachable(String)
        /// A publication of ours was acknowledged (QoS 1/2) or written (QoS 0); a failure reason for MQTT 5 refusals.
        case published(mid: Int, failure: String?)
    }

    struct Options: Sendable {
        var host: String
        var port: Int
        var clientID: String
        var cleanSession: Bool
        var username: String?
        var password: String?
        var protocolVersion5: Bool
        var keepalive: Int
        var reconnectMin: Int
        var reconnectMax: Int
        var tls: TLS?
        /// MQTT 5 session expiry for a persistent session, seconds.
        var sessionExpiry: UInt32

        struct TLS: Sendable {
            var caFile: String?
            var certFile: String?
            var keyFile: String?
            var verify: Bool
        }
    }

    private let handle: OpaquePointer
    private let options: Options
    /// Called on libmosquitto's thread; the loop waits for the answer.
    private let onEvent: @Sendable (Event) -> Void
    /// Called on libmosquitto's thread; true when the message is handled and may be acknowledged.
    private let onMessage: @Sendable (Message) -> Bool
    private let running = Atomic<Bool>(false)
    /// Signalled when the loop's thread has ended.
    private let finished = DispatchSemaphore(value: 0)
    /// The last error libmosquitto logged (e.g. OpenSSL's reason for a failed handshake).
    private let lastError = Mutex<String?>(nil)

    /// libmosquitto's one-time initialisation, for the life of the process.
    private static let initialised: Bool = {
        mosquitto_lib_init()
        return true
    }()

    init(
        options: Options,
        onEvent: @escaping @Sendable (Event) -> Void,
        onMessage: @escaping @Sendable (Message) -> Bool
    ) throws(MQTTError) {
        _ = Self.initialised
        self.options = options
        self.onEvent = onEvent
        self.onMessage = onMessage
        guard let handle = mosquitto_new(options.clientID, options.cleanSession, nil) else {
            throw MQTTError(
                "libmosquitto could not make a client (out of memory, or an empty client id with a persistent session)"
            )
        }
        self.handle = handle
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        try configure()
    }

    deinit { mosquitto_destroy(handle) }

    private func check(_ rc: Int32, _ what: String) throws(MQTTError) {
        guard rc == MOSQ_ERR_SUCCESS.rawValue else { throw MQTTError("\(what): \(Self.describe(rc))") }
    }

    private func configure() throws(MQTTError) {
        try check(
            mosquitto_int_option(
                handle,
                MOSQ_OPT_PROTOCOL_VERSION,
                options.protocolVersion5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311
            ),
            "protocol"
        )
        if let username = options.username {
            try check(mosquitto_username_pw_set(handle, username, options.password), "username")
        }
        if let tls = options.tls {
            if tls.caFile == nil { try check(mosquitto_int_option(handle, MOSQ_OPT_TLS_USE_OS_CERTS, 1), "tls") }
            try check(
                mosquitto_tls_set(handle, tls.caFile, nil, tls.certFile, tls.keyFile, nil),
                "tls (ca_file, cert_file, key_file)"
            )
            if !tls.verify {
                try check(mosquitto_tls_opts_set(handle, 0, nil, nil), "tls.verify")
                try check(mosquitto_tls_insecure_set(handle, true), "tls.verify")
            }
        }
        mosquitto_connect_v5_callback_set(handle) { _, object, rc, flags, _ in
            Mosquitto.from(object)?.connected(rc: rc, flags: flags)
        }
        mosquitto_disconnect_v5_callback_set(handle) { _, object, rc, _ in
            Mosquitto.from(object)?.disconnected(rc: rc)
        }
        mosquitto_publish_v5_callback_set(handle) { _, object, mid, reason, _ in
            Mosquitto.from(object)?.published(mid: mid, reason: reason)
        }
        mosquitto_message_v5_callback_set(handle) { _, object, message, _ in
            guard let message else { return }
            Mosquitto.from(object)?.received(message.pointee)
        }
        mosquitto_log_callback_set(handle) { _, object, level, text in
            guard level & Int32(MOSQ_LOG_ERR) != 0, let text, let self = Mosquitto.from(object) else { return }
            self.lastError.withLock { $0 = String(cString: text) }
        }
        try check(mosquitto_threaded_set(handle, true), "threaded mode")
    }

    private static func from(_ object: UnsafeMutableRawPointer?) -> Mosquitto? {
        object.map { Unmanaged<Mosquitto>.fromOpaque($0).takeUnretainedValue() }
    }

    // MARK: Lifecycle

    /// Starts the network thread, which connects and keeps reconnecting until `stop`.
    func start() {
        running.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "mqtt \(options.host):\(options.port)"
        thread.start()
    }

    /// Disconnects and waits for the network thread to end (blocking: call it off the concurrency pool).
    func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        mosquitto_disconnect(handle)
        finished.wait()
    }

    private var isRunning: Bool { running.load(ordering: .acquiring) }

    private func run() {
        var properties: OpaquePointer? = nil
        if options.protocolVersion5, !options.cleanSession {
            mosquitto_property_add_int32(
                &properties,
                Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue),
                options.sessionExpiry
            )
        }
        defer { mosquitto_property_free_all(&properties) }
        var delay = options.reconnectMin
        while isRunning {
            lastError.withLock { $0 = nil }
            let rc = mosquitto_connect_bind_v5(
                handle,
                options.host,
                Int32(options.port),
                Int32(options.keepalive),
                nil,
                properties
            )
            if rc == MOSQ_ERR_SUCCESS.rawValue {
                var code = MOSQ_ERR_SUCCESS.rawValue
                while isRunning, code == MOSQ_ERR_SUCCESS.rawValue {
                    code = mosquitto_loop(handle, 1000, 1)
                }
                if !answered.exchange(false, ordering: .acquiringAndReleasing), isRunning {
                    // Ended before a CONNACK: the TLS handshake failed, or the broker hung up.
                    onEvent(.unreachable(explain(code)))
                }
                if accepted.exchange(false, ordering: .acquiringAndReleasing) { delay = options.reconnectMin }
            } else if isRunning {
                onEvent(.unreachable(explain(rc)))
            }
            guard isRunning else { break }
            sleep(seconds: delay)
            delay = min(delay * 2, options.reconnectMax)
        }
        // Writes the DISCONNECT `stop` queued, if connected (the loop fails once the socket is closed).
        for _ in 0..<10 {
            guard mosquitto_loop(handle, 100, 1) == MOSQ_ERR_SUCCESS.rawValue else { break }
        }
    }

    /// Set when the broker accepted a connection, so that the backoff starts again from the minimum.
    private let accepted = Atomic<Bool>(false)
    /// Set when the broker answered the CONNECT (accepted or refused) on this connection.
    private let answered = Atomic<Bool>(false)

    private func sleep(seconds: Int) {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while isRunning, ContinuousClock.now < deadline { usleep(50_000) }
    }

    /// A libmosquitto error with the detail it logged (OpenSSL's reason, the resolver's).
    private func explain(_ rc: Int32) -> String {
        let base = Self.describe(rc)
        guard let logged = lastError.withLock({ $0 }) else { return base }
        return "\(base): \(logged)"
    }

    func subscribe(_ filters: [(topic: String, qos: Int)]) -> String? {
        for filter in filters {
            let rc = mosquitto_subscribe_v5(handle, nil, filter.topic, Int32(filter.qos), 0, nil)
            if rc != MOSQ_ERR_SUCCESS.rawValue { return "subscribe \(filter.topic): \(Self.describe(rc))" }
        }
        return nil
    }

    /// Queues a publication; its mid, or the reason it was not queued. Thread-safe.
    func publish(topic: String, payload: [UInt8], qos: Int, retain: Bool) -> Result<Int, MQTTError> {
        var mid: Int32 = 0
        let rc = payload.withUnsafeBytes { bytes in
            mosquitto_publish_v5(handle, &mid, topic, Int32(bytes.count), bytes.baseAddress, Int32(qos), retain, nil)
        }
        // NO_CONN for QoS 1/2: libmosquitto keeps the message and sends it when it reconnects.
        if rc == MOSQ_ERR_SUCCESS.rawValue || (rc == MOSQ_ERR_NO_CONN.rawValue && qos > 0) { return .success(Int(mid)) }
        return .failure(MQTTError(Self.describe(rc)))
    }

    // MARK: Callbacks (libmosquitto's thread)

    private func connected(rc: Int32, flags: Int32) {
        answered.store(true, ordering: .releasing)
        if rc == 0 {
            accepted.store(true, ordering: .releasing)
            onEvent(.connected(sessionPresent: flags & 1 != 0))
        } else {
            let reason =
                options.protocolVersion5
                ? String(cString: mosquitto_reason_string(rc)) : String(cString: mosquitto_connack_string(rc))
            onEvent(.refused(reason))
        }
    }

    private func disconnected(rc: Int32) {
        guard answered.load(ordering: .acquiring) else { return }  // reported as unreachable
        onEvent(.lost(rc == 0 ? "disconnected" : explain(rc)))
    }

    private func published(mid: Int32, reason: Int32) {
        onEvent(
            .published(mid: Int(mid), failure: reason >= 0x80 ? String(cString: mosquitto_reason_string(reason)) : nil)
        )
    }

    private func received(_ message: mosquitto_message) {
        let payload =
            message.payloadlen > 0 && message.payload != nil
            ? [UInt8](UnsafeRawBufferPointer(start: message.payload, count: Int(message.payloadlen))) : []
        let handled = onMessage(
            Message(
                topic: message.topic.map { String(cString: $0) } ?? "",
                payload: payload,
                qos: Int(message.qos),
                retained: message.retain,
                mid: Int(message.mid)
            )
        )
        if !handled {
            // Not committed: make sure the queued PUBACK is never written. The broker offers the
            // message again on the next connection (a persistent session keeps it meanwhile).
            let socket = mosquitto_socket(handle)
            if socket >= 0 { shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    static func describe(_ rc: Int32) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue { return String(cString: strerror(errno)) }
        return String(cString: mosquitto_strerror(rc))
    }
}

/// A mistake in the plugin's configuration or a failure of libmosquitto, described for the admin.
public struct MQTTError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
