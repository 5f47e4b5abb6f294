import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import SwiftletDomain
import SwiftletRules
import SwiftletSupport

/// Delivers the event log to webhooks, at least once: deliveries are queued in the store in the
/// transaction that moves the webhook's place in the log, and one is marked delivered only after a
/// 2xx answer. A failed attempt is retried after `firstRetry`, then twice as long each time up to
/// `maxRetryInterval`, until `giveUpAfter`. One message's events go out in order: its next event
/// waits until the one before it is delivered or given up on.
///
/// Each request carries `Idempotency-Key` (the same on every attempt) and
/// `X-Swiftlet-Signature: t=UNIX,v1=HEX`, the HMAC-SHA256 with the webhook's secret of
/// `UNIX.BODY` (for GET, `UNIX.QUERY`).
struct WebhookSender: Service {
    let store: any WebhookStore
    let settings: GatewayConfiguration.Webhooks
    let timeZone: TimeZone
    let logger: Logger
    /// How often the event log is looked at for new events when nothing is due.
    var pollInterval: Duration = .milliseconds(500)
    /// Deliveries attempted at once.
    var concurrency = 8

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    if try await deliverDue() == 0 { try await idle() }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("webhooks: cannot deliver", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    /// Sleeps until the next retry is due or the poll interval has passed, whichever is first.
    func idle() async throws {
        var wait = pollInterval
        if let next = try await store.nextWebhookAttempt() {
            let until = next.timeIntervalSinceNow
            if until < wait.seconds { wait = .milliseconds(max(Int(until * 1000), 10)) }
        }
        try await Task.sleep(for: wait)
    }

    /// Queues new events and attempts what is due; returns how many deliveries it attempted.
    func deliverDue() async throws -> Int {
        let now = Date()
        _ = try await store.queueWebhookDeliveries(limit: 500, now: now)
        let due = try await store.dueWebhookDeliveries(now: now, limit: concurrency * 4)
        guard !due.isEmpty else { return 0 }
        let hooks = Dictionary(try await store.webhooks(user: nil).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            for delivery in due {
                guard let hook = hooks[delivery.webhookID] else { continue }
                if running == concurrency {
                    try await group.next()
                    running -= 1
                }
                group.addTask { try await attempt(delivery, to: hook) }
                running += 1
            }
            try await group.waitForAll()
        }
        return due.count
    }

    /// One attempt, recorded.
    func attempt(_ delivery: WebhookDelivery, to hook: Webhook) async throws {
        let attempt = delivery.attempts + 1
        var logger = self.logger
        logger[metadataKey: "webhook"] = "\(hook.id)"
        logger[metadataKey: "event"] = "\(delivery.event.id)"
        let failure: String
        do {
            let status = try await send(delivery, to: hook, attempt: attempt)
            if (200..<300).contains(status) {
                try await store.markWebhookDelivered(delivery.id, at: Date())
                logger.debug("webhook: delivered", metadata: ["attempt": "\(attempt)"])
                return
            }
            failure = "HTTP \(status)"
        } catch {
            // Whether the address was refused, nothing listened, or nobody answered in time, the
            // owner is told the same: different texts would let a user map ports and hosts. The log,
            // for the admin, says which.
            failure = Self.noAnswer
            logger.notice(
                "webhook: no HTTP answer",
                metadata: ["url": "\(hook.url.redacted)", "reason": "\(Self.reason(error))"]
            )
        }
        let age = Date().timeIntervalSince(delivery.createdAt)
        if age >= settings.giveUpAfter.seconds {
            try await store.markWebhookAttemptFailed(delivery.id, error: failure, retryAt: nil)
            logger.error(
                "webhook: gave up on event",
                metadata: [
                    "webhook": "\(hook.id)", "url": "\(hook.url.redacted)", "event": "\(delivery.event.id)",
                    "attempts": "\(attempt)", "over": "\(Int(age)) s", "error": "\(failure)",
                ]
            )
            return
        }
        let backoff = min(settings.firstRetry.seconds * pow(2, Double(attempt - 1)), settings.maxRetryInterval.seconds)
        let retryAt = Date().addingTimeInterval(backoff)
        try await store.markWebhookAttemptFailed(delivery.id, error: failure, retryAt: retryAt)
        // The first failure of a delivery is a warning; the retries that follow are notices.
        logger.log(
            level: attempt == 1 ? .warning : .notice,
            "webhook: attempt failed; retrying",
            metadata: [
                "webhook": "\(hook.id)", "url": "\(hook.url.redacted)", "attempt": "\(attempt)",
                "error": "\(failure)", "in": "\(Int(backoff.rounded(.up))) s",
            ]
        )
    }

    /// Sends one event; returns the HTTP status.
    func send(_ delivery: WebhookDelivery, to hook: Webhook, attempt: Int) async throws -> Int {
        let event = delivery.event
        let timestamp = Int(Date().timeIntervalSince1970)
        var request: HTTPClientRequest
        let signed: String
        switch hook.format {
        case .json:
            let body = try JSONSerialization.data(
                withJSONObject: Self.json(event, timeZone: timeZone),
                options: [.sortedKeys, .withoutEscapingSlashes]
            )
            request = HTTPClientRequest(url: hook.url.absoluteString)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
            signed = String(decoding: body, as: UTF8.self)
        case .smseagle:
            let form = Self.form(Self.smseagleFields(event, apiKey: hook.apiKey, timeZone: timeZone))
            if hook.method == "GET" {
                // The fields join the URL's own query; the whole query, as sent, is signed.
                let parts = hook.url.absoluteString.split(separator: "?", maxSplits: 1)
                let query = parts.count == 2 && !parts[1].isEmpty ? parts[1] + "&" + form : form
                request = HTTPClientRequest(url: parts[0] + "?" + query)
                request.method = .GET
                signed = query
            } else {
                request = HTTPClientRequest(url: hook.url.absoluteString)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.body = .bytes(ByteBuffer(string: form))
                signed = form
            }
        }
        request.headers.add(name: "User-Agent", value: "Swiftlet webhooks")
        request.headers.add(name: "Idempotency-Key", value: Self.idempotencyKey(event))
        request.headers.add(name: "X-Swiftlet-Event", value: event.status ?? event.kind.rawValue)
        request.headers.add(name: "X-Swiftlet-Delivery-Attempt", value: "\(attempt)")
        request.headers.add(
            name: "X-Swiftlet-Signature",
            value: "t=\(timestamp),v1=\(Self.signature(secret: hook.secret, timestamp: timestamp, payload: signed))"
        )
        let timeout = TimeAmount.milliseconds(Int64(settings.timeout.seconds * 1000))
        guard let host = hook.url.host, !host.isEmpty else { throw Refusal("the URL has no host") }
        let address = try await destination(host)
        // The request goes to the address just checked, never to one a second lookup would give (DNS
        // rebinding); TLS still verifies the certificate against the name. Redirects are not followed:
        // one could lead anywhere.
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: timeout))
        configuration.dnsOverride = [host: address]
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        do {
            let response = try await client.execute(request, timeout: timeout)
            _ = try? await response.body.collect(upTo: 64 * 1024)
            try await client.shutdown()
            return Int(response.status.code)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// What a webhook's owner sees for any attempt that got no HTTP answer.
    static let noAnswer = "no HTTP answer from the receiver"

    struct Refusal: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? HTTPClientError, error == .deadlineExceeded { return "timed out" }
        return "\(error)"
    }

    /// The address to connect to for `host`: the first it resolves to, when every address it resolves to
    /// is public or in `webhooks.allowed_networks`; throws otherwise (a name that resolves to a public and
    /// an internal address is refused, so a rebinding answer cannot slip through).
    func destination(_ host: String) async throws -> String {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let addresses = IPNetwork.octets(of: bare) != nil ? [bare] : try await Self.resolve(bare)
        guard let first = addresses.first else { throw Refusal("\(host) does not resolve") }
        for address in addresses {
            let nonPublic = IPNetwork.nonPublic.contains { $0.contains(address) }
            if nonPublic, !settings.allowedNetworks.contains(where: { $0.contains(address) }) {
                throw Refusal(
                    "\(host) is \(address), an internal address; an admin may allow it in webhooks.allowed_networks"
                )
            }
        }
        return first
    }

    /// The IPv4 and IPv6 addresses `host` resolves to, looked up off the concurrency pool.
    static func resolve(_ host: String) async throws -> [String] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                var hints = addrinfo()
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var list: UnsafeMutablePointer<addrinfo>?
                let status = getaddrinfo(host, nil, &hints, &list)
                guard status == 0 else {
                    continuation.resume(
                        throwing: Refusal("\(host) does not resolve: \(String(cString: gai_strerror(status)))")
                    )
                    return
                }
                defer { freeaddrinfo(list) }
                var addresses: [String] = []
                var entry = list
                while let info = entry?.pointee {
                    var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                    if getnameinfo(
                        info.ai_addr,
                        info.ai_addrlen,
                        &buffer,
                        socklen_t(buffer.count),
                        nil,
                        0,
                        NI_NUMERICHOST
                    )
                        == 0
                    {
                        let address = String(cString: buffer)
                        if !addresses.contains(address) { addresses.append(address) }
                    }
                    entry = info.ai_next
                }
                continuation.resume(returning: addresses)
            }
        }
    }

    /// The same for every attempt to deliver an event (and for every webhook it goes to).
    static func idempotencyKey(_ event: GatewayEvent) -> String { "swiftlet-event-\(event.id)" }

    /// Hex HMAC-SHA256 of `TIMESTAMP.PAYLOAD` with the webhook's secret.
    static func signature(secret: String, timestamp: Int, payload: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(
            for: Data("\(timestamp).\(payload)".utf8),
            using: SymmetricKey(data: Data(secret.utf8))
        )
        return code.map { String(format: "%02x", $0) }.joined()
    }

    /// The JSON form of an event.
    static func json(_ event: GatewayEvent, timeZone: TimeZone) -> [String: Any] {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = timeZone
        var object: [String: Any] = [
            "event_id": event.id, "idempotency_key": idempotencyKey(event),
            "type": event.kind == .incoming ? "message.received" : "message.\(event.status ?? "changed")",
            "message_id": event.messageID, "text": event.text, "timestamp": formatter.string(from: event.at),
            "modem": event.modem ?? NSNull(),
        ]
        switch event.kind {
        case .incoming:
            object["sender"] = event.number
        case .outgoing:
            object["to"] = event.number
            object["status"] = event.status ?? NSNull()
            object["user"] = event.user ?? NSNull()
            object["error"] = event.detail ?? NSNull()
        }
        return object
    }

    /// SMSEagle's callback fields: `sender`, `timestamp` (YYYYmmDDHHMMSS, local), `text`, `msgid`,
    /// `apikey`; for a status change `status` and the recipient in `to` as well.
    static func smseagleFields(_ event: GatewayEvent, apiKey: String?, timeZone: TimeZone) -> [(String, String)] {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyyMMddHHmmss"
        var fields: [(String, String)] = []
        switch event.kind {
        case .incoming:
            fields.append(("sender", event.number))
        case .outgoing:
            fields += [("to", event.number), ("status", event.status ?? "")]
        }
        fields += [
            ("timestamp", formatter.string(from: event.at)), ("text", event.text), ("msgid", "\(event.messageID)"),
        ]
        if let apiKey { fields.append(("apikey", apiKey)) }
        return fields
    }

    static func form(_ fields: [(String, String)]) -> String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        return fields.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
            .joined(separator: "&")
    }
}
