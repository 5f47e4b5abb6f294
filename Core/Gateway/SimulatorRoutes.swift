import Foundation
import Hummingbird
import ModemSimulator
import SwiftletAPI
import SwiftletDomain

/// HTTP control of the simulated modems, served only while they run (no real modem is configured):
///
/// - `POST /simulator/incoming` with form fields `from` and `text` (and `shuffle=1` to deliver the parts
///   of a long message out of order): the network delivers an SMS (to the first simulated modem).
/// - `GET /simulator/received`: JSON list of the messages the network accepted from the gateway, each
///   with the simulated modem that sent it.
/// - `GET /simulator/calls`: JSON list of the voice calls the modems made.
/// - `POST /simulator/call` with form field `from`: someone calls the first modem (it rings; not answered).
///
/// They take no token, so they answer only clients on this host (loopback): what the simulated network
/// received is every user's sent texts. Anyone else gets 403.
struct SimulatorRoutes {
    let simulators: [(name: String, simulator: ModemSimulator)]
    private var simulator: ModemSimulator { simulators[0].simulator }

    func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let router = router.group("simulator").add(middleware: LoopbackOnlyMiddleware())
        router.post("incoming") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 * 1024)
            let fields = FormParameters(encodedOctets: Array(body.readableBytesView))
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
        router.get("received") { _, _ -> Response in
            var received: [NetworkMessage] = []
            for (name, simulator) in simulators {
                received += await simulator.receivedMessages().map { message in
                    var message = message
                    message.modem = name
                    return message
                }
            }
            if simulators.count > 1 { received.sort { $0.receivedAt < $1.receivedAt } }
            return try Self.json(received, status: .ok)
        }
        router.post("call") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 * 1024)
            guard let from = FormParameters(encodedOctets: Array(body.readableBytesView))["from"], !from.isEmpty,
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
        router.get("calls") { _, _ -> Response in
            var calls: [SimulatedCall] = []
            for (_, simulator) in simulators { calls += await simulator.placedCalls() }
            return try Self.json(calls, status: .ok)
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

/// Refuses (403) every client that is not on this host.
struct LoopbackOnlyMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let peer = (context as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress ?? ""
        guard IPNetwork.loopback.contains(where: { $0.contains(peer) }) else {
            return Response(
                status: .forbidden,
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "the simulator answers clients on this host only\n"))
            )
        }
        return try await next(request, context)
    }
}
