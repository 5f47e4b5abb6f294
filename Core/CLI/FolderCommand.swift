import ArgumentParser
import SwiftletDomain
import SwiftletStore

struct FolderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "folder",
        abstract: "Manage custom folders (SMSEagle's My Folders) for received messages.",
        discussion: "APIv1 reads a folder's messages with read_sms&custom=NAME; filed messages leave the inbox.",
        subcommands: [Add.self, List.self, File.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a custom folder.")

        @OptionGroup var data: DataOptions

        @Argument(help: "The folder's name.")
        var name: String

        func run() async throws {
            try await CommandFailure.reporting { try await data.openStore().createFolder(name) }
            print("folder \(name) created")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List custom folders and how many messages each holds."
        )

        @OptionGroup var data: DataOptions

        func run() async throws {
            let folders = try await data.openStore().folders()
            if folders.isEmpty { print("no custom folders") }
            for folder in folders { print("\(folder.name)\t\(folder.messages) message(s)") }
        }
    }

    struct File: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "File a received message in a custom folder (or back in the inbox)."
        )

        @OptionGroup var data: DataOptions

        @Argument(help: "The message's id, as read_sms shows it.")
        var id: Int64

        @Argument(help: "The folder; leave out to put the message back in the inbox.")
        var folder: String?

        func run() async throws {
            try await CommandFailure.reporting { try await data.openStore().file(message: id, in: folder) }
            print("message \(id) filed in \(folder ?? "the inbox")")
        }
    }
}
