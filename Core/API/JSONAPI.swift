import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Logging
import SwiftletDomain
import SwiftletEvents

/// What the JSON APIs (APIv2, Pixie) share: finding the caller's token, reading a JSON body, and
/// answering JSON, errors as `{"message": "…"}` with the HTTP status that says what went wrong.
struct JSONAPI: Sendable {
    let authenticator: Authenticator
    let logger: Logger
    /// Names the API in log lines ("APIv2", "Pixie API").
    let name: String

    /// Largest JSON body accepted: a 1530-character text to 1,000 numbers fits well within it.
    static let maximumBodySize = 1024 * 1024

    /// An answer other than success: `status` and a message for the caller, as `{"message": …}`.
    struct Failure: HTTPResponseError {
        var status: HTTPResponse.Status
        var message: String

        init(_ status: HTTPResponse.Status, _ message: String) {
            self.status = status
            self.message = message
        }

        static func badRequest(_ message: String) -> Failure { Failure(.badRequest, message) }
        static let notFound = Failure(.notFound, "Resource(s) not found")

        func response(from request: Request, context: some RequestContext) throws -> Response {
            JSONAPI.response(Message(message: message), status: status)
        }
    }

    static let accessTokenHeader = HTTPField.Name("access-token")!

    /// The token of `access-token: …` or `Authorization: Bearer …`.
    static func token(_ request: Request) -> String? {
        if let token = request.headers[Self.accessTokenHeader], !token.isEmpty { return token }
        guard let authorization = request.headers[.authorization] else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }

    /// The user the token middleware found (``TokenAuthentication``), who may call `permission` (an
    /// APIv1 method name; nil: any user).
    func user(_ context: some APIRequestContext, permission: String?) throws -> APIUser {
        guard let user = context.identity else { throw Failure(.unauthorized, TokenAuthenticationMessages.missing) }
        if let permission, !user.may(permission) {
            logger.notice(
                "refused: no permission",
                metadata: ["api": "\(name)", "user": "\(user.name)", "permission": "\(permission)"]
            )
            throw Failure(.forbidden, "No permission to use this method (\(permission))")
        }
        return user
    }

    /// The middleware that authenticates this API's routes, refusing with `{"message": …}`.
    func authentication<Context: APIRequestContext>(_: Context.Type = Context.self) -> TokenAuthentication<Context> {
        TokenAuthentication(authenticator: authenticator, api: name) { Failure($0, $1) }
    }

    /// The body as a JSON object. With `utf32Escapes`, `\UXXXXXXXX` (eight hex digits, which JSON
    /// does not have) is read as that character: Pixie's documentation sends emoji that way.
    static func object(_ request: Request, utf32Escapes: Bool = false) async throws -> JSONObject {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumBodySize)
        } catch {
            throw Failure(.contentTooLarge, "The body is larger than \(maximumBodySize / 1024) KiB")
        }
        var data = Data(buffer.readableBytesView)
        if utf32Escapes { data = Self.replacingUTF32Escapes(data) }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw Failure.badRequest("The body is not valid JSON: \(Self.reason(error))")
        }
        guard case .object(let fields) = value else { throw Failure.badRequest("The body must be a JSON object") }
        return JSONObject(fields: fields)
    }

    /// What the JSON parser found wrong, in its own words (e.g. a number too large for a double).
    static func reason(_ error: any Error) -> String {
        guard case DecodingError.dataCorrupted(let context) = error else { return "\(error)" }
        let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
        return underlying ?? context.debugDescription
    }

    /// `\U0001F600` as JSON's `\ud83d\ude00`; an escaped backslash before the `U` is left alone.
    static func replacingUTF32Escapes(_ data: Data) -> Data {
        let text = Array(String(decoding: data, as: UTF8.self).unicodeScalars)
        guard text.contains("U") else { return data }
        var result = String.UnicodeScalarView()
        var index = 0
        while index < text.count {
            let scalar = text[index]
            guard scalar == "\\", index + 1 < text.count else {
                result.append(scalar)
                index += 1
                continue
            }
            if text[index + 1] == "U", index + 10 <= text.count,
                let value = UInt32(String(String.UnicodeScalarView(text[(index + 2)..<(index + 10)])), radix: 16),
                let character = Unicode.Scalar(value)
            {
                for unit in String(character).utf16 {
                    result.append(contentsOf: "\\u\(String(unit, radix: 16))".unicodeScalars)
                }
                index += 10
            } else {
                // Any other escape, `\\` among them, is copied as it is.
                result.append(scalar)
                result.append(text[index + 1])
                index += 2
            }
        }
        let replaced = String(result)
        return Data(replaced.utf8)
    }

    /// An answer that is only a message: `{"message": "…"}`.
    struct Message: Encodable {
        var message: String
    }

    /// What a handler answers: the status and the value to encode.
    typealias Answer = (status: HTTPResponse.Status, value: any Encodable)

    /// Runs `body` and answers its value as JSON, a `Failure` with its status, and anything else as
    /// 500 (logged).
    func respond(_ body: () async throws -> Answer) async -> Response {
        do {
            let (status, value) = try await body()
            return Self.response(value, status: status)
        } catch let failure as Failure {
            return Self.response(Message(message: failure.message), status: failure.status)
        } catch let error as SwiftletError where error.kind == .invalidParameter {
            return Self.response(Message(message: error.detail), status: .badRequest)
        } catch let error as SwiftletError where error.kind == .notFound {
            return Self.response(Message(message: Failure.notFound.message), status: .notFound)
        } catch let error as SwiftletError where error.kind == .unavailable || error.kind == .notSupported {
            // Understood, but the gateway cannot do it now (a modem away) or at all: say why.
            logger.notice("cannot do it", metadata: ["api": "\(name)", "reason": "\(error.detail)"])
            return Self.response(Message(message: error.detail), status: .serviceUnavailable)
        } catch {
            logger.error("request failed", metadata: ["api": "\(name)", "error": "\(error)"])
            return Self.response(Message(message: "Internal error"), status: .internalServerError)
        }
    }

    /// `value` as JSON, keys sorted and slashes as they are, with `status`.
    static func response(_ value: some Encodable, status: HTTPResponse.Status) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    /// Times as ISO 8601 with the offset of `timeZone` (`2026-11-23T10:00:00+01:00`).
    static func timestamp(_ date: Date, _ timeZone: TimeZone) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = timeZone
        return formatter.string(from: date)
    }
}

/// The fields of a request's JSON object, read with errors that name the field.
struct JSONObject {
    var fields: [String: JSONValue]

    func value(_ name: String) -> JSONValue? {
        guard let value = fields[name], value != .null else { return nil }
        return value
    }

    /// A list of texts; nil when absent. A number written as a JSON number (`"to": [48123456789]`)
    /// is a number all the same.
    func texts(_ name: String) throws -> [String]? {
        guard let value = value(name) else { return nil }
        guard case .array(let items) = value else { throw JSONAPI.Failure.badRequest("\(name): must be a list") }
        return try items.map { item in
            switch item {
            case .string(let text): text
            case .integer(let number) where number >= 0: String(number)
            default: throw JSONAPI.Failure.badRequest("\(name): must be a list of texts")
            }
        }
    }

    /// A list of ids; a text that is a whole number counts (clients split "3,4" and send texts).
    func ids(_ name: String) throws -> [Int64]? {
        guard let value = value(name) else { return nil }
        guard case .array(let items) = value else { throw JSONAPI.Failure.badRequest("\(name): must be a list of ids") }
        return try items.map { item in
            switch item {
            case .integer(let id): return id
            case .string(let text):
                if let id = Int64(text.trimmingCharacters(in: .whitespaces)) { return id }
            default: break
            }
            throw JSONAPI.Failure.badRequest("\(name): must be a list of ids (whole numbers)")
        }
    }

    func text(_ name: String) throws -> String? {
        guard let value = value(name) else { return nil }
        guard case .string(let text) = value else { throw JSONAPI.Failure.badRequest("\(name): must be a text") }
        return text
    }

    func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = value(name) else { return nil }
        let number: Int? =
            switch value {
            case .integer(let number): Int(exactly: number)
            case .string(let text): Int(text)
            default: nil
            }
        guard let number, range.contains(number) else {
            throw JSONAPI.Failure.badRequest(
                "\(name): must be a whole number from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return number
    }

    func flag(_ name: String) throws -> Bool? {
        switch value(name) {
        case nil: nil
        case .bool(let flag): flag
        case .integer(0): false
        case .integer(1): true
        default: throw JSONAPI.Failure.badRequest("\(name): must be true or false")
        }
    }
}
