import Foundation
import Hummingbird
import Logging
import SwiftletDomain
import SwiftletEvents

/// APIv1 over JSON-RPC: `POST /jsonrpc/sms` (and `/index.php/jsonrpc/sms`) with
/// `{"method": "sms.send_sms", "params": {"access_token": "…", …}}`. The same methods, parameters
/// and checks as the HTTP form; answers are `{"result": …}`, simple or (`responsetype=extended`) extended.
extension APIv1 {
    func respondJSONRPC(to request: Request, client: String) async throws -> Response {
        let body = try await request.body.collect(upTo: Self.maximumBodySize)
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)),
            case .string(let fullName)? = object["method"]
        else {
            logger.notice("APIv1 JSON-RPC: the body is not {\"method\": …, \"params\": {…}}")
            return Self.jsonResponse(APIv1Reply.wrongParameters.json(extended: false), status: .badRequest)
        }
        // "sms.send_sms", "phonebook.group_read", "signal.get_gsmsignal": the namespace is not checked.
        let method = String(fullName.split(separator: ".").last ?? "")
        let params: [String: JSONValue] = if case .object(let params)? = object["params"] { params } else { [:] }
        let parameters = FormParameters(params.compactMapValues(Self.text))
        let extended = parameters["responsetype"] == "extended"
        guard let handler = Self.methods[method] else {
            logger.notice("APIv1 JSON-RPC: unknown method", metadata: ["method": "\(fullName)"])
            return Self.jsonResponse(
                APIv1Reply.error("Unknown method \(fullName)").json(extended: extended),
                status: .notFound
            )
        }
        let reply = await call(method, handler, parameters, responseTypes: ["simple", "extended"]) {
            try await authenticate(parameters, client: client)
        }
        return Self.jsonResponse(reply.json(extended: extended))
    }

    /// A JSON parameter as the form value PHP would see: strings as they are, numbers and booleans
    /// written out (`1`, `true` → `1`), arrays and objects as JSON text.
    static func text(_ value: JSONValue) -> String? {
        switch value {
        case .string(let string): string
        case .bool(let flag): flag ? "1" : "0"
        case .integer(let number): String(number)
        case .number(let number):
            // A whole number written with a fraction or exponent (`1.0`, `1e3`) reads as PHP writes it.
            number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .null: nil
        case .array, .object: String(decoding: value.json, as: UTF8.self)
        }
    }

    static func jsonResponse(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }
}

extension APIv1Reply {
    /// The JSON-RPC form: `{"result": …}`, with the documented simple and extended shapes.
    func json(extended: Bool) -> String {
        func status(_ fields: [(String, JSONText)], _ status: String = "ok") -> JSONText {
            .object(fields + [("status", .string(status))])
        }
        let result: JSONText
        switch self {
        case .queued(let ids):
            if !extended {
                result = .string(ids.map { "OK; ID=\($0)" }.joined(separator: "\n"))
            } else if ids.count == 1 {
                result = status([("message_id", .string("\(ids[0])"))])
            } else {
                result = .array(ids.map { status([("message_id", .string("\($0)"))]) })
            }
        case .count(let name, let value):
            result = extended ? status([(name, .string("\(value)"))]) : .number(value)
        case .value(let name, let value):
            result = extended ? status([(name, .string(value))]) : .string(value)
        case .ok:
            result = extended ? status([]) : .string("OK")
        case .failed:
            result = extended ? status([], "error") : .string("Error")
        case .error(let text):
            result = extended ? status([("error_text", .string(text))], "error") : .string(text)
        case .created(let name, let id):
            result = extended ? status([(name, .string("\(id)"))]) : .string("OK; ID=\(id)")
        case .rows(let rows, let container, _):
            let list = JSONText.array(rows.map { .object($0.map { ($0.0, .string($0.1)) }) })
            result = extended ? status([(container, list)]) : list
        }
        return JSONText.object([("result", result)]).rendered
    }
}

/// JSON written with its keys in the order given (the order SMSEagle's examples show).
indirect enum JSONText {
    case string(String)
    case number(Int)
    case array([JSONText])
    case object([(String, JSONText)])

    var rendered: String {
        switch self {
        case .string(let text): Self.quoted(text)
        case .number(let value): "\(value)"
        case .array(let items): "[" + items.map(\.rendered).joined(separator: ",") + "]"
        case .object(let fields):
            "{" + fields.map { Self.quoted($0.0) + ":" + $0.1.rendered }.joined(separator: ",") + "}"
        }
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out +=
                        "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
