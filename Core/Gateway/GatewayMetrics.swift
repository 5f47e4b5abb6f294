import Foundation
import Prometheus
import SwiftletEvents
import SwiftletSupport
import Synchronization

/// The gateway's Prometheus series: counters moved by what happens (messages queued, sent, failed,
/// delivered, received), the send latency, and at each scrape gauges refreshed from the status
/// snapshot; the plugins' own series (``MetricsRegistry``, ABI 1.4 `report_metric`) follow.
///
/// The series are kept in swift-prometheus's registry, which writes each with its `# HELP` line
/// (swift-metrics' API has no help text, and `promtool check metrics` refuses a series without one).
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let latency: DurationHistogram
    /// Modems and plugins seen at the last scrape: a gauge of one that is gone is removed.
    private let seen = Mutex<[String: [Gauge]]>([:])

    /// - Parameter modems: the modems' names, whose counters appear at 0 from the start (so that a
    ///   rate over the first messages is right).
    init(modems: [String]) {
        latency = registry.makeDurationHistogram(
            name: "swiftlet_send_latency_seconds",
            buckets: [
                .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
                .seconds(900), .seconds(3600),
            ],
            help: "Time from when a message was due (queued, its scheduled time, or its retry) to when it was sent."
        )
        for origin in ["apiv1", "apiv2", "pixie", "brevis", "web", "rule", "plugin"] { _ = queued(origin: origin) }
        for modem in modems {
            for status in MessageStatusEvent.Status.allCases { _ = outcome(status, modem: modem) }
            _ = received(modem: modem)
        }
    }

    // MARK: Counters

    /// `count` messages were queued; `createdBy` is the outbox's `createdBy` ("rule:…", "plugin:…",
    /// a user's name), `api` the HTTP API that took the request (``RequestOrigin``, e.g. "brevis.one
    /// API", counted as "brevis").
    func didQueue(_ count: Int, createdBy: String, api: String?) {
        let origin =
            if createdBy.hasPrefix("rule:") {
                "rule"
            } else if createdBy.hasPrefix("plugin:") {
                "plugin"
            } else if let api {
                String(api.lowercased().prefix { $0.isLetter || $0.isNumber })
            } else {
                "other"
            }
        queued(origin: origin).increment(by: Int64(count))
    }

    /// Counts what the gateway publishes: outgoing messages' outcomes and received messages.
    func subscribe(to events: EventBus) {
        // One subscriber, one delivery function for both kinds (the bus keeps the first one given).
        let deliver: EventBus.Deliver = { [self] kind, json in
            if kind == MessageStatusEvent.kind,
                let event = try? JSONCoding.decoder.decode(MessageStatusEvent.self, from: json)
            {
                outcome(event.status, modem: event.modem).increment()
            } else if kind == IncomingSMSEvent.kind,
                let event = try? JSONCoding.decoder.decode(IncomingSMSEvent.self, from: json)
            {
                received(modem: event.modem).increment()
            }
        }
        for kind in [MessageStatusEvent.kind, IncomingSMSEvent.kind] {
            events.subscribe("metrics", to: kind, deliver: deliver)
        }
    }

    /// A message the network accepted at `sentAt` had been due since `due` (queued, its scheduled
    /// time, or its retry time).
    func sent(due: Date, sentAt: Date) {
        latency.recordNanoseconds(Int64(max(0, sentAt.timeIntervalSince(due)) * 1e9))
    }

    /// A transport accepted a message of `parts` SMS parts for `cost` (in its upstream's currency).
    func charged(transport: String, parts: Int, cost: Double?) {
        registry.makeCounter(
            name: "swiftlet_transport_parts_total",
            labels: [("transport", transport)],
            help: "SMS parts transports (cloud relays) were billed for."
        ).increment(by: Int64(parts))
        guard let cost, cost > 0 else { return }
        registry.makeCounter(
            name: "swiftlet_transport_cost_total",
            labels: [("transport", transport)],
            help: "What transports' upstreams charged, in their currency."
        ).increment(by: cost)
    }

    private func queued(origin: String) -> Counter {
        registry.makeCounter(
            name: "swiftlet_messages_queued_total",
            labels: [("origin", origin)],
            help: "Messages queued, by where they came from (an API, a rule, a plugin)."
        )
    }

    private func outcome(_ status: MessageStatusEvent.Status, modem: String?) -> Counter {
        let (name, help) =
            switch status {
            case .sent: ("swiftlet_messages_sent_total", "Messages the network accepted, by modem or transport.")
            case .failed: ("swiftlet_messages_failed_total", "Messages that failed for good, by modem or transport.")
            case .delivered: ("swiftlet_messages_delivered_total", "Delivery reports saying delivered, by modem.")
            case .undelivered:
                ("swiftlet_messages_undelivered_total", "Delivery reports saying not delivered, by modem.")
            }
        return registry.makeCounter(name: name, labels: [("modem", modem ?? "unknown")], help: help)
    }

    private func received(modem: String) -> Counter {
        registry.makeCounter(
            name: "swiftlet_messages_received_total",
            labels: [("modem", modem)],
            help: "Messages received, by modem or channel."
        )
    }

    // MARK: Scrape

    /// The exposition text (format 0.0.4) for `snapshot`: the gauges set from it, every series of
    /// the registry, then the plugins' series whose names the gateway does not use itself.
    func exposition(_ snapshot: StatusSnapshot, started: Date) -> String {
        var gauges: [String: [Gauge]] = [:]
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: Double) {
            let gauge = registry.makeGauge(name: name, labels: labels, help: help)
            gauge.set(value)
            gauges[name + labels.map { "\($0.0)=\($0.1)" }.joined(separator: ","), default: []].append(gauge)
        }
        gauge("swiftlet_build_info", "The gateway's version.", [("version", snapshot.version)], 1)
        gauge(
            "swiftlet_start_time_seconds",
            "When the gateway started, in seconds since 1970.",
            [],
            started.timeIntervalSince1970
        )
        let queue = snapshot.queue
        for (state, count) in [
            ("queued", queue.queued), ("claimed", queue.claimed),
            ("submitting", queue.submitting), ("sent", queue.sent), ("failed", queue.failed),
        ] {
            gauge(
                "swiftlet_outgoing_messages",
                "Outgoing messages in the store, by state.",
                [("state", state)],
                Double(count)
            )
        }
        gauge(
            "swiftlet_queue_oldest_age_seconds",
            "How long the longest-waiting due message has waited.",
            [],
            Double(queue.oldestSeconds)
        )
        gauge("swiftlet_inbox_messages", "Messages in the inbox.", [], Double(snapshot.inbox))
        gauge(
            "swiftlet_webhook_deliveries_pending",
            "Webhook deliveries not yet made.",
            [],
            Double(snapshot.webhooksPending)
        )
        for modem in snapshot.modems {
            let labels = [("modem", modem.name)]
            gauge(
                "swiftlet_modem_up",
                "Whether the modem is ready to send (1) or not (0).",
                labels,
                modem.state == "ready" ? 1 : 0
            )
            if modem.signal >= 0 {
                gauge(
                    "swiftlet_modem_signal_percent",
                    "The modem's signal strength in percent.",
                    labels,
                    Double(modem.signal)
                )
            }
            for registration in ["home", "roaming", "searching", "denied", "unknown"] {
                gauge(
                    "swiftlet_modem_registration",
                    "The modem's network registration (1 for the current state).",
                    labels + [("state", registration)],
                    modem.registration == registration ? 1 : 0
                )
            }
        }
        for plugin in snapshot.plugins {
            for health in ["ok", "degraded", "down"] {
                gauge(
                    "swiftlet_plugin_health",
                    "A plugin's health (1 for the current state).",
                    [("plugin", plugin.id), ("state", health)],
                    plugin.health == health ? 1 : 0
                )
            }
        }
        // A modem or plugin that is gone takes its gauges with it.
        let gone = seen.withLock { seen in
            defer { seen = gauges }
            return seen.filter { gauges[$0.key] == nil }.flatMap(\.value)
        }
        for gauge in gone { registry.unregisterGauge(gauge) }

        var text = registry.emitToString()
        let taken = Set(
            text.split(separator: "\n").compactMap { line -> Substring? in
                line.hasPrefix("# TYPE ") ? line.dropFirst(7).prefix { $0 != " " } : nil
            }
        )
        text += Self.exposition(snapshot.metrics.filter { !taken.contains(Substring($0.name)) })
        return text
    }

    /// Plugins' samples in the exposition format, one `# HELP`/`# TYPE` per family (the samples come
    /// sorted by name).
    static func exposition(_ samples: [MetricSample]) -> String {
        var text = ""
        var family: String?
        for sample in samples {
            if sample.name != family {
                family = sample.name
                let help = sample.help ?? "Reported by a plugin."
                text += "# HELP \(sample.name) \(Self.escaped(help, quote: false))\n"
                text += "# TYPE \(sample.name) \(sample.type.rawValue)\n"
            }
            let labels = (sample.labels ?? [:]).sorted { $0.key < $1.key }
                .map { "\($0.key)=\"\(Self.escaped($0.value, quote: true))\"" }
            text += sample.name + (labels.isEmpty ? "" : "{\(labels.joined(separator: ","))}") + " \(sample.value)\n"
        }
        return text
    }

    /// Escapes a help text or label value as the exposition format wants: `\\`, `\n` and (in label
    /// values) `\"`.
    static func escaped(_ text: String, quote: Bool) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\"" where quote: escaped += "\\\""
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
