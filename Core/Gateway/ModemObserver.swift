import Foundation
import Logging
import SMSCodec
import SwiftletDomain
import SwiftletEvents
import SwiftletModem

/// What the gateway does when one modem reports something: a received message goes to the inbox
/// (and so to rules and plugins), a status report to its sent message, a change of state wakes the
/// dispatcher and becomes a `modem.status` event, a ringing phone a `call.incoming` event.
struct ModemObserver: Sendable {
    /// The modem's name and its `modem_no` (1…N).
    let modem: String
    let number: Int
    let inbox: PublishingInbox
    let queue: any OutboxQueue
    let events: EventBus
    let wakeup: Wakeup
    let logger: Logger

    /// Returns once the message (or the part) is committed: only then may the modem delete it.
    func received(_ sms: ReceivedSMS) async throws {
        let part = sms.concatenation.map {
            MessagePart(reference: $0.reference, total: $0.total, sequence: $0.sequence)
        }
        let id = try await inbox.store(
            NewIncomingMessage(
                sender: sms.sender,
                text: sms.text,
                sentAt: Date(timeIntervalSince1970: TimeInterval(sms.sentAt.secondsSince1970)),
                serviceCentre: sms.serviceCentre,
                unicode: sms.unicode,
                modem: modem,
                part: part
            )
        )
        if let id {
            logger.info(
                "received message",
                metadata: ["modem": "\(modem)", "message.id": "\(id)", "from": "\(sms.sender)"]
            )
        } else if let part {
            logger.info(
                "received a part; waiting for the rest",
                metadata: [
                    "modem": "\(modem)", "part": "\(part.sequence)", "of": "\(part.total)", "from": "\(sms.sender)",
                ]
            )
        }
    }

    func deliveryReport(_ report: StatusReportPDU) async throws {
        let recorded = try await queue.recordDeliveryReport(
            DeliveryReport(
                modem: modem,
                reference: report.messageReference,
                recipient: report.recipient.description,
                status: Int(report.status),
                at: Date(timeIntervalSince1970: TimeInterval(report.dischargeTime.secondsSince1970))
            )
        )
        guard let (id, delivery) = recorded else {
            logger.notice(
                "a status report matches no sent message",
                metadata: [
                    "modem": "\(modem)", "reference": "\(report.messageReference)", "to": "\(report.recipient)",
                ]
            )
            return
        }

        if delivery != .pending {
            events.publish(
                kind: MessageStatusEvent.kind,
                body: MessageStatusEvent(
                    id: Int(id),
                    to: report.recipient.description,
                    status: delivery == .delivered ? .delivered : .undelivered,
                    at: Date(),
                    modem: modem
                )
            )
        }
        logger.info(
            "status report",
            metadata: [
                "modem": "\(modem)", "message.id": "\(id)",
                "delivery":
                    "\(delivery == .delivered ? "delivered" : delivery == .failed ? "not delivered" : "pending")",
                "status": "0x\(String(report.status, radix: 16))",
            ]
        )
    }

    func stateChanged(_ state: ModemState) {
        wakeup.signalSoon()
        let (name, detail): (ModemStatusEvent.State, String) =
            switch state {
            case .ready: (.ready, "")
            case .connecting: (.connecting, "")
            case .down(let reason): (.down, reason)
            case .disabled: (.down, "disabled by the admin")
            }
        events.publish(
            kind: ModemStatusEvent.kind,
            body: ModemStatusEvent(modem: modem, modemNo: number, state: name, detail: detail)
        )
    }

    func incomingCall(from caller: String) {
        let event: [String: String] = [
            "from": caller, "modem": modem, "at": ISO8601DateFormatter().string(from: Date()),
        ]
        if let json = try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]) {
            events.publish(kind: "call.incoming", json: json)
        }
    }
}
