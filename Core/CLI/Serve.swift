import ArgumentParser
import Logging
import SwiftletGateway

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway.",
        discussion: """
            Runs until SIGTERM or SIGINT. Without a configuration file every setting has its default; \
            with no modem configured, a simulated modem is started and the log says how to send a first SMS.
            """
    )

    @OptionGroup var data: DataOptions

    @Option(
        name: .long,
        help: ArgumentHelp("Address for the HTTP APIs (port 0 picks a free port).", valueName: "host:port")
    )
    var http: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    func run() async throws {
        var configuration = try data.load()
        if let http {
            guard let (host, port) = ConfigurationLoader.hostPort(http) else {
                throw ValidationError("--http: '\(http)' is not HOST:PORT (e.g. 127.0.0.1:8080)")
            }
            configuration.http.host = host
            configuration.http.port = port
        }
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw ValidationError("--log-level: '\(logLevel)' is not a log level")
            }
            configuration.logLevel = level
        }
        CommandLineTools.bootstrapLogging(level: configuration.logLevel)
        let logger = Logger(label: "swiftlet")
        do {
            try await Gateway.run(configuration: configuration, executable: CommandLineTools.executable, logger: logger)
        } catch {
            logger.critical("cannot run the gateway: \(error)")
            throw ExitCode.failure
        }
    }
}
