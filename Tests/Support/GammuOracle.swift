import Foundation

/// Gammu's SMS codec (python3-gammu, installed by `scripts/install-deps --test`), the independent
/// oracle the codec and `swiftlet pdu` are checked against. See `gammu_oracle.py` beside this file.
public enum GammuOracle {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("gammu_oracle.py").path

    /// Decodes PDUs (hex, with the SMSC field): one object per PDU with `type`, `number`, `text`,
    /// `coding`, `class`, `part`, `parts`, or `error`.
    public static func decode(_ pdus: [String]) async throws -> [[String: Any]] {
        try await run("decode", pdus)
    }

    /// Encodes texts: the SMS-SUBMIT PDUs of each.
    public static func encode(_ messages: [(number: String, text: String, unicode: Bool)]) async throws -> [[String]] {
        let lines = try messages.map { message in
            let object: [String: Any] = ["number": message.number, "text": message.text, "unicode": message.unicode]
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        return try await run("encode", lines).map { $0["pdus"] as? [String] ?? [] }
    }

    /// The alphabet Gammu chooses for each text by itself (`Default_No_Compression` or
    /// `Unicode_No_Compression`) and the number of SMS it takes.
    public static func split(_ texts: [String]) async throws -> [(coding: String, parts: Int)] {
        let lines = try texts.map {
            String(decoding: try JSONSerialization.data(withJSONObject: $0, options: .fragmentsAllowed), as: UTF8.self)
        }
        return try await run("split", lines).map { ($0["coding"] as? String ?? "", $0["parts"] as? Int ?? 0) }
    }

    /// Runs the oracle on `lines` (on a thread of its own: see `onOwnThread`); one answer per line,
    /// or it throws: a missing `gammu` module, a crash or a short answer must fail the test, never
    /// leave it nothing to compare.
    private static func run(_ mode: String, _ lines: [String]) async throws -> [[String: Any]] {
        let answers = try await onOwnThread { try runBlocking(mode, lines).map(JSONText.init) }
        return answers.map(\.object)
    }

    /// An answer as text, to cross from the oracle's thread (a dictionary of `Any` is not Sendable).
    private struct JSONText: Sendable {
        let text: String
        var object: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        }
    }

    private static func runBlocking(_ mode: String, _ lines: [String]) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, mode]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("Gammu's oracle (\(mode)) exited with \(process.terminationStatus): \(stderr)")
        }
        let answers = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        guard answers.count == lines.count else {
            throw TestFailure("Gammu's oracle (\(mode)) answered \(answers.count) of \(lines.count) lines: \(stderr)")
        }
        for answer in answers
        where (try? JSONSerialization.jsonObject(with: Data(answer.utf8))) as? [String: Any] == nil {
            throw TestFailure("Gammu's oracle (\(mode)) answered a line that is not a JSON object: \(answer)")
        }
        return answers
    }
}
