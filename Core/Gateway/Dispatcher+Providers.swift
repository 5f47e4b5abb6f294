import Foundation
import Logging
import SwiftletDomain
import SwiftletEvents
import SwiftletModem
import SwiftletPluginHost
import SwiftletPluginSDK
import Synchronization

/// SMS through a transport provider and text-to-speech calls through a voice provider (plugins, ABI
/// 1.4), with the modems' claim discipline: a message is claimed under a lease and marked `submitting`
/// before the provider sees it, so no two senders ever hold it; a provider that does not answer in
/// time gets its message failed, not sent again (it may have gone out). A message left `submitting`
/// by a crash is offered again after the restart with the same `key`, which a transport uses to send
/// it once.
extension Dispatcher {
    /// Whether the modems leave SMS to the transport now: it is primary, ready, and under its monthly cap.
    var transportIsPrimary: Bool {
        guard settings.transportUse == .primary, let name = settings.transport, let providers else { return false }
        return providers.isReady(.transport, name) && !transportOverCap.withLock { $0 }
    }

    /// Whether the modems leave urgent SMS to the transport: it is primary and ready, but over its
    /// monthly cap (it takes urgent ones only, the modems the rest).
    var transportTakesUrgent: Bool {
        guard settings.transportUse == .primary, let name = settings.transport, let providers else { return false }
        return providers.isReady(.transport, name) && transportOverCap.withLock { $0 }
    }

    /// The sender name messages record for a transport, where a modem's name would be.
    static func senderName(transport: String) -> String { "transport:" + transport }

    /// The transport's loop: while it is ready, claims what it may send (every SMS when primary or
    /// no modem is ready; else those that waited `transportAfter`; at once those pinned to its
    /// `transportModemNumber`; only urgent ones once the month's costs reach `transportMonthlyCap`)
    /// and hands each to it.
    func work(transport name: String, providers: ProviderRegistry) async {
        let sender = Self.senderName(transport: name)
        await serve(
            .transport,
            ready: { providers.isReady(.transport, name) ? name : nil },
            leaseExtra: settings.transportTimeout,
            filter: { now in
                let modemReady = modems.contains { $0.state == .ready }
                return ClaimFilter(
                    modemNumber: settings.transportModemNumber ?? 0,
                    avoidingRetriesOf: modemReady ? sender : nil,
                    kinds: [.sms],
                    createdBefore: settings.transportUse == .fallback && modemReady
                        ? now.addingTimeInterval(-settings.transportAfter.seconds) : nil,
                    minimumPriority: await checkCap(sender: sender, now: now) ? settings.transportUrgentPriority : nil
                )
            },
            send: { message, name in await send(message, transport: name, providers: providers) }
        )
    }

    /// Whether the transport's costs this calendar month reached `transportMonthlyCap` (kept in
    /// `transportOverCap`, which the modems read); says when that changes.
    private func checkCap(sender: String, now: Date) async -> Bool {
        let was = transportOverCap.withLock { $0 }
        guard let cap = settings.transportMonthlyCap, let ledger else { return false }
        let month = calendar.dateInterval(of: .month, for: now)?.start ?? now
        guard let spent = try? await ledger.transportCost(sender: sender, since: month) else { return was }
        let over = spent >= cap
        guard over != was else { return over }
        transportOverCap.withLock { $0 = over }
        if over {
            logger.warning(
                "transport reached its monthly cap; only urgent messages use it until the month ends, the modems send the rest",
                metadata: [
                    "transport": "\(sender)", "spent": "\(spent)", "cap": "\(cap)",
                    "urgent_priority": "\(settings.transportUrgentPriority)",
                ]
            )
        } else {
            logger.notice(
                "transport below its monthly cap again",
                metadata: ["transport": "\(sender)", "spent": "\(spent)", "cap": "\(cap)"]
            )
        }
        wakeup.signalSoon()
        return over
    }

    /// One provider role's loop: while `ready` names a provider, claims the most urgent message
    /// `filter` allows, under a lease longer by `leaseExtra` (the provider's timeout), and hands it to
    /// `send`; otherwise waits for a wake-up. Says when the role's provider becomes ready or goes.
    private func serve(
        _ role: ProviderRole,
        ready: () -> String?,
        leaseExtra: Duration,
        filter: (Date) async -> ClaimFilter,
        send: (OutgoingMessage, String) async -> Void
    ) async {
        var serving: String?
        while !(await stopping) {
            let seen = await wakeup.current
            let provider = ready()
            if provider != serving {
                if let provider {
                    logger.notice("provider ready", metadata: ["role": "\(role)", "name": "\(provider)"])
                } else if let serving {
                    logger.warning(
                        "provider not ready; its work waits",
                        metadata: ["role": "\(role)", "name": "\(serving)"]
                    )
                }
                serving = provider
            }
            guard let provider else {
                await wakeup.wait(since: seen, timeout: settings.sweepInterval)
                continue
            }
            do {
                let now = Date()
                if let message = try await queue.claimNext(
                    owner: owner,
                    leaseUntil: now.addingTimeInterval(settings.lease.seconds + leaseExtra.seconds),
                    now: now,
                    filter: await filter(now)
                ) {
                    await send(message, provider)
                    continue
                }
                await wakeup.wait(since: seen, timeout: settings.sweepInterval)
            } catch {
                logger.error(
                    "cannot read the queue; trying again",
                    metadata: ["error": "\(error)", "in": "\(settings.sweepInterval)"]
                )
                await stop.wait(since: 0, timeout: settings.sweepInterval)
            }
        }
    }

    private func send(_ message: OutgoingMessage, transport name: String, providers: ProviderRegistry) async {
        var logger = self.logger
        logger[metadataKey: "message.id"] = "\(message.id)"
        logger[metadataKey: "transport"] = "\(name)"
        guard case .text(let text) = message.payload else {
            try? await queue.release(message.id, owner: owner, until: nil)
            return
        }
        var request = TransportSendRequest(
            id: Int(message.id),
            key: message.transportKey,
            to: message.address,
            text: text
        )
        request.unicode = message.options.unicode
        request.flash = message.options.flash
        request.priority = message.options.priority
        request.attempt = message.attempts + 1
        guard
            let answer = await ask(
                message,
                role: .transport,
                name: name,
                kind: ProviderRequestKind.transportSend,
                request,
                timeout: settings.transportTimeout,
                as: TransportAnswer.self,
                providers: providers,
                logger: logger
            )
        else { return }
        guard answer.accepted else {
            let reason = "transport \(name) refused it: \(answer.error ?? "no reason given")"
            await failed(message, error: reason, retry: answer.permanent != true, logger: logger)
            return
        }
        let parts = max(answer.parts ?? 1, 1)
        do {
            if let ledger {
                try await ledger.markSentByTransport(
                    message.id,
                    owner: owner,
                    parts: parts,
                    cost: answer.cost,
                    at: Date(),
                    reportRequested: answer.reports == true
                )
            } else {
                try await queue.markSent(
                    message.id,
                    owner: owner,
                    references: [],
                    parts: parts,
                    at: Date(),
                    reportRequested: false
                )
            }
        } catch {
            logger.error(
                "sent, but cannot record it; the claim will be retaken and offered again under the same key",
                metadata: ["error": "\(error)"]
            )
            return
        }
        let sentAt = Date()
        didSend(message.notBefore, sentAt)
        didCharge(Self.senderName(transport: name), parts, answer.cost)
        events?.publish(
            kind: MessageStatusEvent.kind,
            body: MessageStatusEvent(
                id: Int(message.id),
                to: message.address,
                status: .sent,
                at: sentAt,
                modem: Self.senderName(transport: name)
            )
        )
        logger.info(
            "sent message through a transport",
            metadata: [
                "to": "\(message.address)", "reference": "\(answer.reference ?? "")", "parts": "\(parts)",
                "cost": "\(answer.cost.map { "\($0)" } ?? "")",
            ]
        )
    }

    // MARK: Voice

    /// The voice providers' loop: while one is ready, claims the calls (kind `call`, and `ring`
    /// with `ring_via: voice`) one at a time and has the first ready provider place each.
    func workVoice(providers: ProviderRegistry) async {
        await serve(
            .voice,
            ready: { providers.providers(.voice).first { providers.isReady(.voice, $0.name) }?.name },
            leaseExtra: .seconds(600) + settings.callRingTime + Self.callMargin,
            filter: { _ in ClaimFilter(modemNumber: 0, kinds: settings.ringVia == .voice ? [.call, .ring] : [.call]) },
            send: { message, name in await call(message, provider: name, providers: providers) }
        )
    }

    /// The margin the host gives a provider beyond ringing and the call's duration. The lease
    /// covers the longest call an API accepts (600 s).
    static let callMargin: Duration = .seconds(30)

    private func call(_ message: OutgoingMessage, provider name: String, providers: ProviderRegistry) async {
        var logger = self.logger
        logger[metadataKey: "message.id"] = "\(message.id)"
        logger[metadataKey: "voice"] = "\(name)"
        let ringSeconds = Int(settings.callRingTime.components.seconds)
        var request = VoiceCallRequest(
            id: Int(message.id),
            key: message.transportKey,
            to: message.address,
            mode: .tts
        )
        switch message.payload {
        case .call(let call):
            request.mode = call.clip == nil ? .tts : .audio
            request.text = call.clip == nil ? call.text : nil
            request.audio = call.clip
            request.voice = call.voice
            request.language = call.language
            request.ringSeconds = ringSeconds
            request.maxSeconds = call.seconds
            request.dtmf = true
        case .ring(let seconds):
            // A wake-up call: it rings for its duration and is hung up, answered or not.
            request.mode = .ring
            request.ringSeconds = seconds
            request.maxSeconds = 1
        default:
            try? await queue.release(message.id, owner: owner, until: nil)
            return
        }
        guard
            let result = await ask(
                message,
                role: .voice,
                name: name,
                kind: ProviderRequestKind.voiceCall,
                request,
                timeout: .seconds(request.maxSeconds + request.ringSeconds) + Self.callMargin,
                as: VoiceCallResult.self,
                providers: providers,
                logger: logger
            )
        else { return }
        guard result.result != .failed else {
            let reason = "voice \(name) could not place the call: \(result.detail ?? "no reason given")"
            await failed(message, error: reason, retry: true, logger: logger)
            return
        }
        let outcome = CallOutcome(result: result.result.rawValue, duration: result.duration, digits: result.digits)
        // A wake-up call that rang out unanswered did its job; a call with something to say did not.
        let again: Set<VoiceCallResult.Result> = request.mode == .ring ? [.busy] : [.busy, .noAnswer]
        if again.contains(result.result), message.attempts + 1 < settings.callAttempts {
            await callAgain(message, outcome: outcome, logger: logger)
            return
        }
        do {
            try await queue.markCallEnded(message.id, owner: owner, outcome: outcome, at: Date())
        } catch {
            logger.error("the call ended, but cannot record it", metadata: ["error": "\(error)"])
            return
        }
        events?.publish(
            kind: CallEndedEvent.kind,
            body: CallEndedEvent(
                id: Int(message.id),
                to: message.address,
                result: outcome.result,
                duration: outcome.duration,
                digits: outcome.digits,
                provider: name,
                at: Date()
            )
        )
        logger.info(
            "call ended",
            metadata: [
                "to": "\(message.address)", "result": "\(outcome.result)", "duration": "\(outcome.duration ?? 0)",
                "digits": "\(outcome.digits ?? "")",
            ]
        )
    }

    /// A busy or unanswered call, placed again after `call_retry_delay` (up to `call_attempts` times).
    private func callAgain(_ message: OutgoingMessage, outcome: SwiftletDomain.CallOutcome, logger: Logger) async {
        do {
            try await queue.markAttemptFailed(
                message.id,
                owner: owner,
                error: outcome.result,
                retryAt: Date().addingTimeInterval(settings.callRetryDelay.seconds)
            )
        } catch {
            logger.error("cannot record the attempt; the claim will be retaken", metadata: ["error": "\(error)"])
            return
        }
        logger.notice(
            "call not answered; calling again",
            metadata: [
                "to": "\(message.address)", "result": "\(outcome.result)", "attempt": "\(message.attempts + 1)",
                "of": "\(settings.callAttempts)", "in": "\(settings.callRetryDelay)",
            ]
        )
    }

    // MARK: Asking a provider

    /// Marks the claimed message `submitting` under the provider's sender name and asks the
    /// provider; nil when there is no answer to act on (the failure is then recorded, or the
    /// message left for the restart).
    private func ask<Answer: Decodable>(
        _ message: OutgoingMessage,
        role: ProviderRole,
        name: String,
        kind: String,
        _ request: some ProviderRequestBody,
        timeout: Duration,
        as answer: Answer.Type,
        providers: ProviderRegistry,
        logger: Logger
    ) async -> Answer? {
        do {
            guard try await queue.markSubmitting(message.id, owner: owner, modem: "\(role.name):\(name)") else {
                logger.warning("the claim on the message was lost before sending; another node has it")
                return nil
            }
        } catch {
            logger.error(
                "cannot mark the message as being sent; it goes back to the queue",
                metadata: ["error": "\(error)"]
            )
            try? await queue.release(message.id, owner: owner, until: nil)
            return nil
        }
        do {
            return try await providers.request(role, name: name, kind: kind, request, timeout: timeout, as: answer)
        } catch .cancelled {
            // The gateway is stopping without waiting: the message stays `submitting` and is offered
            // again, under the same key, after the restart.
            return nil
        } catch .noProvider {
            // It stopped before it was asked: nothing was sent.
            await failed(message, error: "\(role) \(name) stopped before it was asked", retry: true, logger: logger)
            return nil
        } catch let failure {
            switch failure {
            case .refused(_, let error) where error.code != .internalError:
                await failed(message, error: "\(failure)", retry: true, logger: logger)
            default:
                // No answer, or one that does not read: it may have been done. Not done again.
                await failed(
                    message,
                    error: "\(failure); it may have gone out, so it is not tried again",
                    retry: false,
                    logger: logger
                )
            }
            return nil
        }
    }

    /// Records a failed attempt through a provider: queued again after `retryDelay` while attempts remain and
    /// `retry` allows, else failed for good.
    private func failed(_ message: OutgoingMessage, error: String, retry: Bool, logger: Logger) async {
        let attempts = message.attempts + 1
        let giveUp = !retry || attempts >= settings.maxAttempts
        do {
            try await queue.markAttemptFailed(
                message.id,
                owner: owner,
                error: error,
                retryAt: giveUp ? nil : Date().addingTimeInterval(settings.retryDelay.seconds)
            )
        } catch {
            logger.error("cannot record the failure; the claim will be retaken", metadata: ["error": "\(error)"])
            return
        }
        guard giveUp else {
            logger.warning(
                "attempt through a provider failed; retrying",
                metadata: ["attempt": "\(attempts)", "of": "\(settings.maxAttempts)", "error": "\(error)"]
            )
            return
        }
        events?.publish(
            kind: MessageStatusEvent.kind,
            body: MessageStatusEvent(
                id: Int(message.id),
                to: message.address,
                status: .failed,
                at: Date(),
                modem: nil,
                error: error
            )
        )
        logger.error("message failed; giving up", metadata: ["to": "\(message.address)", "error": "\(error)"])
    }
}
