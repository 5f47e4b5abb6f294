import Foundation
import Logging
import NIOCore
import NIOPosix
import SMSCodec
import SwiftletModem

/// A GSM modem on a pseudo-terminal, answering AT commands (TS 27.005/27.007) in PDU mode like a
/// real one: echo, `OK`/`ERROR`/`+CMS ERROR`, the `> ` prompt for `AT+CMGS`, `+CMTI` notifications,
/// `AT+CMGR`/`AT+CMGL`/`AT+CMGD` on a SIM storage, `AT+CSQ`, `AT+CREG?`, `AT+COPS?`. The PDUs it is given are
/// decoded as a network would, and what the network "delivered" can be listed.
public actor ModemSimulator {
    private struct Slot {
        var pdu: String
        var tpduLength: Int
        var unread = true
    }

    private struct Part {
        var submit: SubmitPDU
        var reference: Int
    }

    public nonisolated let devicePath: String
    private let terminal: PseudoTerminal
    private let settings: SimulatorSettings
    private let logger: Logger
    private var writer: NIOAsyncChannelOutboundWriter<ByteBuffer>?
    private var parser = SimulatorInputParser()
    private var echo = true
    private var notifyNewMessages = false
    /// `ds` of `AT+CNMI`: 0 no status reports, 1 passed on as `+CDS`, 2 stored in "SR" with `+CDSI`.
    private var statusReportMode = 0
    private var pendingSendLength: Int?
    /// "SM": received messages.
    private var storage: [Int: Slot] = [:]
    /// "SR": status reports, when the driver asked for them to be stored.
    private var reportStorage: [Int: Slot] = [:]
    /// The memory `AT+CMGR`, `AT+CMGL` and `AT+CMGD` work on (`AT+CPMS`).
    private var readMemory = "SM"
    private var selectedMemory: [Int: Slot] {
        get { readMemory == "SR" ? reportStorage : storage }
        set { if readMemory == "SR" { reportStorage = newValue } else { storage = newValue } }
    }
    private var nextReference = 0
    private var partials: [String: [Int: Part]] = [:]
    private var delivered: [NetworkMessage] = []
    private var responsive = true
    /// When set, every `AT+CMGS` is answered with this `+CMS ERROR`.
    private var rejectingSends: Int?
    private var simLocked: Bool
    private var pinAttemptsLeft = 3
    private var calls: [SimulatedCall] = []
    /// The call in progress: its index in `calls`.
    private var activeCall: Int?
    /// Unconditional call forwarding (`AT+CCFC=0,…`): the registered number and whether it is on.
    private var forwarding: (number: String?, enabled: Bool) = (nil, false)
    /// How often `AT+CMMS=1` (keep the link open for more messages) was asked for.
    private var linkKeptOpen = 0
    /// `+CREG` stat: 1 home network, 2 searching, 0 none, 3 denied, 5 roaming.
    private var registration = 1
    /// How often each command (upper-cased, up to its `=` or `?`) was received, for tests that wait
    /// on what the driver did rather than on time.
    private var commandCounts: [String: Int] = [:]
    /// A USSD menu the network left open for a reply (`+CUSD: 1`), until `AT+CUSD=2`.
    private var ussdSessionOpen = false

    public init(settings: SimulatorSettings = SimulatorSettings(), logger: Logger) throws {
        terminal = try PseudoTerminal()
        devicePath = terminal.devicePath
        self.settings = settings
        self.logger = logger
        simLocked = settings.pin != nil
    }

    /// Answers the line until the task is cancelled.
    public func run() async throws {
        let channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .takingOwnershipOfDescriptor(inputOutput: terminal.controller) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            self.writer = outbound
            defer { self.writer = nil }
            for try await buffer in inbound {
                for input in parser.feed(buffer.readableBytesView) {
                    await handle(input)
                }
            }
        }
    }

    /// Messages the network accepted, oldest first.
    public func receivedMessages() -> [NetworkMessage] { delivered }

    /// How many messages are stored on the simulated SIM (read or not, not yet deleted).
    public func storedMessageCount() -> Int { storage.count }

    /// How many status reports wait in the simulated modem's "SR" memory.
    public func storedReportCount() -> Int { reportStorage.count }

    /// Voice calls the modem made, oldest first.
    public func placedCalls() -> [SimulatedCall] { calls }

    /// Where the network forwards calls, if it does.
    public func callForwarding() -> String? { forwarding.enabled ? forwarding.number : nil }

    /// How often the driver asked to keep the radio link open between messages (`AT+CMMS=1`).
    public func linkKeptOpenRequests() -> Int { linkKeptOpen }

    /// Someone calls the modem: `RING` and the caller's number (`+CLIP`), as a phone network does.
    public func injectCall(from number: String) async {
        await write("\r\nRING\r\n\r\n+CLIP: \"\(number)\",\(number.hasPrefix("+") ? 145 : 129),,,,0\r\n")
    }

    /// The network sends a USSD notice of its own accord (`+CUSD: 0,"<text>",15`).
    public func injectNetworkUSSD(_ text: String) async {
        await write("\r\n+CUSD: 0,\"\(text)\",15\r\n")
    }

    /// The other side hangs up the call in progress (`NO CARRIER`).
    public func endCallRemotely() async {
        guard endCall(by: "remote") else { return }
        await write("\r\nNO CARRIER\r\n")
    }

    /// A network that refuses every message with `+CMS ERROR: code` (nil: accept again).
    public func setRejectingSends(_ code: Int?) { rejectingSends = code }

    /// PIN tries left before the simulated SIM wants its PUK.
    public func remainingPINAttempts() -> Int { pinAttemptsLeft }

    /// Whether a USSD session the network left open for a reply is still open.
    public func isUSSDSessionOpen() -> Bool { ussdSessionOpen }

    /// How often the driver sent `command` (e.g. `"+CPIN"`, `"+CMGD"`), in any form (`?`, `=…`).
    public func commandCount(_ command: String) -> Int { commandCounts[command.uppercased(), default: 0] }

    /// The network: 1 registered (home), 5 roaming, 2 searching, 0 none, 3 denied.
    public func setRegistration(_ stat: Int) { registration = stat }

    /// A hung modem: while false, everything the driver writes is ignored and nothing is answered.
    public func setResponsive(_ responsive: Bool) {
        self.responsive = responsive
        if !responsive { parser = SimulatorInputParser() }
    }

    /// Delivers a message from `sender` to the modem as the network would: stored on the SIM (one slot
    /// per part) and announced with `+CMTI`. With `shuffled`, the parts of a long message arrive in
    /// random order, as they can from real networks. Returns the slots used.
    @discardableResult
    public func injectIncoming(from sender: String, text: String, shuffled: Bool = false) async throws -> [Int] {
        let originator: Address
        do {
            originator = try Address(number: sender)
        } catch {
            originator = Address(kind: .alphanumeric, value: String(sender.prefix(11)))
        }
        let timestamp = SMSTimestamp(secondsSince1970: Int64(Date().timeIntervalSince1970))
        var pdus = DeliverPDU.encode(
            text: text,
            from: originator,
            serviceCentre: try Address(number: settings.serviceCentre),
            timestamp: timestamp,
            concatenationReference: Int.random(in: 0...255)
        )
        if shuffled {
            pdus.shuffle()
        }
        let free = (0..<settings.storageSlots).filter { storage[$0] == nil }
        guard free.count >= pdus.count else {
            throw ModemError(.unavailable, "the simulated SIM storage is full (\(settings.storageSlots) slots)")
        }
        var slots: [Int] = []
        for (pdu, slot) in zip(pdus, free) {
            let smscLength = Int(Hex.decode(pdu.prefix(2)).map { $0[0] } ?? 0) + 1
            storage[slot] = Slot(pdu: pdu, tpduLength: pdu.count / 2 - smscLength)
            slots.append(slot)
            if notifyNewMessages { await write("\r\n+CMTI: \"SM\",\(slot)\r\n") }
        }
        logger.info("simulated network delivers a message", metadata: ["from": "\(sender)", "slots": "\(slots)"])
        return slots
    }

    private func handle(_ input: SimulatorInput) async {
        guard responsive else { return }
        switch input {
        case .command(let line):
            if echo { await write(line + "\r") }
            await answer(line)
        case .pdu(let hex):
            if echo { await write(hex) }
            await submit(hex)
        case .cancelledPDU:
            pendingSendLength = nil
            await write("\r\nOK\r\n")
        }
    }

    private func answer(_ line: String) async {
        let command = line.uppercased()
        guard command.hasPrefix("AT") else { return await error() }
        let body = String(command.dropFirst(2))
        commandCounts[String(body.prefix { $0 != "=" && $0 != "?" }), default: 0] += 1
        switch body {
        case "", "Z", "&F":
            if !body.isEmpty { echo = true }
            await ok()
        case "E0", "E1", "E":
            echo = body == "E1"
            await ok()
        case "+CGMI": await ok(lines: ["Swiftlet"])
        case "+CGMM": await ok(lines: ["Simulated GSM modem"])
        case "+CGMR": await ok(lines: ["1.0"])
        case "+CGSN": await ok(lines: ["350000000000001"])
        case "+CIMI": await ok(lines: ["001010000000001"])
        case "+CPIN?":
            let state = !simLocked ? "READY" : pinAttemptsLeft > 0 ? "SIM PIN" : "SIM PUK"
            await ok(lines: ["+CPIN: \(state)"])
        case "+CSQ": await ok(lines: ["+CSQ: \(settings.signal),99"])
        case "+CREG?": await ok(lines: ["+CREG: 0,\(simLocked ? 0 : registration)"])
        case "+CEREG?": await ok(lines: ["+CEREG: 0,\(simLocked ? 0 : registration)"])
        case "+COPS=3,0": await ok()
        case "+COPS?":
            // Registered (home or roaming): automatic mode, long alphanumeric name, E-UTRAN.
            await ok(lines: [
                [1, 5].contains(registration) && !simLocked ? "+COPS: 0,0,\"Swiftlet Sim\",7" : "+COPS: 0"
            ])
        case "H", "H0", "+CHUP":
            _ = endCall(by: "modem")
            await ok()
        case "+CMMS?": await ok(lines: ["+CMMS: 0"])
        case "+CMGF?": await ok(lines: ["+CMGF: 0"])
        case "+CMGF=0": await ok()
        case "+CMGF=1": await cmsError(303)  // text mode is not simulated
        case "+CPMS?":
            let used = selectedMemory.count
            let total = settings.storageSlots
            let sm = "\"SM\",\(storage.count),\(total)"
            await ok(lines: ["+CPMS: \"\(readMemory)\",\(used),\(total),\(sm),\(sm)"])
        default:
            await answerWithParameters(body)
        }
    }

    private func answerWithParameters(_ body: String) async {
        func number(after prefix: String) -> Int? {
            guard body.hasPrefix(prefix) else { return nil }
            return Int(body.dropFirst(prefix.count).prefix { $0.isNumber })
        }
        if body.hasPrefix("+CMEE=") || body.hasPrefix("+CLIP=") || body.hasPrefix("+CSCS=") {
            await ok()
        } else if let mode = number(after: "+CMMS=") {
            guard (0...2).contains(mode) else { return await cmsError(302) }
            if mode == 1 { linkKeptOpen += 1 }
            await ok()
        } else if body.hasPrefix("+CUSD=") {
            await ussd(String(body.dropFirst(6)))
        } else if body.hasPrefix("D"), body.hasSuffix(";") {
            await dial(String(body.dropFirst().dropLast()))
        } else if body.hasPrefix("+CCFC=") {
            await callForwarding(String(body.dropFirst(6)))
        } else if body.hasPrefix("+CPIN=") {
            await enterPIN(String(body.dropFirst(6)).filter { $0 != "\"" })
        } else if simLocked && (body.hasPrefix("+CMG") || body.hasPrefix("+CNMI")) {
            await cmsError(311)  // SIM PIN required
        } else if body.hasPrefix("+CNMI=") {
            let fields = body.dropFirst(6).split(separator: ",", omittingEmptySubsequences: false)
            notifyNewMessages = fields.count > 1 && fields[1] == "1"
            let mode = fields.count > 3 ? Int(fields[3]) ?? 0 : 0
            if mode == 1 && !settings.directStatusReports { return await error() }
            statusReportMode = mode
            await ok()
        } else if let length = number(after: "+CMGS=") {
            guard (1...176).contains(length) else { return await cmsError(304) }
            guard registration == 1 || registration == 5 else { return await cmsError(331) }  // no network service
            pendingSendLength = length
            parser.expectPDU()
            await write("\r\n> ")
        } else if body.hasPrefix("+CPMS=") {
            let memory = String(body.dropFirst(6).prefix { $0 != "," }).filter { $0 != "\"" }
            guard memory == "SM" || memory == "SR" else { return await cmsError(302) }
            readMemory = memory
            let total = settings.storageSlots
            await ok(lines: [
                "+CPMS: \(selectedMemory.count),\(total),\(storage.count),\(total),\(storage.count),\(total)"
            ])
        } else if let index = number(after: "+CMGR=") {
            guard var slot = selectedMemory[index] else { return await cmsError(321) }
            await ok(lines: ["+CMGR: \(slot.unread ? 0 : 1),,\(slot.tpduLength)", slot.pdu])
            slot.unread = false
            selectedMemory[index] = slot
        } else if let status = number(after: "+CMGL=") {
            var lines: [String] = []
            for index in selectedMemory.keys.sorted() {
                guard var slot = selectedMemory[index] else { continue }
                let slotStatus = slot.unread ? 0 : 1
                guard status == 4 || status == slotStatus else { continue }
                lines += ["+CMGL: \(index),\(slotStatus),,\(slot.tpduLength)", slot.pdu]
                slot.unread = false
                selectedMemory[index] = slot
            }
            await ok(lines: lines)
        } else if let index = number(after: "+CMGD=") {
            selectedMemory[index] = nil
            await ok()
        } else {
            await error()
        }
    }

    /// `AT+CUSD=1,"<code>"[,<dcs>]`: OK at once, the network's `+CUSD` answer a moment later.
    /// `AT+CUSD=2` ends a session.
    private func ussd(_ parameters: String) async {
        let fields = parameters.split(separator: ",", omittingEmptySubsequences: false)
        guard let mode = fields.first.flatMap({ Int($0) }), (0...2).contains(mode) else { return await error() }
        guard mode == 1 else {
            if mode == 2 { ussdSessionOpen = false }
            return await ok()
        }
        guard !simLocked, registration == 1 || registration == 5 else { return await write("\r\n+CME ERROR: 30\r\n") }
        guard fields.count >= 2 else { return await error() }
        let code = fields[1].filter { $0 != "\"" }
        await ok()
        let status = settings.ussdMenus.contains(code) ? 1 : 0
        if status == 1 { ussdSessionOpen = true }
        let answer = settings.ussdAnswers[code].map { "+CUSD: \(status),\"\($0)\",15" } ?? "+CUSD: 4"
        let delay = settings.ussdDelay
        Task {
            try? await Task.sleep(for: delay)
            await self.write("\r\n\(answer)\r\n")
        }
        logger.info("simulated network answers USSD", metadata: ["code": "\(code)"])
    }

    /// `ATD<number>;`: a voice call, connected at once (or `BUSY`).
    private func dial(_ number: String) async {
        guard settings.voice else { return await write("\r\n+CME ERROR: 4\r\n") }
        guard !simLocked, registration == 1 || registration == 5 else { return await write("\r\nNO CARRIER\r\n") }
        guard activeCall == nil, PhoneNumberText.isDialable(number) else { return await error() }
        calls.append(SimulatedCall(number: number, startedAt: Date().timeIntervalSince1970))
        activeCall = calls.count - 1
        await ok()
        logger.info("simulated modem calls", metadata: ["to": "\(number)"])
        if settings.busyNumbers.contains(number) {
            _ = endCall(by: "busy")
            await write("\r\nBUSY\r\n")
        }
    }

    /// Ends the call in progress; false if there was none.
    private func endCall(by whom: String) -> Bool {
        guard let index = activeCall else { return false }
        activeCall = nil
        calls[index].endedAt = Date().timeIntervalSince1970
        calls[index].endedBy = whom
        return true
    }

    /// `AT+CCFC=<reason>,<mode>[,"<number>"[,<type>]]` for unconditional forwarding (reason 0).
    private func callForwarding(_ parameters: String) async {
        let fields = parameters.split(separator: ",", omittingEmptySubsequences: false).map { $0.filter { $0 != "\"" } }
        guard fields.count >= 2, fields[0] == "0", let mode = Int(fields[1]) else {
            return await write("\r\n+CME ERROR: 3\r\n")
        }
        switch mode {
        case 0: forwarding.enabled = false
        case 1:
            guard forwarding.number != nil else { return await write("\r\n+CME ERROR: 3\r\n") }
            forwarding.enabled = true
        case 2:
            if forwarding.enabled, let number = forwarding.number {
                return await ok(lines: ["+CCFC: 1,1,\"\(number)\",\(number.hasPrefix("+") ? 145 : 129)"])
            }
            return await ok(lines: ["+CCFC: 0,7"])
        case 3:
            guard fields.count >= 3, PhoneNumberText.isDialable(fields[2]) else {
                return await write("\r\n+CME ERROR: 3\r\n")
            }
            forwarding = (fields[2], true)
        case 4: forwarding = (nil, false)
        default: return await write("\r\n+CME ERROR: 3\r\n")
        }
        await ok()
    }

    private func enterPIN(_ pin: String) async {
        guard simLocked else { return await ok() }
        guard pinAttemptsLeft > 0 else { return await write("\r\n+CME ERROR: 12\r\n") }  // PUK required
        if pin == settings.pin {
            simLocked = false
            await ok()
        } else {
            pinAttemptsLeft -= 1
            await write("\r\n+CME ERROR: 16\r\n")  // incorrect password
        }
    }

    /// The network's side of `AT+CMGS`: decode, check, record, answer with a message reference.
    private func submit(_ hex: String) async {
        guard let expectedLength = pendingSendLength else { return await error() }
        pendingSendLength = nil
        let submit: SubmitPDU
        do {
            guard case .submit(let decoded) = try SMSPDU.decode(hex: hex) else { return await cmsError(304) }
            submit = decoded
        } catch {
            logger.warning(
                "simulated network rejects an undecodable PDU",
                metadata: ["error": "\(error)", "pdu": "\(hex)"]
            )
            return await cmsError(304)
        }
        let smscLength = Int(Hex.decode(hex.prefix(2)).map { $0[0] } ?? 0) + 1
        guard hex.count / 2 - smscLength == expectedLength else {
            logger.warning("simulated network rejects a PDU whose length is not the one given to AT+CMGS")
            return await cmsError(304)
        }
        if settings.sendDelay > .zero { try? await Task.sleep(for: settings.sendDelay) }
        if let code = rejectingSends { return await cmsError(code) }
        if settings.refusedNumbers.contains(submit.destination.description) { return await cmsError(500) }
        nextReference = (nextReference + 1) % 256
        let reference = nextReference
        record(Part(submit: submit, reference: reference))
        await ok(lines: ["+CMGS: \(reference)"])
        if submit.statusReportRequested, statusReportMode != 0 {
            let delivered = !settings.undeliverable.contains(submit.destination.description)
            let delay = settings.deliveryReportDelay
            // The network reports later, on its own; the modem passes it on as +CDS.
            Task {
                if delay > .zero { try? await Task.sleep(for: delay) }
                await self.reportDelivery(of: submit, reference: reference, delivered: delivered)
            }
        }
    }

    private func reportDelivery(of submit: SubmitPDU, reference: Int, delivered: Bool) async {
        let now = SMSTimestamp(secondsSince1970: Int64(Date().timeIntervalSince1970))
        let report = StatusReportPDU(
            serviceCentre: try? Address(number: settings.serviceCentre),
            messageReference: reference,
            recipient: submit.destination,
            serviceCentreTime: now,
            dischargeTime: now,
            status: delivered ? 0x00 : 0x41
        )  // 0x41: incompatible destination (permanent)
        if statusReportMode == 2 {
            guard let slot = (0..<settings.storageSlots).first(where: { reportStorage[$0] == nil }) else { return }
            reportStorage[slot] = Slot(pdu: report.encoded(), tpduLength: report.tpduLength, unread: true)
            await write("\r\n+CDSI: \"SR\",\(slot)\r\n")
        } else {
            await write("\r\n+CDS: \(report.tpduLength)\r\n\(report.encoded())\r\n")
        }
    }

    private func record(_ part: Part) {
        let recipient = part.submit.destination.description
        guard let concatenation = part.submit.userData.concatenation else {
            return deliver([part], recipient: recipient)
        }
        let key = "\(recipient)/\(concatenation.reference)/\(concatenation.total)"
        partials[key, default: [:]][concatenation.sequence] = part
        if let parts = partials[key], parts.count == concatenation.total {
            partials[key] = nil
            deliver(parts.keys.sorted().compactMap { parts[$0] }, recipient: recipient)
        }
    }

    private func deliver(_ parts: [Part], recipient: String) {
        let first = parts[0].submit
        var message = NetworkMessage(
            recipient: recipient,
            text: parts.map { $0.submit.userData.text ?? "" }.joined(),
            unicode: first.coding.alphabet == .ucs2,
            flash: first.coding.messageClass == .flash,
            parts: parts.count,
            references: parts.map(\.reference),
            receivedAt: Date().timeIntervalSince1970
        )
        message.validityMinutes = first.validity?.minutes
        if first.coding.alphabet == .eightBit {
            message.data = Hex.encode(parts.flatMap { $0.submit.userData.binary ?? [] })
            message.header = first.userData.header.isEmpty ? nil : Hex.encode(first.userData.header)
            message.messageClass = first.coding.messageClass?.rawValue
        }
        delivered.append(message)
        logger.info(
            "simulated network accepted a message",
            metadata: ["to": "\(recipient)", "parts": "\(parts.count)"]
        )
    }

    private func ok(lines: [String] = []) async {
        await write(lines.map { "\r\n\($0)\r\n" }.joined() + "\r\nOK\r\n")
    }

    private func error() async { await write("\r\nERROR\r\n") }

    private func cmsError(_ code: Int) async { await write("\r\n+CMS ERROR: \(code)\r\n") }

    private func write(_ text: String) async {
        try? await writer?.write(ByteBuffer(string: text))
    }
}

/// A voice call the simulated modem made.
public struct SimulatedCall: Sendable, Equatable, Codable {
    public var number: String
    /// Seconds since 1970.
    public var startedAt: Double
    public var endedAt: Double?
    /// `modem` (hung up by the driver), `remote` (the other side), `busy`.
    public var endedBy: String?
}

enum PhoneNumberText {
    static func isDialable(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 24 && text.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "+") }
    }
}
