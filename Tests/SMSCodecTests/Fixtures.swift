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
}
