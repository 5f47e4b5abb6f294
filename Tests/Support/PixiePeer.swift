import Foundation

/// A Pixie-compatible server written for the tests from seed 002 (`pixie_server.py`): the test
/// steers how it answers the next POSTs, adds received messages to its stream, and reads every
/// POST it got.
public final class PixiePeer: @unchecked Sendable {
    // @unchecked: used by one test, one step at a time.
    public let port = MosquittoBroker.freePort()
    public let token = "test-token-\(UUID().uuidString.prefix(8))"
    private let folder: String
    private var process: DaemonProcess?
    /// The certificate it serves HTTPS with (self-signed, for 127.0.0.1), when started so.
    public private(set) var certificate: String?

    public init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("pixie-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit { process?.stopInBackground() }

    public var url: String { "\(certificate == nil ? "http" : "https")://127.0.0.1:\(port)" }

    /// Starts it; with `tls`, over HTTPS with a self-signed certificate (`certificate`).
    public func start(tls: Bool = false) async throws {
        let output = folder + "/out-\(UUID().uuidString)"
        var options: [String] = []
        if tls {
            let (cert, key) = try await selfSignedCertificate()
            certificate = cert
            options = ["--tls", cert, key]
        }
        process = try DaemonProcess(
            "/usr/bin/python3",
            [Dovecot.script("pixie_server.py"), "--port", String(port), "--token", token] + options,
            output: output,
            errors: folder + "/errors"
        )
        _ = try await eventually(timeout: .seconds(30), "the Pixie server ready") {
            ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains("port") ? true : nil
        }
    }

    public func stop() {
        _ = process?.stop()
        process = nil
    }

    /// How the next POSTs are answered, in order: `ok`, `429:SECONDS`, `500`, `401`, `hang:SECONDS`.
    public func next(_ responses: String...) throws {
        try control("next", ["responses": responses])
    }

    /// A message the relay received from `sender`, for its stream.
    public func receive(from sender: String, text: String) throws {
        try control("incoming", ["sender": sender, "text": text])
    }

    /// Whether the stream hands out every item twice.
    public func duplicates(_ on: Bool) throws { try control("duplicates", ["on": on]) }

    /// Whether an accepted message gets a `delivered` item in the stream.
    public func statuses(_ on: Bool) throws { try control("status", ["on": on]) }

    /// Every POST to /api/v2/sms, in order: `body` (the JSON sent), `response` (how it was answered),
    /// `content_type`.
    public func posts() throws -> [[String: Any]] {
        let data = try curl(["-s", "-k", url + "/control/posts"])
        return try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
    }

    private func control(_ path: String, _ body: [String: Any]) throws {
        let json = try JSONSerialization.data(withJSONObject: body)
        _ = try curl(["-s", "-k", "-X", "POST", "-d", String(decoding: json, as: UTF8.self), url + "/control/" + path])
    }

    private func curl(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["--max-time", "10"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("curl \(arguments) failed") }
        return data
    }
}
