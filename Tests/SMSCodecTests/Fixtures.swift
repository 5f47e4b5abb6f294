import Foundation

/// Where the shared test data and tools are, found from this file's path.
enum Fixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `../shared/corpus/gammu-at` beside the checkout (as CI lays it out), or `$SWIFTLET_CORPUS`.
    static var corpus: URL {
        if let path = ProcessInfo.processInfo.environment["SWIFTLET_CORPUS"] { return URL(fileURLWithPath: path) }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/gammu-at")
    }

    /// The PDUs of every `+CMGR`/`+CMGL` answer in the dump files of `folder`, with their file names.
    static func pdus(in folder: String) throws -> [(file: String, hex: String)] {
        let directory = corpus.appendingPathComponent(folder)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".dump") }
        var result: [(String, String)] = []
        for file in files.sorted() {
            let lines = try String(contentsOf: directory.appendingPathComponent(file), encoding: .isoLatin1)
                .components(separatedBy: .newlines)
            for (index, line) in lines.enumerated() where line.hasPrefix("+CMGR:") || line.hasPrefix("+CMGL:") {
                guard index + 1 < lines.count else { continue }
                result.append((file, lines[index + 1].trimmingCharacters(in: .whitespaces)))
            }
        }
        return result
    }

    /// Decodes PDUs with Gammu (python3-gammu): one JSON object per PDU.
    static func gammuDecode(_ pdus: [String]) throws -> [[String: Any]] {
        try gammu("decode", pdus)
    }

    /// Encodes texts with Gammu: the SMS-SUBMIT PDUs of each.
    static func gammuEncode(_ messages: [(number: String, text: String, unicode: Bool)]) throws -> [[String]] {
        let lines = try messages.map { message in
            let object: [String: Any] = ["number": message.number, "text": message.text, "unicode": message.unicode]
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        return try gammu("encode", lines).map { $0["pdus"] as? [String] ?? [] }
    }

    private static func gammu(_ mode: String, _ lines: [String]) throws -> [[String: Any]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [packageRoot.appendingPathComponent("Tests/SMSCodecTests/gammu_oracle.py").path, mode]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }
}
