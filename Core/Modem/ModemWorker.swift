import Logging
import NIOCore
import NIOPosix
import SMSCodec
import Synchronization

/// A message to send through a modem.
public struct OutgoingSMS: Sendable {
    public var recipient: String
    public var text: String
    public var options: SubmitOptions

    public init(recipient: String, text: String, options: SubmitOptions) {
        self.recipient = recipient
        self.text = text
        self.options = options
    }
}

/// What the network answered for a sent message.
public struct SendReceipt: Sendable, Equatable {
    /// The TP-Message-Reference of each part.
    public var references: [Int]
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
/// Work is done one command at a time in the order it arrives, as a modem requires.
public final class ModemWorker: Sendable {
    enum Job: Sendable {
        case send(
            OutgoingSMS,
            beforeSubmit: @Sendable () async throws -> Void,
            afterSubmit: @Sendable (SendReceipt) async throws -> Void,
            CheckedContinuation<SendReceipt, any Error>
        )
        case read(index: Int)
        /// A status report the modem stored in its memory (`+CDSI`).
        case readStoredReport(memory: String, index: Int)
        /// A status report the modem passed on directly (`+CDS`).
        case statusReport(pdu: String)
        /// A message the modem passed on directly (`+CMT`) instead of storing it.
        case directMessage(pdu: String)
        case healthCheck
    }

    private struct Status {
        var state = ModemState.connecting
        var signal: SignalQuality?
        var jobs: AsyncStream<Job>.Continuation?
        var concatenationReference = Int.random(in: 0...255)
        /// Whether the current connection got as far as an initialised modem.
        var initialised = false
        /// The SIM refused the PIN once; it is not sent again until a restart.
        var pinRejected = false
        var registration: Registration?
    }

    public let configuration: ModemConfiguration
    private let logger: Logger
    private let receive: @Sendable (ReceivedSMS) async throws -> Void
    private let deliveryReport: @Sendable (StatusReportPDU) async throws -> Void
    private let stateChanged: @Sendable (ModemState) -> Void
    private let status = Mutex(Status())

    /// - Parameters:
    ///   - receive: stores a received message; it must return only after the message is committed,
    ///     because the worker then deletes it from the modem. If it throws, the message stays on the modem.
    ///   - deliveryReport: records a status report from the network.
    ///   - stateChanged: called on every change of ``state`` (from the worker's task).
    public init(
        configuration: ModemConfiguration,
        logger: Logger,
        receive: @escaping @Sendable (ReceivedSMS) async throws -> Void,
        deliveryReport: @escaping @Sendable (StatusReportPDU) async throws -> Void = { _ in },
        stateChanged: @escaping @Sendable (ModemState) -> Void = { _ in }
    ) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "modem"] = "\(configuration.name)"
        self.logger = logger
        self.receive = receive
        self.deliveryReport = deliveryReport
        self.stateChanged = stateChanged
    }

    public var state: ModemState { status.withLock { $0.state } }
    public var signal: SignalQuality? { status.withLock { $0.signal } }
    public var registration: Registration? { status.withLock { $0.registration } }

    /// Sends `sms`. `beforeSubmit` runs right before the first `AT+CMGS` (to mark the message as
    /// submitting); if it throws, nothing is sent. `afterSubmit` runs once the network accepted every
    /// part (to record it), before the modem does anything else, so a status report the modem passes
    /// on next always finds the message recorded. Throws ``ModemError`` if the modem is not ready,
    /// rejects the message, or stops answering, or what `beforeSubmit`/`afterSubmit` threw.
    public func send(
        _ sms: OutgoingSMS,
        beforeSubmit: @escaping @Sendable () async throws -> Void,
        afterSubmit: @escaping @Sendable (SendReceipt) async throws -> Void = { _ in }
    ) async throws
        -> SendReceipt
    {
        try await withCheckedThrowingContinuation { continuation in
            let jobs = status.withLock { $0.state == .ready ? $0.jobs : nil }
            let job = Job.send(sms, beforeSubmit: beforeSubmit, afterSubmit: afterSubmit, continuation)
            guard let jobs, case .enqueued = jobs.yield(job) else {
                continuation.resume(throwing: ModemError(.unavailable, "modem \(configuration.name) is not ready"))
                return
            }
        }
    }

    /// Runs until the task is cancelled, reconnecting as needed.
    public func run() async {
        var delay = Duration.seconds(1)
        while !Task.isCancelled {
            setState(.connecting)
            status.withLock { $0.initialised = false }
            do {
                try await session()
            } catch is CancellationError {
                break
            } catch {
                if Task.isCancelled { break }
                if (error as? ModemError)?.kind == .pinRejected { status.withLock { $0.pinRejected = true } }
                logger.error(
                    "modem \(configuration.name) on \(configuration.device) is down: \(error); messages stay queued, retrying in \(delay)"
                )
                setState(.down("\(error)"))
            }
            if status.withLock({ $0.initialised }) { delay = .seconds(1) }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(60))
        }
        setState(.down("stopped"))
    }

    private func setState(_ state: ModemState, jobs: AsyncStream<Job>.Continuation? = nil) {
        let changed = status.withLock { status in
            defer {
                status.state = state
                if state == .ready { status.jobs = jobs } else if case .down = state { status.jobs = nil }
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
        let (jobs, jobContinuation) = AsyncStream.makeStream(of: Job.self)
        defer {
            // No new work for this connection; `run` reports why it ended.
            status.withLock { $0.jobs = nil }
            jobContinuation.finish()
        }
        try await channel.executeThenClose { inbound, outbound in
            let port = ATPort(writer: outbound, logger: logger) { [logger] result in
                if let (kind, memory, index) = Self.storedIndication(result.line) {
                    jobContinuation.yield(
                        kind == "+CDSI:" ? .readStoredReport(memory: memory, index: index) : .read(index: index)
                    )
                } else if let pdu = result.pdu, result.line.hasPrefix("+CDS:") {
                    jobContinuation.yield(.statusReport(pdu: pdu))
                } else if let pdu = result.pdu, result.line.hasPrefix("+CMT:") {
                    jobContinuation.yield(.directMessage(pdu: pdu))
                } else {
                    logger.debug("unsolicited: \(result.line)")
                }
            }
            let driver = ModemDriver(port: port, timeouts: configuration.timeouts)
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
                    self.status.withLock {
                        $0.signal = signal
                        $0.initialised = true
                    }
                    self.logger.info(
                        "modem \(self.configuration.name) ready on \(self.configuration.device)",
                        metadata: [
                            "manufacturer": "\(identity["manufacturer"] ?? "?")",
                            "model": "\(identity["model"] ?? "?")",
                            "signal": "\(signal.percent)%",
                        ]
                    )
                    for message in try await driver.listAll() {
                        try await self.take(message, driver: driver)
                    }
                    self.setState(.ready, jobs: jobContinuation)
                    for await job in jobs {
                        try await self.perform(job, driver: driver)
                    }
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: self.configuration.healthCheckInterval)
                        jobContinuation.yield(.healthCheck)
                    }
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        }
    }

    /// Runs one job. Rejections are answered to the job's caller; timeouts and disconnects end the
    /// session (after answering the caller), so the modem is opened and initialised again.
    private func perform(_ job: Job, driver: ModemDriver) async throws {
        switch job {
        case .send(let sms, let beforeSubmit, let afterSubmit, let continuation):
            do {
                let pdus = try Self.encode(sms, reference: nextConcatenationReference())
                try await beforeSubmit()
                var references: [Int] = []
                for pdu in pdus { references.append(try await driver.send(pdu)) }
                let receipt = SendReceipt(references: references)
                try await afterSubmit(receipt)
                continuation.resume(returning: receipt)
            } catch let error as ModemError {
                continuation.resume(throwing: error)
                if error.kind != .rejected { throw error }
            } catch {
                continuation.resume(throwing: error)
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
            status.withLock {
                $0.signal = signal
                $0.registration = registration
            }
            if let registration, !registration.isRegistered {
                throw ModemError(.unavailable, "lost the network (\(registration))")
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
                logger.error("cannot store the message in slot \(message.index): \(error); left on the modem")
                return
            }
            try await driver.delete(index: message.index)
        case .success(.statusReport(let report)):
            if await record(report, hex: message.hex) { try await driver.delete(index: message.index) }
        case .success(let other):
            logger.notice("slot \(message.index) holds a \(Self.kind(of: other)), not handled yet; left on the modem")
        }
    }

    /// Hands a status report to `deliveryReport`; false (and logged) if it could not be recorded.
    @discardableResult
    private func record(_ report: StatusReportPDU, hex: String) async -> Bool {
        do {
            try await deliveryReport(report)
            return true
        } catch {
            logger.error("cannot record a status report: \(error)", metadata: ["pdu": "\(hex)"])
            return false
        }
    }

    static func received(_ deliver: DeliverPDU) -> ReceivedSMS {
        ReceivedSMS(
            sender: deliver.originator.description,
            text: deliver.userData.text ?? Hex.encode(deliver.userData.binary ?? []),
            unicode: deliver.coding.alphabet == .ucs2,
            serviceCentre: deliver.serviceCentre?.description,
            sentAt: deliver.timestamp,
            concatenation: deliver.userData.concatenation
        )
    }

    private func nextConcatenationReference() -> Int {
        status.withLock { status in
            status.concatenationReference = (status.concatenationReference + 1) & 0xFF
            return status.concatenationReference
        }
    }

    static func encode(_ sms: OutgoingSMS, reference: Int) throws -> [EncodedPDU] {
        let address: Address
        do {
            address = try Address(number: sms.recipient)
        } catch {
            throw ModemError(.rejected, "\(error)")
        }
        var options = sms.options
        options.concatenationReference = reference
        return SubmitPDU.encode(text: sms.text, to: address, options: options)
    }

    static func kind(of pdu: SMSPDU) -> String {
        switch pdu {
        case .deliver: "received message"
        case .submit: "stored outgoing message"
        case .statusReport: "status report"
        }
    }

    /// What a `+CMTI: "SM",3` (new message) or `+CDSI: "SR",4` (new status report) says: its kind,
    /// the memory and the index there.
    static func storedIndication(_ line: String) -> (kind: String, memory: String, index: Int)? {
        guard let kind = ["+CMTI:", "+CDSI:"].first(where: { line.hasPrefix($0) }),
            let comma = line.lastIndex(of: ","),
            let index = Int(String(line[line.index(after: comma)...]).trimmingSpaces())
        else { return nil }
        let memory = String(line[line.index(line.startIndex, offsetBy: kind.count)..<comma]).filter {
            $0 != "\"" && $0 != " "
        }
        return (kind, memory, index)
    }
}
