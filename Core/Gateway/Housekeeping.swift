import Foundation
import Logging
import ServiceLifecycle
import SwiftletDomain

/// Periodic upkeep of the store: concatenated messages whose missing parts never came are put into
/// the inbox after `multipartTimeout`, so an incomplete set cannot wait (or grow) without end.
struct Housekeeping: Service {
    let inbox: any InboxWriter
    let multipartTimeout: Duration
    let logger: Logger

    func run() async throws {
        let interval = min(multipartTimeout, .seconds(60))
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let ids = try await inbox.deliverIncomplete(
                        receivedBefore: Date().addingTimeInterval(-multipartTimeout.seconds)
                    )
                    for id in ids {
                        logger.warning(
                            "message \(id) went to the inbox incomplete: parts were missing after \(multipartTimeout)",
                            metadata: ["message.id": "\(id)"]
                        )
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("cannot deliver incomplete messages: \(error)")
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
