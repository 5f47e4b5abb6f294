import Foundation
import PluginCurl

/// Pixie's REST API v2 (seed 002) over libcurl: `POST /api/v2/sms` and `GET /api/v2/sms/stream`,
/// with `Authorization: Bearer TOKEN`. Every call blocks: run it on a thread of the plugin's own
/// (`PluginThreads.detached`), never on the concurrency pool.
struct PixieClient: Sendable {
    let settings: Settings

    /// What became of one POST.
    enum SendOutcome: Equatable {
        /// Taken: the upstream's id for the message (or its campaign), SMS parts and cost.
        case accepted(reference: String?, parts: Int?, cost: Double?)
        /// Refused with an answer: `permanent` when sending it again cannot help (a number the relay
        /// rejects, a request it cannot read); `credentials` when the token was refused.
        case refused(String, permanent: Bool, credentials: Bool = false)
        /// 429: not now; again after `retryAfter` seconds (nil: not said).
        case rateLimited(retryAfter: Int?)
        /// The request never left (no connection, TLS refused): nothing was sent.
        case unreachable(String)
        /// The request left and no answer came back: it may have been sent.
        case uncertain(String)
    }

    /// One item of the stream: a received message (`incoming`) or a status of a sent one (`outgoing`).
    struct Item: Codable, Equatable {
        var kind: String
        var id: String
        var sender: String?
        var recipient: String?
        var text: String?
        var timestamp: Date?
        var status: String?
        var error: String?
        /// A Swiftlet relay's event number: read again from after it with `?after=`.
        var eventId: Int64?

        /// What the item is known by, for deduplication: a Swiftlet relay's event number, else
        /// (kind, id), and for a status its word too (one message has several statuses).
        var identity: String {
            if let eventId { return "event:\(eventId)" }
            return kind == "outgoing" ? "\(kind):\(id):\(status ?? "")" : "\(kind):\(id)"
        }
    }

    struct StreamFailure: Error, CustomStringConvertible {
        var description: String
        var credentials = false
        var retryAfter: Int?
    }

    func request(_ url: String) -> Curl.Request {
        var request = Curl.Request(url: url)
        request.bearer = settings.token
        request.tls = CurlTLS(caFile: settings.caFile, verify: true)
        request.timeout = settings.timeout
        request.connectTimeout = min(settings.timeout, 10)
        request.headers = ["Accept: application/json"]
        return request
    }

    /// Posts one message to one number.
    func send(to recipient: String, text: String) -> SendOutcome {
        var body: [String: Any] = ["message": text, "recipients": [recipient]]
        if let sender = settings.sender { body["sender"] = sender }
        var request = request(settings.sendURL)
        request.isPost = true
        request.upload = try? JSONSerialization.data(withJSONObject: body, options: [.withoutEscapingSlashes])
        request.headers.append("Content-Type: application/json")
        let response: Curl.Response
        do {
            response = try Curl().send(request)
        } catch {
            return error.requestSent
                ? .uncertain("no answer from \(settings.sendURL): \(error)")
                : .unreachable("cannot reach \(settings.sendURL): \(error)")
        }
        let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        let message = (object?["message"] as? String) ?? (object?["error"] as? String) ?? Self.excerpt(response.body)
        switch response.status {
        case 200...299:
            if let reason = Self.rejection(of: recipient, in: object) {
                return .refused("the relay rejected \(recipient): \(reason)", permanent: true)
            }
            guard let object else {
                // Taken (2xx), but the answer does not read: it was sent; only its id is unknown.
                return .accepted(reference: nil, parts: nil, cost: nil)
            }
            return .accepted(
                reference: Self.reference(of: recipient, in: object),
                parts: (object["smsCount"] as? NSNumber)?.intValue,
                cost: ((object["totalCost"] ?? object["cost"]) as? NSNumber)?.doubleValue
            )
        case 429:
            return .rateLimited(retryAfter: response.header("Retry-After").flatMap(Self.seconds(retryAfter:)))
        case 401, 403:
            return .refused(
                "the relay refused the token (\(response.status)): \(message)",
                permanent: false,
                credentials: true
            )
        case 400...499:
            if let reason = Self.rejection(of: recipient, in: object) {
                return .refused("the relay rejected \(recipient): \(reason)", permanent: true)
            }
            return .refused("the relay refused the message (\(response.status)): \(message)", permanent: true)
        default:
            return .refused("the relay failed (\(response.status)): \(message)", permanent: false)
        }
    }

    /// What is new: received messages and status changes, oldest first. `after`: a Swiftlet relay's
    /// event number to read on from (its place is kept by the caller, so a lost answer is read again).
    func stream(after: Int64?) throws(StreamFailure) -> [Item] {
        var url = settings.streamURL + "?limit=\(settings.streamLimit)"
        if let after { url += "&after=\(after)" }
        let response: Curl.Response
        do {
            response = try Curl().send(request(url))
        } catch {
            throw StreamFailure(description: "cannot read \(settings.streamURL): \(error)")
        }
        switch response.status {
        case 200...299: break
        case 401, 403:
            throw StreamFailure(
                description: "the relay refused the token (\(response.status)) for the stream",
                credentials: true
            )
        case 429:
            throw StreamFailure(
                description: "the relay asks to slow down (429) on the stream",
                retryAfter: response.header("Retry-After").flatMap(Self.seconds(retryAfter:))
            )
        default:
            throw StreamFailure(
                description: "the relay answered \(response.status) for the stream: \(Self.excerpt(response.body))"
            )
        }
        let json = try? JSONSerialization.jsonObject(with: response.body)
        let list = (json as? [Any]) ?? ((json as? [String: Any]).flatMap { $0["items"] ?? $0["data"] } as? [Any])
        guard let list else {
            throw StreamFailure(description: "the stream's answer is not a list: \(Self.excerpt(response.body))")
        }
        return list.compactMap { ($0 as? [String: Any]).flatMap(Self.item) }
    }

    // MARK: Reading answers

    static func item(_ object: [String: Any]) -> Item? {
        guard let kind = object["kind"] as? String, let id = string(object["id"]) else { return nil }
        return Item(
            kind: kind,
            id: id,
            sender: object["sender"] as? String,
            recipient: object["recipient"] as? String,
            text: object["text"] as? String,
            timestamp: (object["timestamp"] as? String).flatMap(date),
            status: object["status"] as? String,
            error: object["error"] as? String,
            eventId: (object["eventId"] as? NSNumber)?.int64Value
        )
    }

    /// An id as text, whether the JSON has a number or a string.
    static func string(_ value: Any?) -> String? {
        switch value {
        case let text as String: text
        case let number as NSNumber: number.stringValue
        default: nil
        }
    }

    /// The id of `recipient`'s message: a Swiftlet relay lists one per recipient under `messages`;
    /// Pixie answers its campaign's `id`.
    static func reference(of recipient: String, in object: [String: Any]) -> String? {
        if let messages = object["messages"] as? [[String: Any]],
            let mine = messages.first(where: { ($0["recipient"] as? String) == recipient }),
            let id = string(mine["id"])
        {
            return id
        }
        return string(object["id"])
    }

    /// Why the relay would not send to `recipient`, if it says so: Pixie's `rejected` (`invalid`
    /// with a reason, `optedOut`) or a Swiftlet relay's `failed`.
    static func rejection(of recipient: String, in object: [String: Any]?) -> String? {
        guard let object else { return nil }
        if let rejected = object["rejected"] as? [String: Any] {
            for entry in rejected["invalid"] as? [Any] ?? [] {
                if let entry = entry as? [String: Any], (entry["number"] as? String) == recipient {
                    return (entry["reason"] as? String) ?? "invalid number"
                }
                if (entry as? String) == recipient { return "invalid number" }
            }
            if (rejected["optedOut"] as? [String] ?? []).contains(recipient) { return "the recipient opted out" }
        }
        for entry in object["failed"] as? [[String: Any]] ?? [] where (entry["recipient"] as? String) == recipient {
            return (entry["reason"] as? String) ?? "refused"
        }
        return nil
    }

    /// `Retry-After`: seconds, or an HTTP date.
    static func seconds(retryAfter text: String) -> Int? {
        if let seconds = Int(text.trimmingCharacters(in: .whitespaces)) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text).map { max(0, Int($0.timeIntervalSinceNow.rounded(.up))) }
    }

    /// Pixie's times: `2023-06-15T10:23:55+0000` (or with a colon in the offset).
    static func date(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ssZ"
        return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }

    /// The start of a body for a log line: one line, at most 200 characters.
    static func excerpt(_ body: Data) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? "(no body)" : text
    }
}
