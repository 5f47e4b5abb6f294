import Foundation
import Hummingbird
import ModemSimulator
import SwiftletAPI

/// HTTP control of the simulated modem, served only while it runs (no real modem is configured):
///
/// - `POST /simulator/incoming` with form fields `from` and `text` (and `shuffle=1` to deliver the parts
///   of a long message out of order): the network delivers an SMS.
/// - `GET /simulator/received`: JSON list of the messages the network accepted from the gateway.
/// - `GET /simulator/calls`: JSON list of the voice calls the modem made.
/// - `POST /simulator/call` with form field `from`: someone calls the modem (it rings; not answered).
struct SimulatorRoutes {
    let simulator: ModemSimulator

    func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.post("/simulator/incoming") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 * 1024)
            let fields = FormParameters(encoded: String(buffer: body))
            guard let from = fields["from"], !from.isEmpty, let text = fields["text"], !text.isEmpty else {
                return try Self.json(["error": "form fields 'from' and 'text' are required"], status: .badRequest)
            }
            do {
                let slots = try await simulator.injectIncoming(
                    from: from,
                    text: text,
                    shuffled: fields["shuffle"] == "1"
                )
                return try Self.json(["slots": slots], status: .ok)
            } catch {
                return try Self.json(["error": "\(error)"], status: .serviceUnavailable)
            }
        }
        router.get("/simulator/received") { _, _ -> Response in
            try Self.json(await simulator.receivedMessages(), status: .ok)
        }
        router.post("/simulator/call") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 * 1024)
            guard let from = FormParameters(encoded: String(buffer: body))["from"], !from.isEmpty,
                from.count <= 20, from.allSatisfy({ $0.isNumber || $0 == "+" })
            else {
                return try Self.json(
                    ["error": "form field 'from' (a telephone number) is required"],
                    status: .badRequest
                )
            }
            await simulator.injectCall(from: from)
            return try Self.json(["ringing": from], status: .ok)
        }
        router.get("/simulator/calls") { _, _ -> Response in
            try Self.json(await simulator.placedCalls(), status: .ok)
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(value)))
        )
    }
}
