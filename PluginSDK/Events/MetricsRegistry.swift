import Foundation
import Synchronization

/// The gateway's counters and gauges by name and labels: what plugins report (ABI 1.4
/// `report_metric`), read by the status snapshot and the metrics endpoint.
public final class MetricsRegistry: Sendable {
    /// Most series one owner (a plugin) may have.
    public static let maximumSeriesPerOwner = 1000
    public static let maximumLabels = 10
    /// Longest label value and help text, in bytes.
    public static let maximumText = 256

    private struct Series {
        var owner: String
        var sample: MetricSample
        /// When it was last reported: a gauge that is no longer reported (a sensor without a reading)
        /// keeps its value, but not its freshness.
        var updated: Date
    }

    private let series = Mutex<[String: Series]>([:])

    public init() {}

    /// Adds to a counter or sets a gauge of `owner`. Throws a text for the reporter when the sample
    /// is malformed, changes a series' type, or the owner has too many series.
    public func record(_ sample: MetricSample, owner: String) throws(MetricError) {
        let labels = sample.labels ?? [:]
        guard labels.count <= Self.maximumLabels else {
            throw MetricError("at most \(Self.maximumLabels) labels")
        }
        for name in labels.keys where !Self.isName(name, maximumLength: 64) {
            throw MetricError("label '\(name)': a-z, 0-9 and _, not starting with a digit")
        }
        for value in labels.values where value.utf8.count > Self.maximumText {
            throw MetricError("a label value is longer than \(Self.maximumText) bytes")
        }
        guard (sample.help?.utf8.count ?? 0) <= Self.maximumText else {
            throw MetricError("help: longer than \(Self.maximumText) bytes")
        }
        guard sample.value.isFinite else { throw MetricError("value: not a finite number") }
        guard sample.type == .gauge || sample.value >= 0 else {
            throw MetricError("value: a counter only goes up (add a value >= 0)")
        }
        let key =
            sample.name + "{"
            + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            .joined(separator: ",") + "}"
        try series.withLock { (series: inout [String: Series]) throws(MetricError) in
            if var existing = series[key] {
                guard existing.owner == owner else { throw MetricError("\(sample.name): another reporter's metric") }
                guard existing.sample.type == sample.type else {
                    throw MetricError("\(sample.name): was reported as a \(existing.sample.type.rawValue)")
                }
                existing.sample.value = sample.type == .counter ? existing.sample.value + sample.value : sample.value
                if let help = sample.help { existing.sample.help = help }
                existing.updated = Date()
                series[key] = existing
                return
            }
            guard series.values.count(where: { $0.owner == owner }) < Self.maximumSeriesPerOwner else {
                throw MetricError("more than \(Self.maximumSeriesPerOwner) series")
            }
            series[key] = Series(owner: owner, sample: sample, updated: Date())
        }
    }

    /// Every series, sorted by name then labels.
    public var samples: [MetricSample] {
        series.withLock { series in
            series.sorted { $0.key < $1.key }.map(\.value.sample)
        }
    }

    /// The series reported at or after `date`, sorted by name then labels.
    public func samples(reportedSince date: Date) -> [MetricSample] {
        series.withLock { series in
            series.sorted { $0.key < $1.key }.filter { $0.value.updated >= date }.map(\.value.sample)
        }
    }

    /// Whether `text` is a metric or label name: a-z, 0-9 and _, not starting with a digit.
    public static func isName(_ text: String, maximumLength: Int) -> Bool {
        guard let first = text.utf8.first, text.utf8.count <= maximumLength, !(0x30...0x39).contains(first) else {
            return false
        }
        return text.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
    }
}

/// Why a metric was refused.
public struct MetricError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
