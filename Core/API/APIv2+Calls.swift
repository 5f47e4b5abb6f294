import Foundation
import Hummingbird
import Logging
import SwiftletDomain

/// Voice calls through APIv2. `calls/ring` queues a wake-up call per recipient, which a modem makes
/// (it rings for `duration` seconds and hangs up). Text-to-speech needs a voice plugin (SIP/TTS):
/// until one is enabled, `calls/tts` and `calls/tts_advanced` check the request and answer 503 saying so.
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
                    let body = try await JSONAPI.object(request)
                    guard let text = try body.text("text"), !text.isEmpty else {
                        throw JSONAPI.Failure.badRequest("text: required, what the call says")
                    }
                    _ = try await recipients(body, user: user, start: Date())
                    logger.notice(
                        "APIv2: call refused: no voice plugin",
                        metadata: ["user": "\(user.name)", "kind": "\(kind)"]
                    )
                    throw JSONAPI.Failure(
                        .serviceUnavailable,
                        "Text-to-speech calls need a voice plugin (SIP/TTS), and none is enabled on this gateway"
                    )
                }
            }
        }
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
