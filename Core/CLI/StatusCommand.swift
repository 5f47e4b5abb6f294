import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwiftletEvents
import SwiftletGateway

/// `swiftlet status`: what a running gateway reports about itself (the snapshot SNMP and the
/// metrics endpoint read), asked over HTTP with the status key of its data directory.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running gateway's modems, queue, traffic and plugins.",
        discussion: """
            Asks the gateway this configuration describes, at its HTTP address (or --url), for its \
            status. It needs to read the data directory (the key that opens the status is kept \
            there), so run it as the user the gateway runs as. Exits 1 when the gateway cannot be \
            reached; 2 when it runs, but a modem is not ready or a plugin is down.
            """
    )

    @OptionGroup var data: DataOptions

    @Option(help: ArgumentHelp("The gateway's HTTP address (default: from the configuration).", valueName: "url"))
    var url: String?

    @Flag(help: "Print the status as JSON (the ABI's status snapshot).")
    var json = false

    func run() async throws {
        let configuration = try data.load()
        let base = url ?? StatusAccess.baseURL(configuration)
        let token: String
        do {
            token = try StatusAccess.token(dataDirectory: configuration.dataDirectory)
        } catch {
            throw CommandFailure("cannot read the status key in \(configuration.dataDirectory): \(error)")
        }
        var request = HTTPClientRequest(url: base + "/status.json")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        } catch {
            throw CommandFailure("cannot reach the gateway at \(base): \(error); is it running ('swiftlet serve')?")
        }
        let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
        guard response.status == .ok else {
            throw CommandFailure(
                response.status == .unauthorized
                    ? "the gateway at \(base) does not take the status key of \(configuration.dataDirectory): is it another gateway's data directory?"
                    : "the gateway at \(base) answered \(response.status.code): \(String(buffer: body))"
            )
        }
        let snapshot = try JSONCoding.decoder.decode(StatusSnapshot.self, from: Data(body.readableBytesView))
        if json {
            print(String(buffer: body))
        } else {
            print(Self.text(snapshot), terminator: "")
        }
        let unwell =
            snapshot.modems.contains { $0.enabled && $0.state != "ready" }
            || snapshot.plugins.contains { $0.health == "down" }
        if unwell { throw ExitCode(2) }
    }

    /// The snapshot for a person: one section per part, aligned columns.
    static func text(_ snapshot: StatusSnapshot) -> String {
        var lines = [
            "Swiftlet \(snapshot.version) on \(snapshot.node), up \(duration(snapshot.uptimeSeconds))",
            "",
            "Modems",
        ]
        for modem in snapshot.modems {
            let signal = modem.signal >= 0 ? "\(modem.signal)%" : "-"
            lines.append(
                "  \(modem.no) \(pad(modem.name, 12)) \(pad(modem.enabled ? modem.state : "disabled", 10)) signal \(pad(signal, 5)) \(pad(modem.registration, 9)) \(modem.operator ?? "-")"
                    + "  sent \(modem.sent), received \(modem.received)"
            )
        }
        let queue = snapshot.queue
        lines += [
            "",
            "Queue",
            "  queued \(queue.queued), claimed \(queue.claimed), submitting \(queue.submitting); oldest waiting \(duration(queue.oldestSeconds))",
            "  sent \(queue.sent), failed \(queue.failed); inbox \(snapshot.inbox); webhook deliveries pending \(snapshot.webhooksPending)",
        ]
        let traffic = snapshot.traffic
        lines.append(
            "  last 24 h: sent \(traffic.sentLastDay), failed \(traffic.failedLastDay); last 30 days: sent \(traffic.sentLast30Days)"
        )
        lines += ["", "Plugins"]
        if snapshot.plugins.isEmpty { lines.append("  none running") }
        for plugin in snapshot.plugins {
            lines.append("  \(pad(plugin.id, 14)) \(pad(plugin.health, 9)) \(plugin.detail)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func duration(_ seconds: Int) -> String {
        switch seconds {
        case ..<60: "\(seconds) s"
        case ..<3600: "\(seconds / 60) min"
        case ..<86400: "\(seconds / 3600) h \(seconds % 3600 / 60) min"
        default: "\(seconds / 86400) d \(seconds % 86400 / 3600) h"
        }
    }
}
