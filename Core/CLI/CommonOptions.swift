import ArgumentParser
import Foundation
import Logging
import SwiftletDomain
import SwiftletGateway
import SwiftletStore

/// `--config` and `--data-dir`, shared by every command that touches the gateway's data.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file (YAML).", valueName: "file"))
    var config: String?

    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp("Data directory (overrides the configuration).", valueName: "dir")
    )
    var dataDirectory: String?

    /// The configuration file's settings (or the defaults) with the command-line overrides applied.
    func load() throws -> GatewayConfiguration {
        var configuration: GatewayConfiguration
        if let config {
            do {
                configuration = try ConfigurationLoader.load(file: config)
            } catch let error as ConfigurationError {
                throw CommandFailure(error.description)
            }
        } else {
            configuration = GatewayConfiguration()
        }
        if let dataDirectory { configuration.dataDirectory = dataDirectory }
        return configuration
    }

    /// The store of the configured data directory.
    func openStore() throws -> SQLiteStore {
        let configuration = try load()
        return try SQLiteStore(directory: configuration.dataDirectory, synchronous: configuration.synchronous)
    }
}

enum CommandLineTools {
    /// How to call this program again in a hint: an absolute path unless it was found on PATH.
    static var executable: String {
        let invoked = CommandLine.arguments.first ?? "swiftlet"
        guard invoked.contains("/") else { return invoked }
        let path = invoked.hasPrefix("/") ? invoked : FileManager.default.currentDirectoryPath + "/" + invoked
        return (path as NSString).standardizingPath
    }

    static func bootstrapLogging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// A command that ran and failed (as opposed to one given wrong arguments): the message is printed
/// without the usage text, and the exit status is 1.
struct CommandFailure: Error, CustomStringConvertible {
    /// Runs `body`; a domain error becomes a failure with its text (no stack of types for the admin).
    static func reporting<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as SwiftletError {
            throw CommandFailure(error.detail)
        }
    }

    let description: String
    init(_ description: String) { self.description = description }
}
