import SMSCodec

/// Unconditional call forwarding as the network reports it (`AT+CCFC`, TS 27.007 7.11).
public struct CallForwarding: Sendable, Equatable {
    public var enabled: Bool
    /// Where calls go while it is enabled.
    public var number: String?

    public init(enabled: Bool, number: String? = nil) {
        self.enabled = enabled
        self.number = number
    }
}

/// How a voice call ended.
public enum CallOutcome: Sendable, Equatable {
    /// Hung up by the gateway after the requested duration.
    case hungUp
    /// Ended by the other side or the network first: `NO CARRIER`, `BUSY`, `NO ANSWER`.
    case ended(String)
}

extension ModemDriver {
    /// Dial strings and USSD codes go into AT command lines, so only the characters of TS 22.030
    /// are let through: a quote or CR would end the command and start another.
    static func isDialString(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 40 && text.allSatisfy { $0.isASCII && ($0.isNumber || "+*#".contains($0)) }
    }

    /// Sends a USSD request (`AT+CUSD=1,"<code>",15`) and waits for the network's `+CUSD` answer.
    /// A session the network keeps open for a reply is closed (`AT+CUSD=2`): the API has no way to
    /// answer it.
    func ussd(_ code: String) async throws -> USSDAnswer {
        guard Self.isDialString(code) else { throw ModemError(.rejected, "'\(code)' is not a USSD code") }
        return try await listener.listening(for: ["+CUSD:"]) { lines in
            _ = try await port.run("AT+CUSD=1,\"\(code)\",15", timeout: timeouts.command)
            guard let line = try await lines.first(within: timeouts.network) else {
                _ = try? await port.run("AT+CUSD=2", timeout: timeouts.command)
                throw ModemError(.rejected, "the network did not answer USSD \(code) within \(timeouts.network)")
            }
            guard let answer = USSDAnswer(String(line.dropFirst("+CUSD:".count))) else {
                throw ModemError(.unexpectedAnswer, "cannot read the USSD answer '\(line)'")
            }
            switch answer.status {
            case 1:
                _ = try? await port.run("AT+CUSD=2", timeout: timeouts.command)
                return answer
            case 0, 2:
                return answer
            case 3: throw ModemError(.rejected, "USSD \(code) was answered by another client")
            case 4: throw ModemError(.rejected, "the network does not support USSD \(code)")
            default: throw ModemError(.rejected, "the network did not answer USSD \(code) in time")
            }
        }
    }

    /// Calls `number` (`ATD<number>;`) and hangs up after `duration`, or returns earlier when the
    /// other side or the network ends the call. `dialled` runs once the modem accepted the dial.
    func call(
        _ number: String,
        duration: Duration,
        dialled: () -> Void
    ) async throws -> CallOutcome {
        guard Self.isDialString(number) else { throw ModemError(.rejected, "'\(number)' is not a number to call") }
        return try await listener.listening(for: ["NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE"]) { lines in
            do {
                _ = try await port.run("ATD\(number);", timeout: timeouts.network)
            } catch let error as ModemError where error.kind == .rejected {
                // +CME ERROR: 4 (operation not supported), 3 (not allowed): a data-only modem or SIM.
                if error.result == "+CME ERROR: 4" || error.result == "+CME ERROR: 3" {
                    throw ModemError(.notSupported, "this modem does not support voice calls (\(error.detail))")
                }
                throw error
            }
            dialled()
            let end = try await lines.first(within: duration)
            await hangUp()
            return end.map(CallOutcome.ended) ?? .hungUp
        }
    }

    /// Ends the call in progress: `ATH`, or `AT+CHUP` on modems where `ATH` only ends data calls.
    func hangUp() async {
        if (try? await port.run("ATH", timeout: timeouts.command)) == nil {
            _ = try? await port.run("AT+CHUP", timeout: timeouts.command)
        }
    }

    /// Unconditional forwarding of voice calls (`AT+CCFC=0,2`).
    func callForwarding() async throws -> CallForwarding {
        let answer = try await port.run("AT+CCFC=0,2", timeout: timeouts.network)
        // One line per class: +CCFC: <status>,<class>[,<number>,<type>]
        for line in answer.lines where line.hasPrefix("+CCFC:") {
            let fields = line.dropFirst("+CCFC:".count).split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.filter { $0 != "\"" && $0 != " " } }
            guard let status = fields.first.flatMap({ Int($0) }) else { continue }
            let voice = fields.count < 2 || (Int(fields[1]).map { $0 & 1 == 1 } ?? true)
            if status == 1, voice {
                return CallForwarding(enabled: true, number: fields.count > 2 && !fields[2].isEmpty ? fields[2] : nil)
            }
        }
        guard answer.lines.contains(where: { $0.hasPrefix("+CCFC:") }) else {
            throw ModemError(.unexpectedAnswer, "AT+CCFC answered without +CCFC")
        }
        return CallForwarding(enabled: false)
    }

    /// Forwards every voice call to `number` (registration, `AT+CCFC=0,3`), or stops forwarding
    /// (`AT+CCFC=0,0`) when `number` is nil.
    func setCallForwarding(to number: String?) async throws {
        guard let number else {
            _ = try await port.run("AT+CCFC=0,0", timeout: timeouts.network)
            return
        }
        guard Self.isDialString(number) else { throw ModemError(.rejected, "'\(number)' is not a number") }
        let type = number.hasPrefix("+") ? 145 : 129
        _ = try await port.run("AT+CCFC=0,3,\"\(number)\",\(type)", timeout: timeouts.network)
    }
}
