import ArgumentParser
import SwiftletGateway
import SwiftletStore

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage API access tokens.",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an access token and print it.",
            discussion: """
                Creates the API user if it does not exist (allowed every APIv1 method) and adds a new \
                token to it. Only the token is printed, so it can be captured: TOKEN=$(swiftlet token create). \
                The gateway stores only a hash of it: keep it safe, it cannot be shown again.
                """
        )

        @OptionGroup var data: DataOptions

        @Option(help: "The API user the token belongs to.")
        var user = "api"

        func run() async throws {
            let configuration = try data.load()
            let store = try SQLiteStore(directory: configuration.dataDirectory, synchronous: configuration.synchronous)
            print(try await store.createAccessToken(user: user))
        }
    }
}

struct User: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage API users.",
        subcommands: [SetPassword.self]
    )

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password",
            abstract: "Set an API user's password for APIv1 login/pass authentication.",
            discussion: "Reads the password from the first line of standard input, so it stays out of the process list."
        )

        @OptionGroup var data: DataOptions

        @Argument(help: "The API user (created if it does not exist).")
        var user: String

        func run() async throws {
            guard let password = readLine(strippingNewline: true), !password.isEmpty else {
                throw ValidationError("no password on standard input")
            }
            let configuration = try data.load()
            let store = try SQLiteStore(directory: configuration.dataDirectory, synchronous: configuration.synchronous)
            try await store.setPassword(user: user, password: password)
            print("password set for \(user)")
        }
    }
}
