import ArgumentParser
import SwiftletDomain
import SwiftletGateway
import SwiftletPluginHost
import SwiftletStore

struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Queue a text-to-speech call (to test the voice plugin).",
        discussion: """
            Queues the call as APIv2 calls/tts does and prints 'OK; ID=…' per recipient once it is \
            on disk. A running gateway with the voice plugin enabled places it within its sweep \
            interval; 'swiftlet folder sentitems' (or APIv2 calls/done) then says how it ended. \
            Refused when the configuration enables no plugin that places calls.
            """
    )

    @OptionGroup var data: DataOptions

    @Option(help: "Number to call; repeat, or separate with commas, for several.")
    var to: [String]

    @Option(help: "What the call says.")
    var text: String

    @Option(help: "How long the call lasts once answered, in seconds (1-600); the text is repeated to fill it.")
    var duration = 30

    @Option(help: "A voice model's number (the voice plugin's voices; 1-7: en, sv, de, pl, no, da, fi).")
    var voice: Int?

    @Option(help: "Priority from 0 (normal) to 9 (highest).")
    var priority = 0

    func run() async throws {
        let configuration = try data.load()
        let placesCalls = try configuration.preparePlugins().ready.contains {
            $0.manifest.capabilities.contains(.voice)
        }
        let store = try SQLiteStore(directory: configuration.dataDirectory, synchronous: configuration.synchronous)
        do {
            let outbox = Outbox(
                store: store,
                modemCount: max(1, configuration.modems.count),
                voiceReady: { placesCalls }
            )
            let ids = try await outbox.call(
                to.flatMap { $0.split(separator: ",").map(String.init) },
                VoiceCall(text: text, seconds: duration, voice: voice),
                priority: priority,
                createdBy: "cli"
            )
            for id in ids { print("OK; ID=\(id)") }
        } catch let error as SwiftletError {
            throw ValidationError(error.detail)
        }
    }
}
