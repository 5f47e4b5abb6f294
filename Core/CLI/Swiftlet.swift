import ArgumentParser

@main
struct Swiftlet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftlet",
        abstract: "A self-hosted SMS gateway with SMSEagle-compatible APIs.",
        discussion: """
            Start with 'swiftlet serve': with no configuration it keeps its data in \
            /var/lib/swiftlet (root) or ~/.local/share/swiftlet, serves HTTP on 127.0.0.1:8080, and \
            uses a simulated modem until a real one is configured.
            """,
        subcommands: [
            Serve.self, Token.self, User.self, Permissions.self, FolderCommand.self, Send.self, Simulator.self,
            Config.self,
            Plugins.self, PDU.self,
        ]
    )
}
