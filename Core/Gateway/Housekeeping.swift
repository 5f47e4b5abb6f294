import Foundation
import Logging
import ServiceLifecycle
import SwiftletDomain

/// Periodic upkeep of the store: concatenated messages whose missing parts never came are put into
/// the inbox after `multipartTimeout`, so an incomplete set cannot wait (or grow) without end; the
/// event log keeps `eventRetention` (what webhooks still have to deliver stays).
struct Housekeeping: Service {
    let inbox: any InboxWriter
    let multipartTimeout: Duration
    var events: (any EventLog)? = nil
    var eventRetention: Duration = .seconds(30 * 86400)
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
                            "a message went to the inbox incomplete: parts were missing",
                            metadata: ["message.id": "\(id)", "waited": "\(multipartTimeout)"]
                        )
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("cannot deliver incomplete messages", metadata: ["error": "\(error)"])
                }
                do {
                    if let events,
                        case let pruned = try await events.pruneEvents(
                            before: Date().addingTimeInterval(-eventRetention.seconds)
                        ), pruned > 0
                    {
                        logger.info(
                            "event log pruned",
                            metadata: ["removed": "\(pruned)", "older_than": "\(eventRetention)"]
                        )
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("cannot prune the event log", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
