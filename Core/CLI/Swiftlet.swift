import ArgumentParser
import SwiftletEvents
import SwiftletPluginHost

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
        version: Swiftlet.versionText,
        subcommands: [
            Serve.self, StatusCommand.self, Token.self, User.self, Permissions.self, FolderCommand.self, Send.self,
            CallCommand.self,
            Simulator.self,
            Config.self,
            Plugins.self, PDU.self,
        ]
    )

    /// `swiftlet --version`: the gateway, the Swift it was built with and its toolchain's commit (a
    /// Swift plugin must be built with the same toolchain: Swift has no stable ABI on Linux, and the
    /// loader refuses one it can tell was not), and the plugin ABI it speaks.
    static var versionText: String {
        let toolchain = SwiftToolchain.gatewayCommit.map { ", toolchain \($0)" } ?? ""
        return "swiftlet \(SwiftletVersion.text) (built with Swift \(swiftVersion)\(toolchain); plugin ABI "
            + "\(ABIVersion.format(ABIVersion.supported.lowerBound))–\(ABIVersion.format(ABIVersion.supported.upperBound)))"
    }

    /// The compiler's language version, as far as the compiler lets code tell (major.minor).
    static var swiftVersion: String {
        #if compiler(>=6.5)
        "6.5 or newer"
        #elseif compiler(>=6.4)
        "6.4"
        #elseif compiler(>=6.3)
        "6.3"
        #elseif compiler(>=6.2)
        "6.2"
        #else
        "older than 6.2"
        #endif
    }
}
