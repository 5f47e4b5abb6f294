/// How the simulated modem and its network behave.
public struct SimulatorSettings: Sendable, Equatable {
    /// How long the network takes to accept each `AT+CMGS` (real networks: 1–5 s).
    public var sendDelay: Duration
    /// The service centre address written into delivered messages.
    public var serviceCentre: String
    /// Signal as `AT+CSQ` reports it (0–31).
    public var signal: Int
    /// Slots of the simulated SIM's message storage.
    public var storageSlots: Int
    /// How long after accepting a message the network sends its status report (when one was asked for).
    public var deliveryReportDelay: Duration = .zero
    /// Recipients (as `+46701234567` or as sent) whose messages the network reports as not delivered.
    public var undeliverable: Set<String> = []
    /// Recipients whose messages the network refuses outright, answering `AT+CMGS` with
    /// `+CMS ERROR: 500` (unknown error), as some networks do for a number they will not serve.
    public var refusedNumbers: Set<String> = []
    /// Whether the modem passes status reports on directly (`AT+CNMI=…,1,…`); without, it only
    /// stores them (`…,2,…`, announced with `+CDSI`), as many modems do.
    public var directStatusReports = true
    /// The SIM's PIN; nil for a SIM without a PIN lock.
    public var pin: String?
    /// The network's answers to USSD codes; other codes are answered `+CUSD: 4` (not supported).
    public var ussdAnswers: [String: String] = [
        "*100#": "Your balance is 12.34 EUR, valid until 31.01.2027.",
        "*101#": "Your balance is 12.34 EUR, valid until 31.01.2027.",
    ]
    /// USSD codes whose answer is a menu: the network keeps the session open for a reply
    /// (`+CUSD: 1`) until the modem ends it with `AT+CUSD=2`.
    public var ussdMenus: Set<String> = []
    /// How long the network takes to answer a USSD request.
    public var ussdDelay: Duration = .milliseconds(100)
    /// Whether the modem can make voice calls; without, `ATD…;` is answered `+CME ERROR: 4`.
    public var voice = true
    /// Numbers that are busy when called: the call ends with `BUSY` right after dialling.
    public var busyNumbers: Set<String> = []
    /// How many simulated modems the gateway starts when no real modem is configured (each on its
    /// own pseudo-terminal, with its own driver; for trying and benchmarking several modems).
    public var modems = 1

    public init(
        sendDelay: Duration = .zero,
        serviceCentre: String = "+15550100000",
        signal: Int = 21,
        storageSlots: Int = 30
    ) {
        self.sendDelay = sendDelay
        self.serviceCentre = serviceCentre
        self.signal = signal
        self.storageSlots = storageSlots
    }
}

/// A message the simulated network accepted from the modem (all its parts joined).
public struct NetworkMessage: Sendable, Equatable, Codable {
    public var recipient: String
    public var text: String
    public var unicode: Bool
    public var flash: Bool
    public var parts: Int
    /// The message reference of each part, as returned in `+CMGS`.
    public var references: [Int]
    /// Seconds since 1970 when the last part arrived.
    public var receivedAt: Double
    /// For an 8-bit message: the data and the user data header (without its length octet) in hex,
    /// and the message class.
    public var data: String?
    public var header: String?
    public var messageClass: Int?
    /// The relative validity period asked for, in minutes; nil when the PDU has none.
    public var validityMinutes: Int?
    /// Which simulated modem sent it, when the gateway runs several (as `GET /simulator/received` lists them).
    public var modem: String?
}
