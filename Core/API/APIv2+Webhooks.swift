import Foundation
import Hummingbird
import Logging
import SwiftletDomain
import SwiftletSupport

/// Webhooks under `/api/v2/webhooks` (a Swiftlet addition to APIv2): a user with `read_sms` adds
/// URLs to be told about received messages and its own messages' status changes (an admin's: every
/// user's), and sees each delivery's attempts and errors.
extension APIv2 {
    func addWebhookRoutes<Context: APIRequestContext>(to router: RouterGroup<Context>) {
        router.post(RouterPath("/webhooks")) { request, context in
            await handle(request, context, permission: "read_sms") { user in
                (.created, try await addWebhook(try await JSONAPI.object(request), user: user))
            }
        }
        router.get(RouterPath("/webhooks")) { request, context in
            await handle(request, context, permission: "read_sms") { user in
                var list: [WebhookAnswer] = []
                for hook in try await webhooks.webhooks(user: user.isAdmin ? nil : user.name) {
                    list.append(try await describe(hook))
                }
                return try Self.list(list)
            }
        }
        router.get(RouterPath("/webhooks/:id")) { request, context in
            await handle(request, context, permission: "read_sms") { user in
                (.ok, try await describe(try await webhook(try id(context), user: user)))
            }
        }
        router.delete(RouterPath("/webhooks/:id")) { request, context in
            await handle(request, context, permission: "read_sms") { user in
                let hook = try await webhook(try id(context), user: user)
                _ = try await webhooks.removeWebhook(id: hook.id)
                logger.notice("APIv2: webhook removed", metadata: ["user": "\(user.name)", "webhook": "\(hook.id)"])
                return (.ok, Outcome(id: hook.id, status: "deleted"))
            }
        }
        router.get(RouterPath("/webhooks/:id/deliveries")) { request, context in
            await handle(request, context, permission: "read_sms") { user in
                let hook = try await webhook(try id(context), user: user)
                let query = try Self.query(request)
                var state: WebhookDelivery.State?
                if let name = query["state"], !name.isEmpty {
                    guard let known = WebhookDelivery.State(rawValue: name) else {
                        throw JSONAPI.Failure.badRequest("state: '\(name)' is not pending, delivered or failed")
                    }
                    state = known
                }
                let limit = try Self.queryInteger(query, "limit", in: 1...10_000) ?? 100
                return try Self.list(
                    try await webhooks.webhookDeliveries(webhook: hook.id, state: state, limit: limit).map(delivery)
                )
            }
        }
    }

    /// `POST webhooks`: `url` (http or https), `events` (default: all), `format` (`json` or
    /// `smseagle`), `method` (`POST`; `GET` for the SMSEagle format), `secret` (made when not given;
    /// shown only in this answer), `apikey` (SMSEagle format).
    func addWebhook(_ body: JSONObject, user: APIUser) async throws -> WebhookAnswer {
        guard let text = try body.text("url"), let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", url.host?.isEmpty == false
        else { throw JSONAPI.Failure.badRequest("url: required, an http:// or https:// URL") }
        var events = Set(Webhook.Event.allCases)
        if let names = try body.texts("events") {
            events = try Set(
                names.map { name in
                    guard let event = Webhook.Event(rawValue: name) else {
                        throw JSONAPI.Failure.badRequest(
                            "events: '\(name)' is not incoming, queued, sent, delivered or failed"
                        )
                    }
                    return event
                }
            )
            guard !events.isEmpty else { throw JSONAPI.Failure.badRequest("events: name at least one") }
        }
        let formatName = try body.text("format") ?? "json"
        guard let format = Webhook.Format(rawValue: formatName) else {
            throw JSONAPI.Failure.badRequest("format: '\(formatName)' is not json or smseagle")
        }
        let method = (try body.text("method") ?? "POST").uppercased()
        guard method == "POST" || (method == "GET" && format == .smseagle) else {
            throw JSONAPI.Failure.badRequest("method: POST, or GET with the smseagle format")
        }
        let secret = try body.text("secret") ?? Self.randomSecret()
        guard secret.count >= 16 else { throw JSONAPI.Failure.badRequest("secret: at least 16 characters") }
        let hook = try await webhooks.addWebhook(
            Webhook(
                id: 0,
                user: user.name,
                url: url,
                events: events,
                format: format,
                method: method,
                secret: secret,
                apiKey: try body.text("apikey"),
                createdAt: Date()
            )
        )
        logger.notice(
            "APIv2: webhook added",
            metadata: ["user": "\(user.name)", "webhook": "\(hook.id)", "url": "\(url.redacted)"]
        )
        var answer = try await describe(hook)
        answer.secret = secret
        return answer
    }

    /// The user's webhook `id` (an admin's: anyone's); 404 otherwise.
    func webhook(_ id: Int64, user: APIUser) async throws -> Webhook {
        guard let hook = try await webhooks.webhooks(user: user.isAdmin ? nil : user.name).first(where: { $0.id == id })
        else { throw JSONAPI.Failure.notFound }
        return hook
    }

    func describe(_ hook: Webhook) async throws -> WebhookAnswer {
        let counts = try await webhooks.webhookCounts(id: hook.id)
        return WebhookAnswer(
            id: hook.id,
            user: hook.user,
            url: hook.url.absoluteString,
            events: hook.events.map(\.rawValue).sorted(),
            format: hook.format.rawValue,
            method: hook.method,
            allUsers: hook.allUsers,
            createdAt: JSONAPI.timestamp(hook.createdAt, dates.timeZone),
            deliveries: .init(pending: counts.pending, delivered: counts.delivered, failed: counts.failed)
        )
    }

    func delivery(_ delivery: WebhookDelivery) -> DeliveryAnswer {
        let event = delivery.event
        return DeliveryAnswer(
            id: delivery.id,
            eventID: event.id,
            event: event.status ?? event.kind.rawValue,
            messageID: event.messageID,
            state: delivery.state.rawValue,
            attempts: delivery.attempts,
            nextAttemptAt: delivery.state == .pending ? JSONAPI.timestamp(delivery.nextAttemptAt, dates.timeZone) : nil,
            lastError: delivery.lastError,
            deliveredAt: delivery.deliveredAt.map { JSONAPI.timestamp($0, dates.timeZone) },
            queuedAt: JSONAPI.timestamp(delivery.createdAt, dates.timeZone)
        )
    }

    static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
