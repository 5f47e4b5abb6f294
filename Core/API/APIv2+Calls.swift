import Foundation
import Hummingbird
import Logging
import SwiftletDomain

/// Voice calls through APIv2. `calls/ring` queues a wake-up call per recipient, which a modem makes
/// (it rings for `duration` seconds and hangs up). Text-to-speech needs a voice plugin (SIP/TTS):
/// until one is enabled, `calls/tts` and `calls/tts_advanced` check the request and answer 503 saying so.
extension APIv2 {
    func addCallRoutes<Context: RequestContext>(to router: Router<Context>, prefix: String) {
        router.post(RouterPath(prefix + "/calls/ring")) { request, context in
            await handle(request, context, permission: "call_with_termination") { user in
                try await ring(try await JSONAPI.object(request), user: user)
            }
        }
        for kind in ["tts", "tts_advanced"] {
            router.post(RouterPath(prefix + "/calls/" + kind)) { request, context in
                await handle(request, context, permission: "call_with_termination") { user in
                    let body = try await JSONAPI.object(request)
                    guard let text = try body.text("text"), !text.isEmpty else {
                        throw JSONAPI.Failure.badRequest("text: required, what the call says")
                    }
                    _ = try await recipients(body, user: user)
                    logger.notice("APIv2: calls/\(kind) refused: no voice plugin", metadata: ["user": "\(user.name)"])
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
    func ring(_ body: JSONObject, user: APIUser) async throws -> (HTTPResponse.Status, Any) {
        let duration = try body.integer("duration", in: 1...600) ?? 10
        let modem = try body.integer("modem_no", in: 1...Int.max)
        let priority = try body.integer("priority", in: 0...9) ?? 0
        let (numbers, others) = try await recipients(body, user: user)
        let valid = numbers.filter { PhoneNumber($0) != nil } + others
        var ids: [MessageID] = []
        if !valid.isEmpty {
            ids = try await outbox.ring(
                valid,
                seconds: duration,
                modemNumber: modem,
                priority: priority,
                createdBy: user.name
            )
            logger.info("APIv2: calls queued", metadata: ["user": "\(user.name)", "message.ids": "\(ids)"])
        }
        var answers: [[String: Any]] = []
        var next = 0
        for number in numbers + others {
            if PhoneNumber(number) == nil {
                answers.append(
                    Self.sendAnswer(status: "error", id: nil, number: number, message: "Invalid phone number")
                )
            } else {
                answers.append(Self.sendAnswer(status: "queued", id: ids[next], number: number, message: "OK"))
                next += 1
            }
        }
        guard !answers.isEmpty else { throw JSONAPI.Failure.badRequest("Every contact is on vacation or off duty") }
        return (ids.isEmpty ? .badRequest : .ok, answers)
    }

    /// The numbers in `to` as given, and the numbers of the contacts and group members named (not on
    /// vacation, on duty now, each once and not among `to`).
    func recipients(_ body: JSONObject, user: APIUser) async throws -> (numbers: [String], others: [String]) {
        let numbers = try body.texts("to") ?? []
        let contactIDs = try body.ids("contacts") ?? []
        let groupIDs = try body.ids("groups") ?? []
        guard !numbers.isEmpty || !contactIDs.isEmpty || !groupIDs.isEmpty else {
            throw JSONAPI.Failure.badRequest("to, contacts or groups: at least one recipient is required")
        }
        guard !contactIDs.isEmpty || !groupIDs.isEmpty else { return (numbers, []) }
        let contacts = try await recipients(contacts: contactIDs, groups: groupIDs, user: user)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = dates.timeZone
        var delivery = ContactDelivery(numbers: numbers)
        delivery.add(
            contacts,
            shifts: try await phonebook.shifts(ofContacts: contacts.map(\.id)),
            start: Date(),
            calendar: calendar
        )
        for note in delivery.notes { logger.info("APIv2: \(note.text)", metadata: ["contact": "\(note.contact)"]) }
        let others = delivery.numbers.enumerated().dropFirst(numbers.count).filter {
            delivery.heldUntil[$0.offset] == nil
        }
        return (numbers, others.map(\.element))
    }
}
