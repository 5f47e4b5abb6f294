import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// A `swiftlet serve` process with its own data directory and a free port, for end-to-end tests.
final class GatewayProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched by the test that owns this object, one step at a time.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The built `swiftlet` (the test command builds it before running the tests).
    static var binary: String {
        ProcessInfo.processInfo.environment["SWIFTLET_BINARY"]
            ?? packageRoot.appendingPathComponent(".build/debug/swiftlet").path
    }

    let dataDirectory: String
    let logFile: String
    private(set) var process: Process?
    private(set) var baseURL = ""

    init(dataDirectory: String? = nil) throws {
        let directory =
            dataDirectory
            ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftlet-e2e-\(UUID().uuidString)").path
        self.dataDirectory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        logFile = directory + "-serve.log"
    }

    /// Starts `swiftlet serve` and waits (up to 30 s) until its HTTP API listens.
    func start(config: String? = nil) async throws {
        var arguments = ["serve", "--data-dir", dataDirectory, "--http", "127.0.0.1:0"]
        if let config {
            let path = dataDirectory + "-swiftlet.yaml"
            try config.write(toFile: path, atomically: true, encoding: .utf8)
            arguments += ["--config", path]
        }
        FileManager.default.createFile(atPath: logFile, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        try log.seekToEnd()
        process.standardError = log
        process.standardOutput = log
        try process.run()
        self.process = process
        let line = try await waitForLog("HTTP API listening on ", timeout: .seconds(30))
        baseURL = String(line[line.range(of: "http://")!.lowerBound...]).trimmingCharacters(in: .whitespaces)
    }

    /// Sends SIGKILL and waits for the process to end.
    func kill() {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// Sends SIGTERM and waits for the process to end; returns its exit status.
    @discardableResult
    func stop() -> Int32 {
        guard let process else { return 0 }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }

    deinit { kill() }

    var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// Waits until rule `name` runs: it either loaded after its plugin kinds were registered (the
    /// rules summary is logged and it did not wait), or it waited and then could run.
    func waitForRule(_ name: String, timeout: Duration = .seconds(20)) async throws {
        try await eventually(timeout: timeout, "rule \(name) runnable\n--- log ---\n\(log)") { () -> Bool? in
            if self.logged("rule can run: its plugin kinds are registered", ["rule": name]) { return true }
            return self.logged("rules ready") && !self.logged("rule waits", ["rule": name]) ? true : nil
        }
    }

    /// The log's lines that say `message` with each of `metadata`, as swift-log's stream handler
    /// writes them: `… level label : key=value … [module] message`.
    func lines(saying message: String, _ metadata: KeyValuePairs<String, String> = [:]) -> [Substring] {
        log.split(separator: "\n").filter { line in
            line.hasSuffix("] " + message) && metadata.allSatisfy { line.contains(" \($0)=\($1) ") }
        }
    }

    /// Whether the log has a line that says `message` with each of `metadata`.
    func logged(_ message: String, _ metadata: KeyValuePairs<String, String> = [:]) -> Bool {
        !lines(saying: message, metadata).isEmpty
    }

    /// Waits for a line that says `message` with each of `metadata`.
    @discardableResult
    func waitForLog(
        saying message: String,
        _ metadata: KeyValuePairs<String, String>,
        timeout: Duration = .seconds(20)
    ) async throws -> String {
        try await eventually(timeout: timeout, "log line '\(message)' with \(metadata)\n--- log ---\n\(log)") {
            lines(saying: message, metadata).last.map(String.init)
        }
    }

    /// Waits for a log line containing `text` and returns it.
    @discardableResult
    func waitForLog(_ text: String, timeout: Duration = .seconds(20)) async throws -> String {
        try await eventually(timeout: timeout, "log line containing '\(text)'\n--- log ---\n\(log)") {
            log.split(separator: "\n").last { $0.contains(text) }.map(String.init)
        }
    }

    /// Runs `swiftlet ARGUMENTS` to completion; returns its exit status and output.
    static func run(
        _ arguments: [String],
        input: String? = nil
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inputPipe = Pipe()
        process.standardInput = inputPipe
        try process.run()
        if let input { inputPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inputPipe.fileHandleForWriting.close()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    /// A new access token for this gateway's data directory.
    func createToken(user: String = "api") throws -> String {
        let result = try Self.run(["token", "create", "--data-dir", dataDirectory, "--user", user])
        #expect(result.status == 0, "token create failed: \(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// GET `path` (with `query` percent-encoded) and return status and body.
    func get(_ path: String, _ query: [(String, String)] = []) async throws -> (status: Int, body: String) {
        try await request(path + Self.encode(query, leading: "?"), method: .GET)
    }

    /// A client of this gateway's APIv1 with a new token of user `user`.
    func apiv1(user: String = "api") throws -> APIv1Client {
        APIv1Client(gateway: self, token: try createToken(user: user))
    }

    /// POST a form body to `path`.
    func post(_ path: String, form: [(String, String)]) async throws -> (status: Int, body: String) {
        try await request(path, method: .POST, body: Self.encode(form, leading: ""))
    }

    /// POST a form body already encoded.
    func post(_ path: String, body: String) async throws -> (status: Int, body: String) {
        try await request(path, method: .POST, body: body)
    }

    /// POST a JSON body to `path`, as JSON-RPC clients do.
    func post(_ path: String, json: String) async throws -> (status: Int, body: String) {
        try await request(path, method: .POST, body: json, contentType: "application/json")
    }

    /// A request with a bearer token, as the JSON APIs take it.
    func request(
        _ path: String,
        method: HTTPMethod,
        token: String?,
        body: String? = nil
    ) async throws -> (status: Int, body: String) {
        try await request(path, method: method, body: body, contentType: "application/json", token: token)
    }

    /// The port the HTTP API listens on.
    var port: Int { Int(baseURL.split(separator: ":").last ?? "") ?? 0 }

    /// A request with headers of the caller's choosing.
    func request(
        _ path: String,
        method: HTTPMethod,
        headers: [String: String]
    ) async throws -> (status: Int, body: String) {
        try await request(path, method: method, headers: headers, token: nil)
    }

    private func request(
        _ path: String,
        method: HTTPMethod,
        body: String? = nil,
        contentType: String = "application/x-www-form-urlencoded",
        headers: [String: String] = [:],
        token: String? = nil
    ) async throws -> (
        status: Int, body: String
    ) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let token { request.headers.add(name: "Authorization", value: "Bearer " + token) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return (Int(response.status.code), String(buffer: bytes))
    }

    static func encode(_ pairs: [(String, String)], leading: String) -> String {
        guard !pairs.isEmpty else { return "" }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        return leading
            + pairs.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
    }

    /// What the simulated network received, as `swiftlet sim received --json` prints it.
    func simulatorReceived() throws -> [[String: Any]] {
        let result = try Self.run(["sim", "received", "--json", "--url", baseURL])
        guard result.status == 0, let data = result.stdout.data(using: .utf8),
            let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else { throw TestFailure("sim received failed: \(result.stderr)") }
        return list
    }
}

/// Calls APIv1 methods by HTTP GET with one access token: `try await api("get_modem_state", [("modem_no", "1")])`
/// is the answer's body.
struct APIv1Client {
    let gateway: GatewayProcess
    let token: String

    func callAsFunction(_ method: String, _ parameters: [(String, String)] = []) async throws -> String {
        try await gateway.get("/http_api/\(method)", [("access_token", token)] + parameters).body
    }
}
