import Foundation
import Logging
import SMSCodec
import ServiceLifecycle
import SwiftletDomain
import SwiftletEvents
import SwiftletModem
import SwiftletPluginHost
import Synchronization

/// Moves messages from the queue to the modems: one worker per modem claims the most urgent due
/// message, marks it `submitting`, hands it to the modem, and records the outcome.
///
/// Workers sleep until something happens: a message was queued in this process, a modem changed
/// state, a scheduled message fell due, or the sweep (for messages queued by other processes and
/// for other nodes' expired claims) came round.
///
/// On graceful shutdown the workers finish the message they are sending and record its outcome,
/// then stop; nothing is cancelled half-way (a cancelled write would leave a sent message to be
/// sent again).
public final class Dispatcher: Service {
    let queue: any OutboxQueue
    let modems: [ModemWorker]
    let settings: GatewayConfiguration.Dispatcher
    let owner: String
    let logger: Logger
    let wakeup: Wakeup
    let events: EventBus?
    /// The plugins that provide transports (ABI 1.4); nil when no plugin runs.
    let providers: ProviderRegistry?
    /// Whether the transport's costs this month reached its cap: it then takes urgent messages only,
    /// and is primary no more.
    let transportOverCap = Mutex(false)
    /// Where transports' costs and status reports are kept (the store); nil: costs are not kept.
    let ledger: (any TransportLedger)?
    /// The gateway's time zone, for send windows and the transport's monthly cap.
    let calendar: Calendar
    /// Signalled once, on graceful shutdown.
    let stop = Wakeup()
    /// Told of each message the network (or a transport) accepted: when it was due, and when it was sent.
    let didSend: @Sendable (_ due: Date, _ at: Date) -> Void
    /// Told of each message a transport accepted: its sender name, the parts and what it cost.
    let didCharge: @Sendable (_ transport: String, _ parts: Int, _ cost: Double?) -> Void

    init(
        queue: any OutboxQueue,
        ledger: (any TransportLedger)? = nil,
        modems: [ModemWorker],
        settings: GatewayConfiguration.Dispatcher,
        owner: String,
        wakeup: Wakeup,
        events: EventBus? = nil,
        providers: ProviderRegistry? = nil,
        timeZone: TimeZone = .current,
        didSend: @escaping @Sendable (_ due: Date, _ at: Date) -> Void = { _, _ in },
        didCharge: @escaping @Sendable (_ transport: String, _ parts: Int, _ cost: Double?) -> Void = { _, _, _ in },
        logger: Logger
    ) {
        self.didSend = didSend
        self.didCharge = didCharge
        self.ledger = ledger
        self.providers = providers
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
        self.events = events
        self.queue = queue
        self.modems = modems
        self.settings = settings
        self.owner = owner
        self.wakeup = wakeup
        self.logger = logger
    }

    public func run() async throws {
        let reclaimed = try await queue.reclaimAll(ownedBy: owner, now: Date())
        if reclaimed.count > 0 {
            logger.notice("took back messages claimed before the last stop", metadata: ["count": "\(reclaimed.count)"])
        }
        for id in reclaimed.wereSubmitting {
            logger.warning(
                "a message was being submitted when the gateway stopped; sending it again (through a modem the recipient may get it twice; a transport is offered it under the same key)",
                metadata: ["message.id": "\(id)"]
            )
        }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for (index, modem) in self.modems.enumerated() {
                    group.addTask { await self.work(modem, number: index + 1) }
                }
                if let transport = self.settings.transport, let providers = self.providers {
                    group.addTask { await self.work(transport: transport, providers: providers) }
                }
                if let providers = self.providers {
                    group.addTask { await self.workVoice(providers: providers) }
                }
                group.addTask { await self.sweep() }
            }
        } onGracefulShutdown: {
            Task {
                await self.stop.signal()
                await self.wakeup.signal()
            }
        }
        logger.info("dispatcher stopped")
    }

    /// True once shutdown began: gracefully (the flag) or not (the task was cancelled because
    /// another service failed).
    var stopping: Bool {
        get async { Task.isCancelled ? true : await stop.current != 0 }
    }

    /// One modem's loop. `number` is the modem's place in the configuration (the API's `modem_no`).
    ///
    /// A modem whose sends fail `benchAfter` times in a row is benched for `benchFor`: it takes no
    /// messages meanwhile, so they go out through the other modems. Failures the network blames on the
    /// message do not count, and neither does a streak of one recipient's retries (a bad number is not
    /// a bad modem); the last modem ready is never benched, since nothing else would send. A modem with
    /// a rate limit waits between sends.
    private func work(_ modem: ModemWorker, number: Int) async {
        var failuresInARow = 0
        var failedRecipients: Set<String> = []
        var lastSend: ContinuousClock.Instant?
        let spacing = modem.configuration.maxPerMinute.map { Duration.seconds(60) / $0 }
        while !(await stopping) {
            if let spacing, let lastSend, ContinuousClock.now < lastSend + spacing {
                await stop.wait(since: 0, timeout: lastSend + spacing - ContinuousClock.now)
                continue
            }
            let seen = await wakeup.current
            guard modem.state == .ready else {
                await wakeup.wait(since: seen, timeout: settings.sweepInterval)
                continue
            }
            do {
                let now = Date()
                var filter = ClaimFilter(
                    modemNumber: number,
                    avoidingRetriesOf: modems.contains { $0 !== modem && $0.state == .ready }
                        ? modem.configuration.name : nil
                )
                filter.leavingInterrupted = settings.transport.map(Self.senderName(transport:))
                if transportIsPrimary {
                    filter.kinds.removeAll { $0 == .sms }
                } else if transportTakesUrgent {
                    filter.smsBelowPriority = settings.transportUrgentPriority
                }
                if settings.ringVia == .voice { filter.kinds.removeAll { $0 == .ring } }
                if let message = try await queue.claimNext(
                    owner: owner,
                    leaseUntil: now.addingTimeInterval(settings.lease.seconds),
                    now: now,
                    filter: filter
                ) {
                    lastSend = ContinuousClock.now
                    switch await send(message, via: modem) {
                    case .sent:
                        failuresInARow = 0
                        failedRecipients = []
                    case .notAttempted: break
                    case .failed(blame: .message):
                        break  // the recipient or the message, not the modem
                    case .failed(let blame):
                        // An unknown error counts once per recipient: one bad number retried is not a bad modem.
                        if blame == .modem || !failedRecipients.contains(message.address) {
                            failuresInARow += 1
                        }
                        failedRecipients.insert(message.address)
                        guard failuresInARow >= settings.benchAfter else { break }
                        guard modems.contains(where: { $0 !== modem && $0.state == .ready }) else {
                            logger.warning(
                                "modem failing repeatedly, but it is the only one ready: not benched",
                                metadata: ["modem": "\(modem.configuration.name)", "failures": "\(failuresInARow)"]
                            )
                            failuresInARow = 0  // said once per streak of benchAfter failures
                            failedRecipients = []
                            break
                        }
                        failuresInARow = 0
                        failedRecipients = []
                        logger.warning(
                            "modem failed messages in a row; not using it for a while",
                            metadata: [
                                "modem": "\(modem.configuration.name)", "failures": "\(settings.benchAfter)",
                                "for": "\(settings.benchFor)",
                            ]
                        )
                        await wakeup.signal()  // the other modems may take its messages now
                        await stop.wait(since: 0, timeout: settings.benchFor)
                    }
                    continue
                }
                var timeout = settings.sweepInterval
                if let next = try await queue.nextScheduled(after: now) {
                    timeout = min(timeout, .seconds(max(0, next.timeIntervalSinceNow)))
                }
                await wakeup.wait(since: seen, timeout: timeout)
            } catch {
                logger.error(
                    "cannot read the queue; trying again",
                    metadata: ["error": "\(error)", "in": "\(settings.sweepInterval)"]
                )
                await stop.wait(since: 0, timeout: settings.sweepInterval)
            }
        }
    }

    enum Outcome {
        case sent
        /// The modem could not take it; the message went back to the queue unchanged.
        case notAttempted
        /// The attempt failed and was recorded; the network may have said it was the message's fault.
        case failed(blame: ModemError.Blame)
    }

    private func send(_ message: OutgoingMessage, via modem: ModemWorker) async -> Outcome {
        var logger = self.logger
        logger[metadataKey: "message.id"] = "\(message.id)"
        logger[metadataKey: "modem"] = "\(modem.configuration.name)"
        // Due, but its send window has closed meanwhile (the modem was down, the queue long): wait for
        // the next one.
        let now = Date()
        if let window = message.options.window, case let next = window.next(from: now, calendar: calendar), next > now {
            logger.info("message is outside its send window; waiting", metadata: ["until": "\(next)"])
            try? await queue.release(message.id, owner: owner, until: next)
            return .notAttempted
        }
        let validity = message.options.validity.flatMap(ValidityPeriod.init(parsing:))
        do {
            let reportRequested: Bool
            switch message.payload {
            case .text, .binary, .mms: reportRequested = settings.deliveryReports
            case .ussd, .ring, .call: reportRequested = false
            }
            let markSubmitting: @Sendable () async throws -> Void = { [queue, owner] in
                guard try await queue.markSubmitting(message.id, owner: owner, modem: modem.configuration.name)
                else { throw DispatchError.claimLost }
            }
            let markSent: @Sendable (SendReceipt) async throws -> Void = { [queue, owner] receipt in
                try await queue.markSent(
                    message.id,
                    owner: owner,
                    references: receipt.references,
                    parts: max(1, receipt.references.count),
                    at: Date(),
                    reportRequested: reportRequested
                )
            }
            let recipient = message.address
            let receipt: SendReceipt
            switch message.payload {
            case .text(let text):
                let options = SubmitOptions(
                    forceUCS2: message.options.unicode,
                    flash: message.options.flash,
                    statusReport: reportRequested,
                    validity: validity
                )
                receipt = try await modem.send(
                    ModemMessage(recipient: recipient, content: .text(text), options: options),
                    beforeSubmit: markSubmitting,
                    afterSubmit: markSent
                )
            case .binary(let content):
                let content = ModemMessage.Content.binary(
                    data: content.data,
                    header: Array(content.header.dropFirst()),
                    messageClass: content.messageClass.flatMap(MessageClass.init(rawValue:))
                )
                receipt = try await modem.send(
                    ModemMessage(
                        recipient: recipient,
                        content: content,
                        options: SubmitOptions(statusReport: reportRequested, validity: validity)
                    ),
                    beforeSubmit: markSubmitting,
                    afterSubmit: markSent
                )
            case .mms:
                // Stored with its attachments, but no modem driver here speaks MMS (it needs the
                // modem's data connection and the operator's MMSC): a permanent, stated failure.
                throw ModemError(
                    .notSupported,
                    "modem \(modem.configuration.name) cannot send MMS: the modem driver sends SMS only"
                )
            case .ussd(let code):
                // The answer is in the inbox once this returns.
                _ = try await modem.ussd(code, beforeSubmit: markSubmitting)
                receipt = SendReceipt(references: [])
                try await markSent(receipt)
            case .call:
                // Modems never claim calls (their ClaimFilter leaves kind 'call' to voice providers).
                throw ModemError(.notSupported, "a modem does not place text-to-speech calls; a voice provider does")
            case .ring(let seconds):
                // Sent once the modem has dialled; the call then holds the modem for its duration.
                try await markSubmitting()
                try await modem.call(recipient, duration: .seconds(seconds))
                receipt = SendReceipt(references: [])
                try await markSent(receipt)
            }
            let sentAt = Date()
            didSend(message.notBefore, sentAt)
            events?.publish(
                kind: MessageStatusEvent.kind,
                body: MessageStatusEvent(
                    id: Int(message.id),
                    to: recipient,
                    status: .sent,
                    at: sentAt,
                    modem: modem.configuration.name
                )
            )
            switch message.payload {
            case .ussd(let code):
                logger.info("sent USSD request; the answer is in the inbox", metadata: ["code": "\(code)"])
            case .ring(let seconds):
                logger.info("called", metadata: ["to": "\(recipient)", "ringing": "\(seconds)s"])
            case .text, .binary, .mms, .call:
                logger.info(
                    "sent message",
                    metadata: [
                        "to": "\(recipient)", "parts": "\(receipt.references.count)",
                        "references": "\(receipt.references.map(String.init).joined(separator: ","))",
                    ]
                )
            }
            return .sent
        } catch let error as ModemError where error.kind == .unavailable || error.kind == .disabled {
            logger.debug("modem not ready; the message goes back to the queue")
            try? await queue.release(message.id, owner: owner, until: nil)
            return .notAttempted
        } catch DispatchError.claimLost {
            logger.warning("the claim on the message was lost before sending; another node has it")
            return .notAttempted
        } catch {
            await recordFailure(message, error: error, logger: logger)
            let modemError = error as? ModemError
            return .failed(blame: modemError?.blame ?? .modem)
        }
    }

    func recordFailure(_ message: OutgoingMessage, error: any Error, logger: Logger) async {
        let attempts = message.attempts + 1
        // What the modem cannot do at all is not tried again.
        let giveUp = attempts >= settings.maxAttempts || (error as? ModemError)?.kind == .notSupported
        do {
            try await queue.markAttemptFailed(
                message.id,
                owner: owner,
                error: "\(error)",
                retryAt: giveUp ? nil : Date().addingTimeInterval(settings.retryDelay.seconds)
            )
        } catch {
            logger.error("cannot record the failure; the claim will be retaken", metadata: ["error": "\(error)"])
            return
        }
        if giveUp {
            events?.publish(
                kind: MessageStatusEvent.kind,
                body: MessageStatusEvent(
                    id: Int(message.id),
                    to: message.address,
                    status: .failed,
                    at: Date(),
                    modem: nil,
                    error: "\(error)"
                )
            )
            logger.error(
                "message failed; giving up",
                metadata: ["to": "\(message.address)", "attempts": "\(attempts)", "error": "\(error)"]
            )
        } else {
            logger.warning(
                "attempt failed; retrying",
                metadata: [
                    "attempt": "\(attempts)", "of": "\(settings.maxAttempts)", "error": "\(error)",
                    "in": "\(settings.retryDelay)",
                ]
            )
        }
    }

    /// Picks up what no in-process event announces: messages queued by another process and the
    /// expired claims of other nodes.
    private func sweep() async {
        while true {
            await stop.wait(since: 0, timeout: settings.sweepInterval)
            if await stopping { return }
            do {
                let reclaimed = try await queue.reclaimExpired(before: Date(), sparing: owner)
                if reclaimed.count > 0 {
                    logger.notice("took back messages whose claim expired", metadata: ["count": "\(reclaimed.count)"])
                }
            } catch {
                logger.error("cannot reclaim expired claims", metadata: ["error": "\(error)"])
            }
            await wakeup.signal()
        }
    }
}

enum DispatchError: Error {
    /// `markSubmitting` found the message no longer claimed by this node.
    case claimLost
}

extension Duration {
    var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
