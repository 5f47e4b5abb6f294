import Logging
import SwiftletDomain

/// The methods that talk to a modem rather than the queue. Their error texts differ from method to
/// method; each is the one the reference documents for that method.
extension APIv1 {
    /// `send_ussd`: queued like a message; the network's answer arrives in the inbox.
    func sendUSSD(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        guard let code = parameters["to"] else { throw SwiftletError.invalidParameter("to", "missing") }
        let modem = try integer(parameters, "modem_no", in: 1...Int.max)
        return .queued([try await outbox.sendUSSD(code, modemNumber: modem, createdBy: user.name)])
    }

    /// `get_gsmsignal`: 0–100, or -1 when the modem is not on the network.
    func signal(_ parameters: FormParameters) throws -> APIv1Reply {
        // A modem that does not exist is `.notFound`, which `call` answers `Wrong parameters`.
        let number = try integer(parameters, "modem_no", in: 1...Int.max) ?? 1
        return .count(element: "signal_strength", value: try modems.signalPercent(modem: number))
    }

    /// `call_with_termination`: answers once the modem dialled; it hangs up after `duration` seconds.
    func call(_ parameters: FormParameters) async throws -> APIv1Reply {
        guard let to = parameters["to"], let number = PhoneNumber(Self.number(to)) else {
            return .error("Wrong or missing >>to<< parameter")
        }
        guard let text = parameters["duration"], let seconds = Int(text), Self.callDurations.contains(seconds) else {
            return .error("Wrong or missing >>duration<< parameter")
        }
        guard let modem = Self.modemNumber(parameters), modem <= modems.modemCount else {
            return .error(Self.modemNotRecognized)
        }
        do {
            try await modems.call(modem: modem, number: number, seconds: seconds)
            logger.info(
                "APIv1: calling",
                metadata: ["to": "\(number)", "seconds": "\(seconds)", "modem_no": "\(modem)"]
            )
            return .ok
        } catch let error as SwiftletError where error.kind == .notSupported {
            return .error(Self.noVoiceText)
        } catch let error as SwiftletError where error.kind == .unavailable {
            logger.warning("APIv1: call failed", metadata: ["reason": "\(error.detail)"])
            return .error("Call failed: \(error.detail)")
        }
    }

    /// `get_modem_state`: `enabled` or `disabled`.
    func modemState(_ parameters: FormParameters) throws -> APIv1Reply {
        guard let modem = Self.modemNumber(parameters), modem <= modems.modemCount else {
            return .error(Self.wrongModemNumber)
        }
        return .value(element: "modem_status", try modems.isEnabled(modem: modem) ? "enabled" : "disabled")
    }

    /// `set_modem_state`: `status=enabled|disabled`, kept across restarts.
    func setModemState(_ parameters: FormParameters) async throws -> APIv1Reply {
        guard let modem = Self.modemNumber(parameters), modem <= modems.modemCount else {
            return .error(Self.wrongModemNumber)
        }
        guard let status = parameters["status"], status == "enabled" || status == "disabled" else {
            return .error("Wrong modem state")
        }
        try await modems.setEnabled(modem: modem, status == "enabled")
        logger.notice("APIv1: modem state set", metadata: ["modem_no": "\(modem)", "state": "\(status)"])
        return .ok
    }

    /// `call_forward_read`: `0`, or `1;<number>`.
    func callForwarding(_ parameters: FormParameters) async throws -> APIv1Reply {
        guard let modem = Self.modemNumber(parameters), modem <= modems.modemCount else { return .wrongParameters }
        do {
            let number = try await modems.callForwarding(modem: modem)
            return .value(element: "call_forward_status", number.map { "1;\($0)" } ?? "0")
        } catch let error as SwiftletError where error.kind == .unavailable || error.kind == .notSupported {
            logger.warning("APIv1: reading call forwarding failed", metadata: ["reason": "\(error.detail)"])
            return .error("error")
        }
    }

    /// `call_forward_set`: `status=1&number=…` forwards every voice call, `status=0` stops.
    func setCallForwarding(_ parameters: FormParameters) async throws -> APIv1Reply {
        guard let modem = Self.modemNumber(parameters), modem <= modems.modemCount else { return .wrongParameters }
        let target: PhoneNumber?
        switch parameters["status"] {
        case "0": target = nil
        case "1":
            guard let number = parameters["number"].flatMap({ PhoneNumber(Self.number($0)) }) else {
                return .wrongParameters
            }
            target = number
        default: return .wrongParameters
        }
        do {
            try await modems.setCallForwarding(modem: modem, to: target)
            logger.notice(
                "APIv1: call forwarding set",
                metadata: ["modem_no": "\(modem)", "to": "\(target.map { "\($0)" } ?? "off")"]
            )
            return .ok
        } catch let error as SwiftletError where error.kind == .unavailable || error.kind == .notSupported {
            logger.warning("APIv1: setting call forwarding failed", metadata: ["reason": "\(error.detail)"])
            return .error("error")
        }
    }

    /// `set_outbox_modem_no`: the queued messages bound to one modem go to another (one that is enabled).
    func moveOutbox(_ parameters: FormParameters) async throws -> APIv1Reply {
        guard let currentText = parameters["current_modem_no"], let newText = parameters["new_modem_no"],
            let current = Int(currentText), let new = Int(newText)
        else { return .wrongParameters }
        guard (1...modems.modemCount).contains(current), (1...modems.modemCount).contains(new) else {
            return .error(Self.wrongModemNumber)
        }
        guard try modems.isEnabled(modem: new) else { return .error("Wrong modem state") }
        let moved = try await store.moveQueued(fromModem: current, toModem: new)
        logger.notice(
            "APIv1: queued messages moved to another modem",
            metadata: ["moved": "\(moved)", "from_modem_no": "\(current)", "to_modem_no": "\(new)"]
        )
        return .ok
    }

    /// `modem_no`, 1 when absent; nil when it is not a positive number.
    static func modemNumber(_ parameters: FormParameters) -> Int? {
        guard let text = parameters["modem_no"], !text.isEmpty else { return 1 }
        return Int(text).flatMap { $0 >= 1 ? $0 : nil }
    }

    /// Calls of one second to ten minutes: a call holds its modem, which sends nothing meanwhile.
    static let callDurations = 1...600
    static let modemNotRecognized = "Modem not recognized"
    static let wrongModemNumber = "Wrong modem number"
    /// The reference prints the apostrophe typographically (as it does every quote); clients
    /// compare with SMSEagle's ASCII text.
    static let noVoiceText = "This modem doesn't support voice calls"
}
