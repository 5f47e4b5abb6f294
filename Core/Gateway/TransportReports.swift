import Foundation
import Logging
import SwiftletDomain
import SwiftletEvents
import SwiftletPluginHost

/// Transports' status reports (ABI 1.5 `report_delivery`): a plugin may report only on messages
/// sent through the transports it registered; each change is stored, published as `sms.status`
/// (as a modem's status report is) and logged.
struct TransportReports: Sendable {
    let ledger: any TransportLedger
    let providers: ProviderRegistry
    let events: EventBus
    let logger: Logger

    func record(_ report: TransportReport, plugin: String) async throws -> TransportReport.Outcome? {
        let senders = providers.providers(.transport).filter { $0.plugin == plugin }
            .map { Dispatcher.senderName(transport: $0.name) }
        guard let outcome = try await ledger.recordTransportReport(report, senders: senders) else {
            logger.notice(
                "a transport's status report matches no message it sent",
                metadata: ["plugin": "\(plugin)", "message.id": "\(report.id)", "status": "\(report.status)"]
            )
            return nil
        }
        guard outcome.changed else { return outcome }
        let status: MessageStatusEvent.Status =
            switch report.status {
            case .delivered: .delivered
            case .failed: .undelivered
            case .sent: .sent
            }
        events.publish(
            kind: MessageStatusEvent.kind,
            body: MessageStatusEvent(
                id: Int(outcome.id),
                to: outcome.recipient,
                status: status,
                at: report.at,
                modem: senders.count == 1 ? senders[0] : nil,
                error: report.status == .failed ? report.detail : nil
            )
        )
        logger.info(
            "transport status report",
            metadata: [
                "plugin": "\(plugin)", "message.id": "\(outcome.id)", "status": "\(report.status)",
                "detail": "\(report.detail ?? "")",
            ]
        )
        return outcome
    }
}
