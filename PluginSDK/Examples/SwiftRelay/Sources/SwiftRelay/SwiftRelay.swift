import Foundation
import SwiftletPluginSDK
import Synchronization

/// The C example `relay` in Swift (ABI 1.4): a transport, a voice provider and a directory with
/// the SDK's role protocols. SMS and calls are appended to the file `spool` as JSON lines (where a
/// real provider would call an operator's API or place a SIP call), a key already spooled is
/// answered again without spooling twice, groups come from the configuration, what it spooled is
/// counted in metrics, and the gateway's status snapshot is kept in `status_file`.
///
/// Demonstration knobs: numbers starting with `refuse_prefix` are refused for good (calls: busy);
/// those starting with `silent_prefix` are never answered, so the gateway's timeout decides and its
/// `cancel` ends the wait here; `delay_ms` delays every SMS answer.
public final class SwiftRelay: TransportProvider, VoiceProvider, DirectoryProvider {
    public struct Configuration: Decodable, Sendable {
        var spool: String
        var groups: [String: [String]] = [:]
        var digits: String = "1"
        var refusePrefix: String = ""
        var silentPrefix: String = ""
        var statusFile: String = ""
        var statusEveryMs: Int = 0
        var delayMs: Int = 0

        // The gateway fills in the manifest's defaults; a test host may not: every key but spool is optional.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            spool = try container.decode(String.self, forKey: .spool)
            groups = try container.decodeIfPresent([String: [String]].self, forKey: .groups) ?? [:]
            digits = try container.decodeIfPresent(String.self, forKey: .digits) ?? "1"
            refusePrefix = try container.decodeIfPresent(String.self, forKey: .refusePrefix) ?? ""
            silentPrefix = try container.decodeIfPresent(String.self, forKey: .silentPrefix) ?? ""
            statusFile = try container.decodeIfPresent(String.self, forKey: .statusFile) ?? ""
            statusEveryMs = try container.decodeIfPresent(Int.self, forKey: .statusEveryMs) ?? 0
            delayMs = try container.decodeIfPresent(Int.self, forKey: .delayMs) ?? 0
        }

        enum CodingKeys: String, CodingKey {
            case spool, groups, digits, refusePrefix, silentPrefix, statusFile, statusEveryMs, delayMs
        }
    }

    public static let id = "swiftrelay"
    public static let version = "1.0.0"

    let configuration: Configuration
    let host: any PluginHost
    /// One writer of the spool at a time (requests run concurrently).
    private let spoolLock = Mutex(())

    public init(configuration: Configuration, host: any PluginHost) throws {
        guard !configuration.spool.isEmpty else { throw PluginError(.invalid, "spool: required") }
        self.configuration = configuration
        self.host = host
    }

    public func start() async throws {
        try host.registerProvider(.transport, name: "swiftspool", schema: nil)
        try host.registerProvider(.voice, name: "swiftspool", schema: nil)
        try host.registerProvider(.directory, name: "swiftstatic", schema: nil)
        if configuration.statusEveryMs > 0, !configuration.statusFile.isEmpty {
            let interval = Duration.milliseconds(configuration.statusEveryMs)
            _ = try host.startTimer(after: .zero, every: interval) { [host, file = configuration.statusFile] in
                Task {
                    do {
                        let snapshot = try await host.statusSnapshot()
                        let json = try JSONCoding.encoder.encode(snapshot)
                        try json.write(to: URL(fileURLWithPath: file), options: .atomic)
                    } catch {
                        host.log(.warning, "cannot keep the status file: \(error)")
                    }
                }
            }
        }
    }

    // MARK: Transport

    public func send(_ message: TransportSendRequest) async throws -> TransportAnswer {
        if starts(message.to, configuration.silentPrefix) { try await waitForCancel(message.requestId) }
        if starts(message.to, configuration.refusePrefix) {
            return .rejected("the relay refuses this number", permanent: true)
        }
        let line = try spool(["kind": "sms", "key": message.key, "to": message.to, "text": message.text])
        if configuration.delayMs > 0 { try await Task.sleep(for: .milliseconds(configuration.delayMs)) }
        return .accepted(reference: "swiftspool-\(line)")
    }

    // MARK: Voice

    public func call(_ request: VoiceCallRequest) async throws -> VoiceCallResult {
        if starts(request.to, configuration.silentPrefix) { try await waitForCancel(request.requestId) }
        if starts(request.to, configuration.refusePrefix) {
            return VoiceCallResult(result: .busy, detail: "the relay refuses this number")
        }
        _ = try spool([
            "kind": "call", "key": request.key, "to": request.to, "text": request.text ?? "",
            "max_seconds": request.maxSeconds,
        ])
        return VoiceCallResult(result: .answered, duration: 3, digits: configuration.digits)
    }

    // MARK: Directory

    public func resolve(_ name: String) async throws -> DirectoryEntry? {
        configuration.groups[name].map { DirectoryEntry(numbers: $0) }
    }

    public func groups() async throws -> [DirectoryGroups.Group] {
        configuration.groups.sorted { $0.key < $1.key }.map { .init(name: $0.key, members: $0.value.count) }
    }

    // MARK: Helpers

    private func starts(_ number: String, _ prefix: String) -> Bool { !prefix.isEmpty && number.hasPrefix(prefix) }

    /// A request that is never answered: it waits until the gateway gives up and cancels it.
    private func waitForCancel(_ request: UInt64) async throws -> Never {
        do {
            while true { try await Task.sleep(for: .seconds(3600)) }
        } catch {
            host.log(.info, "request \(request) cancelled by the gateway")
            throw error
        }
    }

    /// Appends `line` unless its key is spooled already; returns its line number (from 1).
    private func spool(_ line: [String: Any]) throws -> Int {
        try spoolLock.withLock { _ in
            let url = URL(fileURLWithPath: configuration.spool)
            let existing = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            let lines = existing.split(separator: "\n")
            let key = line["key"] as? String ?? ""
            for (index, text) in lines.enumerated() {
                let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
                if object?["key"] as? String == key { return index + 1 }
            }
            let json = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
            try (existing + String(decoding: json, as: UTF8.self) + "\n").write(
                to: url,
                atomically: true,
                encoding: .utf8
            )
            try host.reportMetric(
                MetricSample(
                    name: "spooled_total",
                    type: .counter,
                    help: "What the Swift relay example spooled",
                    labels: ["role": line["kind"] as? String ?? ""],
                    value: 1
                )
            )
            return lines.count + 1
        }
    }
}
