import ArgumentParser
import SwiftletGateway
import SwiftletModem
import SwiftletPluginHost
import SwiftletRules

struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with configuration files.",
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a configuration file without starting the gateway.",
            discussion: "Prints what the file configures, or the file, line, key and reason of the first problem."
        )

        @Argument(help: "The YAML file.")
        var file: String

        func run() throws {
            do {
                let configuration = try ConfigurationLoader.load(file: file)
                let modems =
                    configuration.modems.isEmpty
                    ? "no modem (a simulated one will be used)"
                    : configuration.modems.map { "\($0.name) on \($0.device)" }.joined(separator: ", ")
                print("\(file): OK")
                print("  data: \(configuration.dataDirectory)")
                print("  http: \(configuration.http.host):\(configuration.http.port)")
                print("  modems: \(modems)")
                let (plugins, refused) = try configuration.preparePlugins()
                let enabled =
                    plugins.map { "\($0.manifest.id) \($0.manifest.version)" }
                    + refused.map { "\($0.id) (cannot be loaded: \($0.reason))" }
                print("  plugins: \(enabled.isEmpty ? "none enabled" : enabled.joined(separator: ", "))")
                let rules = configuration.rules.map { $0.name + ($0.enabled ? "" : " (disabled)") }
                print("  rules: \(rules.isEmpty ? "none" : rules.joined(separator: ", "))")
            } catch let error as ConfigurationError {
                throw CommandFailure(error.description)
            }
        }
    }
}
