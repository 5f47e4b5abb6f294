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
        router.get(RouterPath("/calls/done")) { request, context in
            await handle(request, context, permission: "read_sms") { user in
                try await callsDone(try Self.query(request), user: user)
            }
        }
        router.post(RouterPath("/calls/wave")) { request, context in
            await handle(request, context, permission: "call_with_termination") { user in
                try await wave(try await JSONAPI.object(request), user: user)
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
        // Published clients send voice_id 0 for "the default voice" (Zabbix's media type does).
        let voice = try body.integer("voice_id", in: 0...Int.max)
        if advanced, voice == nil { throw JSONAPI.Failure.badRequest("voice_id: required, a voice model's number") }
        return try await queueCalls(body, VoiceCall(text: text, seconds: duration, voice: voice), user: user)
    }

    /// Queues `call` to each recipient of `body` on duty now (as calls/ring: a contact off shift
    /// is not woken up), with `priority`; 503 while no voice plugin runs. Answered as sending is.
    private func queueCalls(_ body: JSONObject, _ call: VoiceCall, user: APIUser) async throws -> JSONAPI.Answer {
        let priority = try body.integer("priority", in: 0...9) ?? 0
        let (numbers, delivery) = try await recipients(body, user: user, start: Date())
        let called = delivery.numbers.indices.filter { delivery.heldUntil[$0] == nil }.map { delivery.numbers[$0] }
        var ids: [MessageID] = []
        if !called.isEmpty {
            do {
                ids = try await outbox.call(called, call, priority: priority, createdBy: user.name)
            } catch let error as SwiftletError where error.kind == .unavailable {
                logger.notice("APIv2: call refused: no voice plugin", metadata: ["user": "\(user.name)"])
                throw JSONAPI.Failure(.serviceUnavailable, error.detail)
            }
            logger.info("APIv2: calls queued", metadata: ["user": "\(user.name)", "message.ids": "\(ids)"])
        }
        return try Self.answers(given: numbers, recipients: called, ids: ids)
    }

    /// `POST calls/wave`: `to`, `contacts`, `groups`, `wave_id` (a recorded clip, SMSEagle's
    /// soundboard: the voice plugin plays `clips_directory/ID.wav`), `duration`, `priority`.
    func wave(_ body: JSONObject, user: APIUser) async throws -> JSONAPI.Answer {
        guard let clip = try body.integer("wave_id", in: 0...Int.max) else {
            throw JSONAPI.Failure.badRequest("wave_id: required, a recorded clip's number")
        }
        return try await queueCalls(
            body,
            VoiceCall(text: "", seconds: try body.integer("duration", in: 1...600) ?? 10, clip: String(clip)),
            user: user
        )
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

    /// One finished call of `calls/done`, as SMSEagle's `proxcalld` reports it: `status_code` 0
    /// when it was answered (a wake-up call: when it rang), 255 when it failed after its retries.
    struct DoneCall: Encodable {
        var id: MessageID
        var number: String
        var type: String
        var status_code: Int
        var retries: Int
        var result: String?
        var duration: Int?
        var dtmf: String?
        var date: String
    }

    /// `GET calls/done?id_from=&id_to=`: the calls that left the queue, oldest first; 404
    /// "Resource(s) not found" when none did (clients such as Zabbix's call-tracking media type
    /// poll it until each of their ids appears, and read `status_code`).
    func callsDone(_ query: FormParameters, user: APIUser) async throws -> JSONAPI.Answer {
        var done: [DoneCall] = []
        for folder in [Folder.sentitems, .sendingerror] {
            var filter = MessageQuery(folder: folder, for: user)
            filter.idFrom = try Self.queryInteger(query, "id_from").map(Int64.init)
            filter.idTo = try Self.queryInteger(query, "id_to").map(Int64.init)
            filter.limit = try Self.queryInteger(query, "limit", in: 1...10_000) ?? 1000
            for message in try await store.outgoing(matching: filter) {
                let type: String
                switch message.payload {
                case .call(let call): type = call.clip == nil ? "tts" : "wave"
                case .ring: type = "ring"
                default: continue
                }
                // A call succeeded when answered; a wake-up call when it rang (answered or not).
                let succeeded = type == "ring" ? ["answered", "no-answer"] : ["answered"]
                let answered = folder == .sentitems && (message.call.map { succeeded.contains($0.result) } ?? true)
                done.append(
                    DoneCall(
                        id: message.id,
                        number: message.recipient?.description ?? "",
                        type: type,
                        status_code: answered ? 0 : 255,
                        retries: max(0, message.attempts - 1),
                        result: message.call?.result ?? (folder == .sentitems ? nil : "failed"),
                        duration: message.call?.duration,
                        dtmf: message.call?.digits,
                        date: JSONAPI.timestamp(message.updatedAt, dates.timeZone)
                    )
                )
            }
        }
        return try Self.list(done.sorted { $0.id < $1.id })
    }
}
