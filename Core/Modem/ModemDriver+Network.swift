import Logging

/// Network registration as `+CREG`/`+CEREG` report it (3GPP TS 27.007 7.2, 10.1.22).
public enum Registration: Sendable, Equatable, CustomStringConvertible {
    case home
    case roaming
    case searching
    case notSearching
    case denied
    case unknown

    init?(stat: Int) {
        switch stat {
        case 0: self = .notSearching
        case 1: self = .home
        case 2: self = .searching
        case 3: self = .denied
        case 4: self = .unknown
        case 5: self = .roaming
        default: return nil
        }
    }

    /// The stat of an `AT+CREG?`/`AT+CEREG?` answer (`<n>,<stat>[,<lac>,<ci>[,<AcT>]]`), as written
    /// after the prefix. Real modems get the quotes of the later fields wrong; only the stat matters.
    public static func parse(_ value: String) -> Registration? {
        let fields = value.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count >= 2 else { return nil }
        let stat = fields[1].filter { $0 != "\"" && $0 != " " }
        return Int(stat).flatMap(Registration.init(stat:))
    }

    public var isRegistered: Bool { self == .home || self == .roaming }

    public var description: String {
        switch self {
        case .home: "registered, home network"
        case .roaming: "registered, roaming"
        case .searching: "searching for a network"
        case .notSearching: "not registered, not searching"
        case .denied: "registration denied by the network"
        case .unknown: "registration unknown"
        }
    }
}

extension ModemDriver {
    /// Enters `pin` if the SIM asks for one. Throws `.pinRejected` if the SIM refuses it, and
    /// `.unavailable` if a PIN is needed and none is configured, or the SIM wants its PUK.
    func unlockSIM(pin: String?, logger: Logger) async throws {
        guard let state = try? await port.run("AT+CPIN?", timeout: timeouts.command).value(after: "+CPIN:") else {
            return  // modems without a SIM lock answer ERROR; nothing to do
        }
        switch state {
        case "READY":
            return
        case "SIM PIN":
            guard let pin else {
                throw ModemError(.unavailable, "the SIM asks for its PIN; set it as pin: in the modem's configuration")
            }
            do {
                _ = try await port.run("AT+CPIN=\"\(pin)\"", timeout: timeouts.command)
            } catch let error as ModemError where error.kind == .rejected {
                throw ModemError(
                    .pinRejected,
                    "the SIM refused the configured PIN (\(error.result ?? error.detail)); not trying again, since more wrong tries block the SIM — correct the PIN and restart"
                )
            }
            // Some modems take a moment to report READY after the PIN.
            for _ in 0..<10 {
                let state = try? await port.run("AT+CPIN?", timeout: timeouts.command).value(after: "+CPIN:")
                if state == "READY" {
                    logger.info("SIM unlocked")
                    return
                }
                try await Task.sleep(for: .milliseconds(500))
            }
            throw ModemError(.unavailable, "the SIM accepted the PIN but does not report READY")
        case let other:
            throw ModemError(.unavailable, "the SIM is not ready (+CPIN: \(other)); it needs attention in a phone")
        }
    }

    /// The network operator's name (`AT+COPS?`, in the long alphanumeric form `initialize` asked
    /// for, 27.007 §7.3), e.g. "Telia"; nil when the modem is not registered or does not say.
    func operatorName() async throws -> String? {
        let answer = try await port.run("AT+COPS?", timeout: timeouts.command)
        guard let value = answer.value(after: "+COPS:") else { return nil }
        // +COPS: <mode>[,<format>,"<oper>"[,<AcT>]]
        let fields = value.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3 else { return nil }
        let quoted = String(fields[2]).trimmingSpaces()
        guard quoted.first == "\"", let end = quoted.dropFirst().firstIndex(of: "\"") else { return nil }
        let name = String(quoted[quoted.index(after: quoted.startIndex)..<end])
        return name.isEmpty ? nil : name
    }

    /// Registration by `AT+CREG?` (circuit-switched) and `AT+CEREG?` (LTE): registered if either is;
    /// nil if the modem answers neither.
    func registration() async throws -> Registration? {
        var found: [Registration] = []
        for (command, prefix) in [("AT+CREG?", "+CREG:"), ("AT+CEREG?", "+CEREG:")] {
            if let value = try? await port.run(command, timeout: timeouts.command).value(after: prefix),
                let registration = Registration.parse(value)
            {
                found.append(registration)
            }
        }
        return found.first(where: \.isRegistered) ?? found.first
    }

    /// Waits while the modem is searching, up to `timeout`.
    func waitForRegistration(timeout: Duration) async throws -> Registration? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let current = try await registration()
            guard current == .searching, ContinuousClock.now < deadline else { return current }
            try await Task.sleep(for: .seconds(1))
        }
    }
}
