import Foundation
import Testing

@testable import SwiftletPluginHost

/// A Swift plugin built with another toolchain than the gateway's is refused before loading, when
/// the files can tell (issue 32). No second toolchain is installed here, so the library of another
/// one is made the way it would differ: its `.comment` (from the toolchain's `swiftrt.o`) names
/// another clang commit, written with binutils' objcopy.
@Suite("plugin loader: the Swift toolchain a plugin was built with")
struct ToolchainTests {
    static let otherToolchain =
        "clang version 19.0.0 (https://github.com/swiftlang/llvm-project.git 0123456789abcdef0123456789abcdef01234567)"

    /// The repository's keywords plugin (Swift) copied into `directory`, with its manifest.
    func addKeywords(_ directory: PluginDirectory) throws -> String {
        let manifest = Fixtures.packageRoot + "/Plugins/Keywords/keywords.plugin.json"
        let decoded = try JSONDecoder().decode(
            PluginManifest.self,
            from: Data(contentsOf: URL(fileURLWithPath: manifest))
        )
        try FileManager.default.copyItem(atPath: manifest, toPath: directory.path + "/keywords.plugin.json")
        let library = directory.path + "/" + decoded.library
        try FileManager.default.copyItem(atPath: Fixtures.buildDirectory + "/" + decoded.library, toPath: library)
        return library
    }

    /// Replaces the library's `.comment` with `entries` (none: removed, as `dh_strip` does).
    func setComment(_ library: String, _ entries: [String]) async throws {
        var arguments = ["--remove-section=.comment"]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("comment-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        if !entries.isEmpty {
            try Data(entries.map { Array($0.utf8) + [0] }.joined()).write(to: URL(fileURLWithPath: file))
            arguments = ["--update-section", ".comment=" + file]
        }
        let result = try await Fixtures.run("/usr/bin/objcopy", arguments + [library])
        try #require(result.status == 0, "objcopy: \(result.output)")
    }

    func problem(_ directory: PluginDirectory, _ id: String) throws -> String? {
        let entry = try #require(
            try PluginCatalog(directory: directory.path, allowedDigests: []).scan().first { $0.id == id }
        )
        return entry.problem
    }

    @Test("the gateway knows its own toolchain, and the repository's Swift plugins carry the same mark")
    func sameToolchainLoads() async throws {
        #expect(!SwiftToolchain.gateway.isEmpty, "the test runner's .comment names no Swift toolchain")
        #expect(SwiftToolchain.gateway.allSatisfy { $0.contains("/llvm-project.git ") })
        let directory = try PluginDirectory()
        let library = try addKeywords(directory)
        let readelf = try await Fixtures.run("/usr/bin/readelf", ["-p", ".comment", library]).output
        for mark in SwiftToolchain.gateway { #expect(readelf.contains(mark), "\(readelf)") }
        #expect(try problem(directory, "keywords") == nil)
    }

    @Test(
        "a Swift library marked by another toolchain is refused with both marks and the way out; the loader checks too"
    )
    func otherToolchainIsRefused() async throws {
        let directory = try PluginDirectory()
        let library = try addKeywords(directory)
        try await setComment(library, ["GCC: (Debian 12.2.0-14+deb12u1) 12.2.0", Self.otherToolchain])
        let problem = try #require(try problem(directory, "keywords"))
        #expect(
            problem.hasPrefix("library libSwiftletKeywords.so was built with another Swift toolchain than this gateway")
        )
        #expect(problem.contains(Self.otherToolchain))
        #expect(SwiftToolchain.gateway.allSatisfy { problem.contains($0) })
        #expect(problem.contains("swiftlet --version"))

        var entry = try #require(try PluginCatalog(directory: directory.path, allowedDigests: []).scan().first)
        entry.problem = nil
        let refused = #expect(throws: PluginLibrary.LoadError.self) {
            try PluginLibrary.load(entry, allowedDigests: [])
        }
        #expect(refused?.description == problem)
    }

    @Test("where nothing can be told the library loads: .comment stripped, or a C library whatever clang built it")
    func nothingToTell() async throws {
        let directory = try PluginDirectory()
        let library = try addKeywords(directory)
        try await setComment(library, [])
        #expect(
            try await Fixtures.run("/usr/bin/readelf", ["-p", ".comment", library]).output.contains("llvm") == false
        )
        #expect(try problem(directory, "keywords") == nil)

        try await directory.addFixture(id: "cplugin")
        try await setComment(directory.path + "/libcplugin.so", [Self.otherToolchain])
        #expect(try problem(directory, "cplugin") == nil)
    }
}
