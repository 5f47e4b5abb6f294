import Logging
import SMSCodec

/// A message read from the modem's storage.
public struct StoredMessage: Sendable {
    /// Its index in the modem's storage, for `AT+CMGD`.
    public let index: Int
    public let hex: String
    /// The decoded PDU, or why it could not be decoded.
    public let pdu: Result<SMSPDU, PDUError>
}

/// What a modem says about itself at start (`AT+CGMI`, `+CGMM`, `+CGMR`, `+CGSN`, `+CIMI`).
public struct ModemIdentity: Sendable, Equatable {
    public var manufacturer: String?
    public var model: String?
    public var revision: String?
    /// The modem's IMEI.
    public var imei: String?
    /// The SIM's IMSI (after the PIN).
    public var imsi: String?
    /// The registration found at start.
    public var network: String?
    /// How status reports reach the gateway; nil before the modem is set up.
    public var statusReports: StatusReportRoute?
}

/// How a modem passes the network's status reports on, as `AT+CNMI` set it up.
public enum StatusReportRoute: String, Sendable, Equatable {
    /// Each report as it arrives (`+CDS`).
    case direct
    /// Stored on the modem, announced by its index (`+CDSI`); the worker reads and deletes them.
    case stored
    /// Not at all: sent messages stay "sent", never "delivered".
    case none
}

/// Signal quality as `AT+CSQ` reports it.
public struct SignalQuality: Sendable, Equatable {
    /// 0–31, or nil when the modem does not know (99).
    public let rssi: Int?

    /// 0–100 as SMSEagle reports it; -1 when unknown.
    public var percent: Int { rssi.map { $0 * 100 / 31 } ?? -1 }
}

/// The AT commands of TS 27.005/27.007 that the gateway uses, over one ``ATPort``.
struct ModemDriver {
    let port: ATPort
    let timeouts: ModemTimeouts
    let listener: UnsolicitedListener

    /// Brings a freshly opened modem into the state the gateway needs: echo off, verbose errors,
    /// PDU mode, new-message indications as `+CMTI`.
    func initialize(pin: String?, registrationTimeout: Duration, logger: Logger) async throws -> ModemIdentity {
        // Wake the modem and resynchronise: a half-typed command from earlier may be pending.
        await port.write("\u{1B}\r")
        var synced = false
        for _ in 0..<3 where !synced {
            synced = (try? await port.run("AT", timeout: min(timeouts.command, .seconds(2)))) != nil
        }
        guard synced else { throw ModemError(.timeout, "the modem does not answer AT") }
        _ = try await port.run("ATE0", timeout: timeouts.command)
        _ = try? await port.run("AT+CMEE=1", timeout: timeouts.command)
        // The caller's number after each RING, for the log.
        _ = try? await port.run("AT+CLIP=1", timeout: timeouts.command)
        // The operator as AT+COPS? names it: long alphanumeric (27.007 §7.3), set once; it lasts until a reset.
        _ = try? await port.run("AT+COPS=3,0", timeout: timeouts.command)
        var identity = ModemIdentity()
        identity.manufacturer = try? await port.run("AT+CGMI", timeout: timeouts.command).lines.first
        identity.model = try? await port.run("AT+CGMM", timeout: timeouts.command).lines.first
        identity.revision = try? await port.run("AT+CGMR", timeout: timeouts.command).lines.first
        identity.imei = try? await port.run("AT+CGSN", timeout: timeouts.command).lines.first
        try await unlockSIM(pin: pin, logger: logger)
        identity.imsi = try? await port.run("AT+CIMI", timeout: timeouts.command).lines.first
        // Plain text in +CUSD answers; modems that ignore this are handled by the USSD decoder.
        _ = try? await port.run("AT+CSCS=\"IRA\"", timeout: timeouts.command)
        switch try await waitForRegistration(timeout: registrationTimeout) {
        case nil:
            logger.notice("the modem does not say whether it is registered (AT+CREG?); assuming it is")
        case let registration? where !registration.isRegistered:
            throw ModemError(.unavailable, "not registered with the network (\(registration))")
        case let registration?:
            identity.network = "\(registration)"
        }
        _ = try await port.run("AT+CMGF=0", timeout: timeouts.command)
        // New messages as +CMTI (stored, so nothing is lost before it is committed), status reports
        // as +CDS; modems that refuse a mode get the next one.
        // Status reports passed on directly (ds=1) if the modem can, else stored in "SR" (ds=2), else none.
        let modes = ["2,1,0,1,0", "1,1,0,1,0", "2,1,0,2,0", "1,1,0,2,0", "2,1,0,0,0", "1,1,0,0,0"]
        var accepted: String?
        for mode in modes where accepted == nil {
            if (try? await port.run("AT+CNMI=\(mode)", timeout: timeouts.command)) != nil { accepted = mode }
        }
        guard let accepted else {
            throw ModemError(.rejected, "the modem accepts none of AT+CNMI=\(modes.joined(separator: " | "))")
        }
        if accepted != modes[0] {
            logger.notice(
                "the modem refused the preferred new-message indications; using another",
                metadata: ["refused": "AT+CNMI=\(modes[0])", "using": "AT+CNMI=\(accepted)"]
            )
        }
        identity.statusReports =
            accepted.hasSuffix(",1,0") ? .direct : accepted.hasSuffix(",2,0") ? .stored : StatusReportRoute.none
        return identity
    }

    /// Sends one PDU with `AT+CMGS` and returns the message reference the network gave it.
    func send(_ pdu: EncodedPDU) async throws -> Int {
        let prompt = try await port.run("AT+CMGS=\(pdu.tpduLength)", expectPrompt: true, timeout: timeouts.command)
        guard prompt.prompt else { throw ModemError(.unexpectedAnswer, "no > prompt after AT+CMGS") }
        let answer: ATResponse
        do {
            answer = try await port.run(pdu.hex, terminator: "\u{1A}", timeout: timeouts.send)
        } catch let error as ModemError where error.kind == .timeout {
            await port.write("\u{1B}")
            throw error
        } catch let error as ModemError where error.kind == .rejected {
            throw ModemError(
                .rejected,
                "the network refused the message: \(error.result ?? error.detail)",
                cmsError: error.cmsError,
                result: error.result
            )
        }
        guard let text = answer.value(after: "+CMGS:"), let reference = Int(text.prefix { $0.isNumber }) else {
            throw ModemError(.unexpectedAnswer, "AT+CMGS answered OK without +CMGS: <reference>")
        }
        return reference
    }

    /// Reads the message at `index` (`AT+CMGR`); nil if the slot is empty.
    func read(index: Int) async throws -> StoredMessage? {
        let answer = try await port.run("AT+CMGR=\(index)", timeout: timeouts.command)
        guard let headerIndex = answer.lines.firstIndex(where: { $0.hasPrefix("+CMGR:") }),
            headerIndex + 1 < answer.lines.count
        else { return nil }
        let hex = answer.lines[headerIndex + 1]
        return StoredMessage(index: index, hex: hex, pdu: Result { () throws(PDUError) in try SMSPDU.decode(hex: hex) })
    }

    /// Lists every stored message (`AT+CMGL=4`).
    func listAll() async throws -> [StoredMessage] {
        let answer = try await port.run("AT+CMGL=4", timeout: timeouts.command)
        var messages: [StoredMessage] = []
        var index = 0
        while index < answer.lines.count {
            let line = answer.lines[index]
            if line.hasPrefix("+CMGL:"), index + 1 < answer.lines.count,
                let slot = Int(String(line.dropFirst(6).prefix { $0 != "," }).trimmingSpaces())
            {
                let hex = answer.lines[index + 1]
                messages.append(
                    StoredMessage(
                        index: slot,
                        hex: hex,
                        pdu: Result { () throws(PDUError) in try SMSPDU.decode(hex: hex) }
                    )
                )
                index += 2
            } else {
                index += 1
            }
        }
        return messages
    }

    /// Runs `body` with `memory` (e.g. "SR") selected for reading and deleting (`AT+CPMS`), then
    /// selects the memory that was in use again.
    func withMemory<T: Sendable>(_ memory: String, _ body: () async throws -> T) async throws -> T {
        let current = try await port.run("AT+CPMS?", timeout: timeouts.command).value(after: "+CPMS:")
            .flatMap { $0.split(separator: ",").first.map { String($0).filter { $0 != "\"" } } }
        guard let current, current != memory else { return try await body() }
        _ = try await port.run("AT+CPMS=\"\(memory)\"", timeout: timeouts.command)
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        _ = try await port.run("AT+CPMS=\"\(current)\"", timeout: timeouts.command)
        return try result.get()
    }

    func delete(index: Int) async throws {
        _ = try await port.run("AT+CMGD=\(index)", timeout: timeouts.command)
    }

    func signal() async throws -> SignalQuality {
        let answer = try await port.run("AT+CSQ", timeout: timeouts.command)
        guard let value = answer.value(after: "+CSQ:"),
            let rssi = Int(String(value.prefix { $0 != "," }).trimmingSpaces())
        else { throw ModemError(.unexpectedAnswer, "AT+CSQ answered without +CSQ") }
        return SignalQuality(rssi: (0...31).contains(rssi) ? rssi : nil)
    }

}
