import Foundation
import Hummingbird
import Logging
import SwiftletDomain

/// Voice calls through APIv2. `calls/ring` queues a wake-up call per recipient, which a modem makes
/// (it rings for `duration` seconds and hangs up). `calls/tts` and `calls/tts_advanced` queue a
/// text-to-speech call per recipient, which a voice provider (a plugin, ABI 1.4) places; while none
/// runs they check the request and answer 503 saying so.
extension APIv2 {
    func addCallRoutes<Context: APIRequestContext>(to router: RouterGroup<Context>) {
        router.post(RouterPath("/calls/ring")) { request, context in
            await handle(request, context, permission: "call_with_termination") { user in
                try await ring(try await JSONAPI.object(request), user: user)
            }
        }
        for kind in ["tts", "tts_advanced"] {
            router.post(RouterPath("/calls/" + kind)) { request, context in
                await handle(request, context, permission: "call_with_termination") { user in
                    try await textToSpeech(
                        try await JSONAPI.object(request),
                        user: user,
                        advanced: kind == "tts_advanced"
                    )
                }
            }
        }
    }

    /// `POST calls/tts` and `calls/tts_advanced`: `to`, `contacts`, `groups`, `text`, `duration`
    /// (1–600 s, default 10), `voice_id` (tts_advanced, required), `priority`. Answered as sending is.
    func textToSpeech(_ body: JSONObject, user: APIUser, advanced: Bool) async throws -> JSONAPI.Answer {
        guard let text = try body.text("text"), !text.isEmpty else {
            throw JSONAPI.Failure.badRequest("text: required, what the call says")
        }
        let duration = try body.integer("duration", in: 1...600) ?? 10
        let voice = try body.integer("voice_id", in: 1...Int.max)
        if advanced, voice == nil { throw JSONAPI.Failure.badRequest("voice_id: required, a voice model's number") }
        let priority = try body.integer("priority", in: 0...9) ?? 0
        let (numbers, delivery) = try await recipients(body, user: user, start: Date())
        // As calls/ring: only those on duty now are called.
        let called = delivery.numbers.indices.filter { delivery.heldUntil[$0] == nil }.map { delivery.numbers[$0] }
        var ids: [MessageID] = []
        if !called.isEmpty {
            do {
                ids = try await outbox.call(
                    called,
                    VoiceCall(text: text, seconds: duration, voice: voice),
                    priority: priority,
                    createdBy: user.name
                )
            } catch let error as SwiftletError where error.kind == .unavailable {
                logger.notice("APIv2: call refused: no voice plugin", metadata: ["user": "\(user.name)"])
                throw JSONAPI.Failure(.serviceUnavailable, error.detail)
            }
            logger.info("APIv2: calls queued", metadata: ["user": "\(user.name)", "message.ids": "\(ids)"])
        }
        return try Self.answers(given: numbers, recipients: called, ids: ids)
    }

    /// `POST calls/ring`: `to`, `contacts`, `groups`, `duration` (1–600 s, default 10), `modem_no`,
    /// `priority`. One `{status, id, number, message}` per recipient, as sending answers.
    func ring(_ body: JSONObject, user: APIUser) async throws -> JSONAPI.Answer {
        let duration = try body.integer("duration", in: 1...600) ?? 10
        let modem = try body.integer("modem_no", in: 1...Int.max)
        let priority = try body.integer("priority", in: 0...9) ?? 0
        let (numbers, delivery) = try await recipients(body, user: user, start: Date())
        // A contact off shift is not woken up: only those on duty now are called.
        let called = delivery.numbers.indices.filter { delivery.heldUntil[$0] == nil }.map { delivery.numbers[$0] }
        var ids: [MessageID] = []
        if !called.isEmpty {
            ids = try await outbox.ring(
                called,
                seconds: duration,
                modemNumber: modem,
                priority: priority,
                createdBy: user.name
            )
            logger.info("APIv2: calls queued", metadata: ["user": "\(user.name)", "message.ids": "\(ids)"])
        }
        return try Self.answers(given: numbers, recipients: called, ids: ids)
    }
}
