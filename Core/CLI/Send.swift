import ArgumentParser
import SwiftletDomain
import SwiftletGateway
import SwiftletStore

struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue an SMS.",
        discussion: """
            Queues through the same checks as the API and prints 'OK; ID=…' per recipient once the \
            message is on disk. A running gateway sends it within its sweep interval (2 s by default).
            """
    )

    @OptionGroup var data: DataOptions

    @Option(help: "Recipient number; repeat, or separate with commas, for several.")
    var to: [String]

    @Option(help: "Priority from 0 (normal) to 9 (highest).")
    var priority = 0

    @Flag(help: "Send as UCS-2 even if the text fits the GSM alphabet.")
    var unicode = false

    @Flag(help: "Send as a flash (class 0) message.")
    var flash = false

    @Argument(help: "The message text.")
    var text: String

    func run() async throws {
        let configuration = try data.load()
        let store = try SQLiteStore(directory: configuration.dataDirectory, synchronous: configuration.synchronous)
        let request = SendRequest(
            recipients: to.flatMap { $0.split(separator: ",").map(String.init) },
            text: text,
            options: SendOptions(priority: priority, unicode: unicode, flash: flash),
            createdBy: "cli"
        )
        do {
            let outbox = Outbox(store: store, modemCount: max(1, configuration.modems.count))
            for id in try await outbox.send(request) { print("OK; ID=\(id)") }
        } catch let error as SwiftletError {
            throw ValidationError(error.detail)
        }
    }
}
