import Foundation
import Logging
import NIOCore
import NIOPosix
import SMSCodec
import Synchronization

/// A message to send through a modem.
public struct ModemMessage: Sendable {
    /// What the message carries.
    public enum Content: Sendable {
        /// A text, in GSM 7-bit or UCS-2 and split into parts as it needs.
        case text(String)
        /// 8-bit data in one part: the header without its length octet, and the TP-DCS class.
        case binary(data: [UInt8], header: [UInt8], messageClass: MessageClass?)
    }

    public var recipient: String
    public var content: Content
    public var options: SubmitOptions

    public init(recipient: String, content: Content, options: SubmitOptions) {
        self.recipient = recipient
        self.content = content
        self.options = options
    }

    public init(recipient: String, text: String, options: SubmitOptions) {
        self.init(recipient: recipient, content: .text(text), options: options)
    }
}

/// What the network answered for a sent message.
public struct SendReceipt: Sendable, Equatable {
    /// The TP-Message-Reference of each part.
    public var references: [Int]

    public init(references: [Int]) { self.references = references }
}

/// A message the modem received.
public struct ReceivedSMS: Sendable {
    public var sender: String
    public var text: String
    public var unicode: Bool
    public var serviceCentre: String?
    public var sentAt: SMSTimestamp
    public var concatenation: Concatenation?
}

/// Owns one modem: opens its serial device, initialises it, sends and receives, and reconnects
/// (with back-off) whenever the device is missing, closes, or stops answering.
///
/// Work is done one command at a time in the order it arrives, as a modem requires. Every caller
/// gets an answer: when a connection ends, the work still waiting for it fails as `.unavailable`.
public final class ModemWorker: Sendable {
    enum Job: Sendable {
        /// Work for a caller (a send, a USSD request, a call…); `fail` answers it if it never runs.
        case exclusive(run: @Sendable (ModemDriver) async throws -> Void, fail: @Sendable (ModemError) -> Void)
        case read(index: Int)
        /// A status report the modem stored in its memory (`+CDSI`).
        case readStoredReport(memory: String, index: Int)
        /// A status report the modem passed on directly (`+CDS`).
        case statusReport(pdu: String)
        /// A message the modem passed on directly (`+CMT`) instead of storing it.
        case directMessage(pdu: String)
        /// A USSD message the network sent on its own (`+CUSD` with no request waiting).
        case networkUSSD(line: String)
        case healthCheck
        /// The admin disabled the modem: end the connection after the work before it.
        case close

        func fail(_ error: ModemError) {
            if case .exclusive(_, let fail) = self { fail(error) }
        }
    }

    private struct Status {
        var state = ModemState.connecting
        var signal: SignalQuality?
        var jobs: JobQueue<Job>?
        var concatenationReference = Int.random(in: 0...255)
        /// Whether the current connection got as far as an initialised modem.
        var initialised = false
        /// The SIM refused the PIN once; it is not sent again until a restart.
        var pinRejected = false
        var registration: Registration?
        /// The network operator's name, when the modem says.
        var operatorName: String?
        var identity: ModemIdentity?
        var enabled: Bool
        /// The last caller logged, so that a ringing phone is logged once, not at every RING.
        var lastCaller: (number: String, at: ContinuousClock.Instant)?
        /// A received message could not be stored and was left on the modem: each health check
        /// reads the modem's messages again until they are all stored.
        var leftOnModem = false
    }

    public let configuration: ModemConfiguration
    private let logger: Logger
    private let receive: @Sendable (ReceivedSMS) async throws -> Void
    private let deliveryReport: @Sendable (StatusReportPDU) async throws -> Void
    private let stateChanged: @Sendable (ModemState) -> Void
    private let incomingCall: @Sendable (String) -> Void
    private let status: Mutex<Status>
    /// Signalled whenever the admin enables or disables the modem.
    private let enabledChanges = JobQueue<Void>()

    /// - Parameters:
    ///   - enabled: false to start with the modem switched off (as the admin left it).
    ///   - receive: stores a received message; it must return only after the message is committed,
    ///     because the worker then deletes it from the modem. If it throws, the message stays on the modem.
    ///     USSD answers come this way too, from the USSD code as the sender.
    ///   - deliveryReport: records a status report from the network.
    ///   - stateChanged: called on every change of ``state`` (from the worker's task).
    ///   - incomingCall: someone calls (their number); once per call, not at every RING. Not answered.
    public init(
        configuration: ModemConfiguration,
        enabled: Bool = true,
        logger: Logger,
        receive: @escaping @Sendable (ReceivedSMS) async throws -> Void,
        deliveryReport: @escaping @Sendable (StatusReportPDU) async throws -> Void = { _ in },
        stateChanged: @escaping @Sendable (ModemState) -> Void = { _ in },
        incomingCall: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.incomingCall = incomingCall
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "modem"] = "\(configuration.name)"
        self.logger = logger
        self.receive = receive
        self.deliveryReport = deliveryReport
        self.stateChanged = stateChanged
        self.status = Mutex(Status(enabled: enabled))
    }

    public var state: ModemState { status.withLock { $0.state } }
    public var signal: SignalQuality? { status.withLock { $0.signal } }
    public var registration: Registration? { status.withLock { $0.registration } }
    /// The network operator's name (`AT+COPS?`), when the modem says.
    public var operatorName: String? { status.withLock { $0.operatorName } }
    /// What the modem said about itself when it was last initialised.
    public var identity: ModemIdentity? { status.withLock { $0.identity } }
    public var isEnabled: Bool { status.withLock { $0.enabled } }

    /// Switches the modem on or off. Disabling lets the work already given to the modem finish, then
    /// closes the device; work after that fails as `.unavailable` (the dispatcher queues it again).
    public func setEnabled(_ enabled: Bool) {
        let jobs = status.withLock { status in
            defer { status.enabled = enabled }
            return status.enabled != enabled && !enabled ? status.jobs : nil
        }
        jobs?.push(.close)
        enabledChanges.push(())
    }

    /// Sends `sms`. `beforeSubmit` runs right before the first `AT+CMGS` (to mark the message as
    /// submitting); if it throws, nothing is sent. `afterSubmit` runs once the network accepted every
    /// part (to record it), before the modem does anything else, so a status report the modem passes
    /// on next always finds the message recorded. Throws ``ModemError`` if the modem is not ready,
    /// rejects the message, or stops answering, or what `beforeSubmit`/`afterSubmit` threw.
    public func send(
        _ sms: ModemMessage,
        beforeSubmit: @escaping @Sendable () async throws -> Void,
        afterSubmit: @escaping @Sendable (SendReceipt) async throws -> Void = { _ in }
    ) async throws
        -> SendReceipt
    {
        try await exclusive { driver in
            let pdus = try Self.encode(sms, reference: self.nextConcatenationReference())
            try await beforeSubmit()
            // Keep the radio link up between the parts (AT+CMMS=1); modems without it send them anyway.
            if pdus.count > 1 { _ = try? await driver.port.run("AT+CMMS=1", timeout: driver.timeouts.command) }
            var references: [Int] = []
            for pdu in pdus { references.append(try await driver.send(pdu)) }
            let receipt = SendReceipt(references: references)
            try await afterSubmit(receipt)
            return receipt
        }
    }

    /// Sends the USSD request `code` (e.g. `*101#`) and returns the network's answer, after storing
    /// it through `receive` as a message from `code` (where SMSEagle shows it: in the inbox).
    /// `beforeSubmit` as for ``send(_:beforeSubmit:afterSubmit:)``.
    public func ussd(
        _ code: String,
        beforeSubmit: @escaping @Sendable () async throws -> Void = {}
    ) async throws -> String {
        try await exclusive { driver in
            try await beforeSubmit()
            let answer = try await driver.ussd(code)
            let text = answer.text ?? ""
            try await self.receive(
                ReceivedSMS(
                    sender: code,
                    text: text,
                    unicode: false,
                    serviceCentre: nil,
                    sentAt: SMSTimestamp(secondsSince1970: Int64(Date().timeIntervalSince1970)),
                    concatenation: nil
                )
            )
            self.logger.info("USSD answered", metadata: ["code": "\(code)", "characters": "\(text.count)"])
            return text
        }
    }

    /// Calls `number` and hangs up after `duration` (the other side may end it first). Returns once
    /// the modem has dialled; the call then holds the modem until it ends. Throws `.notSupported`
    /// for a modem without voice.
    public func call(_ number: String, duration: Duration) async throws {
        let answer = Mutex<CheckedContinuation<Void, any Error>?>(nil)
        @Sendable func resume(_ result: Result<Void, any Error>) {
            answer.withLock { continuation in
                defer { continuation = nil }
                return continuation
            }?.resume(with: result)
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            answer.withLock { $0 = continuation }
            let job = Job.exclusive(
                run: { [logger] driver in
                    do {
                        let outcome = try await driver.call(number, duration: duration) { resume(.success(())) }
                        logger.info("call ended", metadata: ["to": "\(number)", "outcome": "\(outcome)"])
                    } catch {
                        resume(.failure(error))
                        if Self.endsSession(error) { throw error }
                    }
                },
                fail: { resume(.failure($0)) }
            )
            if !enqueue(job) { resume(.failure(notReady)) }
        }
    }

    /// Whether the network forwards this SIM's voice calls, and where.
    public func callForwarding() async throws -> CallForwarding {
        try await exclusive { driver in try await driver.callForwarding() }
    }

    /// Forwards every voice call to `number`, or stops forwarding when it is nil.
    public func setCallForwarding(to number: String?) async throws {
        try await exclusive { driver in try await driver.setCallForwarding(to: number) }
    }

    /// Runs `body` between the modem's other work and answers with its result. A rejection reaches
    /// the caller only; a timeout or disconnect also ends the connection, so the modem is opened and
    /// initialised again.
    private func exclusive<T: Sendable>(
        _ body: @escaping @Sendable (ModemDriver) async throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let job = Job.exclusive(
                run: { driver in
                    do {
                        continuation.resume(returning: try await body(driver))
                    } catch {
                        continuation.resume(throwing: error)
                        if Self.endsSession(error) { throw error }
                    }
                },
                fail: { continuation.resume(throwing: $0) }
            )
            if !enqueue(job) { continuation.resume(throwing: notReady) }
        }
    }

    /// Queues `job` for a ready modem; false when there is none.
    private func enqueue(_ job: Job) -> Bool {
        guard let jobs = status.withLock({ $0.state == .ready ? $0.jobs : nil }) else { return false }
        return jobs.push(job)
    }

    private var notReady: ModemError {
        ModemError(isEnabled ? .unavailable : .disabled, "modem \(configuration.name) is not ready")
    }

    /// Whether a failed job means the connection can no longer be trusted.
    static func endsSession(_ error: any Error) -> Bool {
        if error is CancellationError { return true }
        guard let error = error as? ModemError else { return false }
        return ![.rejected, .notSupported].contains(error.kind)
    }

    /// Runs until the task is cancelled, reconnecting as needed.
    public func run() async {
        var delay = Duration.seconds(1)
        while !Task.isCancelled {
            if !isEnabled {
                setState(.disabled)
                logger.notice("modem is disabled; its device stays closed until it is enabled")
                while !isEnabled {
                    guard await enabledChanges.next() != nil else { break }
                }
                delay = .seconds(1)
                continue
            }
            setState(.connecting)
            status.withLock { $0.initialised = false }
            do {
                try await session()
            } catch is CancellationError {
                break
            } catch let error as ModemError where error.kind == .disabled {
                continue
            } catch {
                if Task.isCancelled { break }
                if (error as? ModemError)?.kind == .pinRejected { status.withLock { $0.pinRejected = true } }
                logger.error(
                    "modem \(configuration.name) on \(configuration.device) is down: \(error); messages stay queued, retrying in \(delay)"
                )
                setState(.down("\(error)"))
            }
            if status.withLock({ $0.initialised }) { delay = .seconds(1) }
            // Back off, but come back at once when the admin disables the modem meanwhile.
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [delay] in try? await Task.sleep(for: delay) }
                group.addTask {
                    while self.isEnabled, await self.enabledChanges.next() != nil {}
                }
                await group.next()
                group.cancelAll()
            }
            delay = min(delay * 2, .seconds(60))
        }
        setState(.down("stopped"))
    }

    private func setState(_ state: ModemState, jobs: JobQueue<Job>? = nil) {
        let changed = status.withLock { status in
            defer {
                status.state = state
                if state == .ready { status.jobs = jobs } else if state != .connecting { status.jobs = nil }
            }
            return status.state != state
        }
        if changed { stateChanged(state) }
    }

    private func session() async throws {
        let fd = try SerialPort.open(path: configuration.device, baudRate: configuration.baudRate)
        let channel: NIOAsyncChannel<ATLine, ByteBuffer>
        do {
            channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .takingOwnershipOfDescriptor(inputOutput: fd) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ATLineDecoder()))
                        return try NIOAsyncChannel<ATLine, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            SerialPort.close(fd)
            throw ModemError(.cannotOpen, "cannot attach to \(configuration.device): \(error)")
        }
        let jobs = JobQueue<Job>()
        defer {
            // No new work for this connection; what is left is answered, and `run` says why it ended.
            status.withLock { $0.jobs = nil }
            let unavailable = ModemError(.unavailable, "the connection to modem \(configuration.name) ended")
            for job in jobs.close() { job.fail(unavailable) }
        }
        let listener = UnsolicitedListener()
        try await channel.executeThenClose { inbound, outbound in
            let port = ATPort(writer: outbound, logger: logger) { result in
                if !listener.offer(result.line) { self.unsolicited(result, jobs: jobs) }
            }
            let driver = ModemDriver(port: port, timeouts: configuration.timeouts, listener: listener)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await event in inbound { await port.received(event) }
                    await port.close()
                    throw ModemError(.disconnected, "the serial line closed")
                }
                group.addTask {
                    let pin = self.status.withLock { $0.pinRejected } ? nil : self.configuration.pin
                    let identity = try await driver.initialize(
                        pin: pin,
                        registrationTimeout: self.configuration.registrationTimeout,
                        logger: self.logger
                    )
                    let signal = try await driver.signal()
                    let registration = try? await driver.registration()
                    let operatorName = try? await driver.operatorName()
                    self.status.withLock {
                        $0.signal = signal
                        $0.registration = registration ?? $0.registration
                        $0.operatorName = operatorName
                        $0.identity = identity
                        $0.initialised = true
                    }
                    self.logger.info(
                        "modem \(self.configuration.name) ready on \(self.configuration.device)",
                        metadata: [
                            "manufacturer": "\(identity.manufacturer ?? "?")",
                            "model": "\(identity.model ?? "?")",
                            "signal": "\(signal.percent)%",
                        ]
                    )
                    for message in try await driver.listAll() {
                        try await self.take(message, driver: driver)
                    }
                    guard self.isEnabled else { throw ModemError(.disabled, "disabled by the admin") }
                    self.setState(.ready, jobs: jobs)
                    while let job = await jobs.next() {
                        try await self.perform(job, driver: driver)
                    }
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: self.configuration.healthCheckInterval)
                        jobs.push(.healthCheck)
                    }
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        }
    }

    /// Sorts what the modem said on its own into jobs (or the log).
    private func unsolicited(_ result: UnsolicitedResult, jobs: JobQueue<Job>) {
        let line = result.line
        if let (kind, memory, index) = Self.storedIndication(line) {
            jobs.push(kind == "+CDSI:" ? .readStoredReport(memory: memory, index: index) : .read(index: index))
        } else if let pdu = result.pdu, line.hasPrefix("+CDS:") {
            jobs.push(.statusReport(pdu: pdu))
        } else if let pdu = result.pdu, line.hasPrefix("+CMT:") {
            jobs.push(.directMessage(pdu: pdu))
        } else if line.hasPrefix("+CUSD:") {
            jobs.push(.networkUSSD(line: line))
        } else if line.hasPrefix("+CLIP:") {
            let number = line.dropFirst("+CLIP:".count).split(separator: ",").first
                .map { String($0.filter { $0 != "\"" && $0 != " " }) }
            let caller = number.flatMap { $0.isEmpty ? nil : $0 } ?? "an unknown number"
            let isNew = status.withLock { status in
                let now = ContinuousClock.now
                defer { status.lastCaller = (caller, now) }
                guard let last = status.lastCaller else { return true }
                return last.number != caller || now - last.at > .seconds(30)
            }
            if isNew {
                logger.info("incoming call; not answered", metadata: ["from": "\(caller)"])
                if let number, !number.isEmpty { incomingCall(number) }
            }
        } else {
            logger.debug("unsolicited line", metadata: ["line": "\(line)"])
        }
    }

    /// Runs one job. Rejections are answered to the job's caller; timeouts and disconnects end the
    /// session (after answering the caller), so the modem is opened and initialised again.
    private func perform(_ job: Job, driver: ModemDriver) async throws {
        switch job {
        case .exclusive(let run, _):
            try await run(driver)
        case .close:
            throw ModemError(.disabled, "disabled by the admin")
        case .networkUSSD(let line):
            guard let answer = USSDAnswer(String(line.dropFirst("+CUSD:".count))), let text = answer.text else {
                logger.notice("the network sent a USSD notice without text", metadata: ["line": "\(line)"])
                return
            }
            if answer.status == 1 { _ = try? await driver.port.run("AT+CUSD=2", timeout: driver.timeouts.command) }
            do {
                try await receive(
                    ReceivedSMS(
                        sender: "USSD",
                        text: text,
                        unicode: false,
                        serviceCentre: nil,
                        sentAt: SMSTimestamp(secondsSince1970: Int64(Date().timeIntervalSince1970)),
                        concatenation: nil
                    )
                )
            } catch {
                logger.error(
                    "cannot store a USSD message from the network",
                    metadata: ["error": "\(error)", "text": "\(text)"]
                )
            }
        case .readStoredReport(let memory, let index):
            try await driver.withMemory(memory) {
                if let message = try await driver.read(index: index) { try await self.take(message, driver: driver) }
            }
        case .read(let index):
            if let message = try await driver.read(index: index) {
                try await take(message, driver: driver)
            }
        case .statusReport(let hex):
            guard case .statusReport(let report) = try? SMSPDU.decode(hex: hex) else {
                logger.error("cannot decode a status report", metadata: ["pdu": "\(hex)"])
                return
            }
            await record(report, hex: hex)
        case .directMessage(let hex):
            // Passed on without being stored in the modem: if it cannot be stored, the log is all that is left.
            guard case .deliver(let deliver) = try? SMSPDU.decode(hex: hex) else {
                logger.error("cannot decode a message the modem passed on directly", metadata: ["pdu": "\(hex)"])
                return
            }
            do {
                try await receive(Self.received(deliver))
            } catch {
                logger.critical(
                    "cannot store a message the modem passed on directly: \(error)",
                    metadata: ["pdu": "\(hex)"]
                )
            }
        case .healthCheck:
            let signal = try await driver.signal()
            let registration = try await driver.registration()
            let operatorName = try? await driver.operatorName()
            status.withLock {
                $0.signal = signal
                $0.registration = registration
                $0.operatorName = operatorName
            }
            if let registration, !registration.isRegistered {
                throw ModemError(.unavailable, "lost the network (\(registration))")
            }
            if status.withLock({ $0.leftOnModem }) {
                status.withLock { $0.leftOnModem = false }
                for message in try await driver.listAll() { try await take(message, driver: driver) }
            }
        }
    }

    /// Hands a stored message to `receive` and deletes it from the modem once it is committed.
    private func take(_ message: StoredMessage, driver: ModemDriver) async throws {
        switch message.pdu {
        case .failure(let error):
            logger.error(
                "cannot decode the message in slot \(message.index): \(error); left on the modem",
                metadata: ["pdu": "\(message.hex)"]
            )
        case .success(.deliver(let deliver)):
            do {
                try await receive(Self.received(deliver))
            } catch {
                logger.error(
                    "cannot store the message in slot \(message.index): \(error); left on the modem, tried again at the next health check"
                )
                status.withLock { $0.leftOnModem = true }
                return
            }
            try await driver.delete(index: message.index)
        case .success(.statusReport(let report)):
            if await record(report, hex: message.hex) { try await driver.delete(index: message.index) }
        case .success(let other):
            logger.notice(
                "a stored message of a kind not handled yet is left on the modem",
                metadata: ["slot": "\(message.index)", "kind": "\(Self.kind(of: other))"]
            )
        }
    }

    /// Hands a status report to `deliveryReport`; false (and logged) if it could not be recorded.
    @discardableResult
    private func record(_ report: StatusReportPDU, hex: String) async -> Bool {
        do {
            try await deliveryReport(report)
            return true
        } catch {
            logger.error("cannot record a status report", metadata: ["error": "\(error)", "pdu": "\(hex)"])
            return false
        }
    }

    private func nextConcatenationReference() -> Int {
        status.withLock { status in
            status.concatenationReference = (status.concatenationReference + 1) & 0xFF
            return status.concatenationReference
        }
    }
}
