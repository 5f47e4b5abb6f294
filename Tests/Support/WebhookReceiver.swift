import Foundation

/// A real HTTP server that records the webhooks it receives (`webhook_receiver.py`), on a port of
/// its own that stays the same when it is stopped and started again.
public final class WebhookReceiver: @unchecked Sendable {
    // @unchecked: used by one test, one step at a time.
    public let port = MosquittoBroker.freePort()
    public let log: String
    private var process: DaemonProcess?

    public init() {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("webhooks-\(UUID().uuidString).jsonl").path
    }

    deinit { process?.stopInBackground() }

    public var url: String { "http://127.0.0.1:\(port)/hook" }

    /// Starts it; `options` as `webhook_receiver.py` takes them (`--fail-first 2`, …).
    public func start(_ options: [String] = []) async throws {
        let output = log + ".out-\(UUID().uuidString)"
        process = try DaemonProcess(
            "/usr/bin/python3",
            [Dovecot.script("webhook_receiver.py"), String(port), log] + options,
            output: output,
            errors: log + ".errors"
        )
        _ = try await eventually(timeout: .seconds(30), "the webhook receiver ready") {
            ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains("ready") ? true : nil
        }
    }

    public func stop() {
        _ = process?.stop()
        process = nil
    }

    /// Every request received, oldest first: method, path, headers, body, the status it answered.
    public var requests: [[String: Any]] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}
