/// Time limits for modem commands.
public struct ModemTimeouts: Sendable, Equatable {
    /// Any command but sending.
    public var command: Duration
    /// `AT+CMGS` after the PDU: modem manuals allow up to 120 s.
    public var send: Duration
    /// Waiting for the network: a USSD answer, dialling, call forwarding.
    public var network: Duration

    public init(command: Duration = .seconds(10), send: Duration = .seconds(120), network: Duration = .seconds(30)) {
        self.command = command
        self.send = send
        self.network = network
    }
}

/// One modem as the admin configured it.
public struct ModemConfiguration: Sendable, Equatable {
    /// How the modem is named in logs and APIs (e.g. `modem1`).
    public var name: String
    /// The serial device, e.g. `/dev/ttyUSB2` or `/dev/serial/by-id/…`.
    public var device: String
    public var baudRate: Int
    public var timeouts: ModemTimeouts
    /// How often an idle modem is asked for its signal and registration (which also shows that it
    /// still answers and still has the network).
    public var healthCheckInterval: Duration
    /// The SIM's PIN, if it asks for one. Never logged.
    public var pin: String?
    /// How long a modem may search for the network at start before it counts as down.
    public var registrationTimeout: Duration = .seconds(60)
    /// At most this many messages a minute through this modem (some operators block faster senders).
    public var maxPerMinute: Int?

    public init(
        name: String,
        device: String,
        baudRate: Int = 115200,
        timeouts: ModemTimeouts = ModemTimeouts(),
        healthCheckInterval: Duration = .seconds(30)
    ) {
        self.name = name
        self.device = device
        self.baudRate = baudRate
        self.timeouts = timeouts
        self.healthCheckInterval = healthCheckInterval
    }
}

/// Whether a modem can take work.
public enum ModemState: Sendable, Equatable {
    case connecting
    case ready
    /// Not usable; the reason is for the admin.
    case down(String)
    /// Switched off by the admin (`set_modem_state`): the device is closed until enabled again.
    case disabled
}
