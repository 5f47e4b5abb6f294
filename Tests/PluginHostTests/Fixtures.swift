import Foundation
import TestSupport
import Testing

/// Builds plugins for the tests: C fixtures with gcc, and the repository's plugins as SwiftPM built them.
enum Fixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let include = packageRoot + "/PluginSDK/include"
    static let exports = packageRoot + "/PluginSDK/plugin.exports"
    static let testPlugin = packageRoot + "/Tests/PluginHostTests/Fixtures/test_plugin.c"
    /// The header as ABI 1.3 shipped it, for plugins built before 1.4.
    static let include13 = packageRoot + "/Tests/PluginHostTests/Fixtures/abi-1.3"
    /// The header as ABI 1.4 shipped it, for plugins built before 1.5.
    static let include14 = packageRoot + "/Tests/PluginHostTests/Fixtures/abi-1.4"

    /// The build directory of the test run (the repository's plugin libraries are there).
    static var buildDirectory: String { packageRoot + "/.build/debug" }

    /// Runs a command to its end on a thread of its own (`onOwnThread`): its status, and its output
    /// and errors together.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await onOwnThread { try runBlocking(executable, arguments) }
    }

    private static func runBlocking(
        _ executable: String,
        _ arguments: [String]
    ) throws -> (
        status: Int32, output: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// Compiles a C plugin as a plugin author would: C99, the header alone, the version script, -z nodelete.
    static func compile(
        _ source: String,
        to library: String,
        defines: [String] = [],
        include: String = include
    ) async throws {
        let result = try await run(
            "/usr/bin/gcc",
            [
                "-std=c99", "-Wall", "-Wextra", "-pedantic", "-shared", "-fPIC", "-I", include,
                "-Wl,--version-script=" + exports, "-Wl,-z,nodelete", "-o", library, source,
            ] + defines
        )
        try #require(result.status == 0, "gcc failed:\n\(result.output)")
    }
}

/// A fresh plugin directory (mode 755) in the temporary directory.
final class PluginDirectory {
    let path: String

    /// A fresh directory inside `parent` (default: the temporary directory).
    init(parent: String? = nil) throws {
        let parent = parent ?? FileManager.default.temporaryDirectory.path
        path = parent + "/swiftlet-plugins-\(UUID().uuidString)"
        try FileManager.default.createDirectory(
            atPath: path,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755]
        )
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func writeManifest(
        id: String,
        library: String,
        version: String = "1.0.0",
        abi: (String, String) = ("1.0", "1.0"),
        capabilities: [String] = ["send_sms"],
        configuration: String =
            #"{"type": "object", "properties": {"number": {"type": "string", "default": "+46700000001"}}}"#
    ) throws {
        let capabilityList = capabilities.map { "\"\($0)\"" }.joined(separator: ", ")
        let manifest = """
            {"id": "\(id)", "name": "Test \(id)", "version": "\(version)", "library": "\(library)",
             "abi": {"min": "\(abi.0)", "max": "\(abi.1)"}, "capabilities": [\(capabilityList)],
             "configuration": \(configuration)}
            """
        try manifest.write(toFile: path + "/\(id).plugin.json", atomically: true, encoding: .utf8)
    }

    /// The C fixture plugin, compiled with `defines`, with a manifest.
    func addFixture(
        id: String = "fixture",
        defines: [String] = [],
        binaryVersion: String = "1.0.0",
        capabilities: [String] = ["send_sms"],
        include: String = Fixtures.include
    ) async throws {
        let library = "lib\(id).so"
        try await Fixtures.compile(
            Fixtures.testPlugin,
            to: path + "/" + library,
            defines: ["-DPLUGIN_ID=\"\(id)\"", "-DPLUGIN_VERSION=\"\(binaryVersion)\""] + defines,
            include: include
        )
        try writeManifest(id: id, library: library, capabilities: capabilities)
    }

    func chmod(_ name: String, _ mode: Int) throws {
        try FileManager.default.setAttributes(
            [.posixPermissions: mode],
            ofItemAtPath: name.hasPrefix("/") ? name : path + "/" + name
        )
    }
}
