/// How an outgoing message is to be sent.
public struct SendOptions: Sendable, Equatable {
    /// 0 (normal) to 9 (highest); higher goes first.
    public var priority: Int
    /// Force UCS-2 even when the text fits the GSM 7-bit alphabet.
    public var unicode: Bool
    /// Send as a class 0 ("flash") message.
    public var flash: Bool
    /// Send through this modem (1…N, as configured) and no other; nil lets the gateway choose.
    public var modemNumber: Int?

    public init(priority: Int = 0, unicode: Bool = false, flash: Bool = false, modemNumber: Int? = nil) {
        self.priority = priority
        self.unicode = unicode
        self.flash = flash
        self.modemNumber = modemNumber
    }
}
