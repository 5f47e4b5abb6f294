import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

struct Simulator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Drive the simulated modem of a running gateway.",
        discussion: "Works while the gateway runs without a configured modem.",
        subcommands: [Inject.self, Ring.self, Received.self, Calls.self]
    )

    struct Connection: ParsableArguments {
        @Option(help: "The gateway's HTTP address.")
        var url = "http://127.0.0.1:8080"

        func call(_ path: String, form: [String: String]? = nil) async throws -> String {
            var request = HTTPClientRequest(url: url + path)
            if let form {
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
                let body = form.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
                request.body = .bytes(ByteBuffer(string: body.joined(separator: "&")))
            }
            let response: HTTPClientResponse
            do {
                response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            } catch {
                throw CommandFailure("cannot reach the gateway at \(url): \(error)")
            }
            let body = String(buffer: try await response.body.collect(upTo: 16 * 1024 * 1024))
            guard response.status == .ok else {
                if response.status == .notFound {
                    throw CommandFailure("the gateway at \(url) has no simulated modem (a real modem is configured)")
                }
                throw CommandFailure("the gateway answered \(response.status.code): \(body)")
            }
            return body
        }
    }

    struct Inject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deliver an incoming SMS to the simulated modem, as the network would."
        )

        @OptionGroup var connection: Connection

        @Option(help: "The sender's number (or an alphanumeric sender of up to 11 characters).")
        var from: String

        @Flag(help: "Deliver the parts of a long message in random order, as real networks sometimes do.")
        var shuffle = false

        @Argument(help: "The message text.")
        var text: String

        func run() async throws {
            _ = try await connection.call(
                "/simulator/incoming",
                form: ["from": from, "text": text, "shuffle": shuffle ? "1" : "0"]
            )
            print("delivered to the simulated modem; read it with read_sms folder=inbox")
        }
    }

    struct Ring: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "call",
            abstract: "Call the simulated modem from a number (it rings and is not answered).",
            discussion: "Rules with 'on: call.incoming' fire, and an escalation's recipient acknowledges this way."
        )

        @OptionGroup var connection: Connection

        @Option(help: "The caller's number.")
        var from: String

        func run() async throws {
            _ = try await connection.call("/simulator/call", form: ["from": from])
            print("the simulated modem rings: a call from \(from)")
        }
    }

    struct Received: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the messages the simulated network received from the gateway."
        )

        @OptionGroup var connection: Connection

        @Flag(help: "Print the JSON as the gateway returns it.")
        var json = false

        func run() async throws {
            let body = try await connection.call("/simulator/received")
            if json { return print(body) }
            struct Message: Decodable {
                var recipient: String
                var text: String
                var parts: Int
                var unicode: Bool
            }
            let messages = try JSONDecoder().decode([Message].self, from: Data(body.utf8))
            if messages.isEmpty { print("no messages yet") }
            for message in messages {
                print(
                    "\(message.recipient)\t\(message.parts) part(s)\t\(message.unicode ? "UCS-2" : "GSM-7")\t\(message.text)"
                )
            }
        }
    }

    struct Calls: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the voice calls the simulated modem made (call_with_termination)."
        )

        @OptionGroup var connection: Connection

        func run() async throws {
            let body = try await connection.call("/simulator/calls")
            struct Call: Decodable {
                var number: String
                var startedAt: Double
                var endedAt: Double?
                var endedBy: String?
            }
            let calls = try JSONDecoder().decode([Call].self, from: Data(body.utf8))
            if calls.isEmpty { print("no calls yet") }
            for call in calls {
                let start = Date(timeIntervalSince1970: call.startedAt)
                let length = call.endedAt.map { String(format: "%.1f s", $0 - call.startedAt) } ?? "in progress"
                print(
                    "\(call.number)\t\(start.formatted(.iso8601))\t\(length)\t\(call.endedBy.map { "ended by \($0)" } ?? "")"
                )
            }
        }
    }
}
