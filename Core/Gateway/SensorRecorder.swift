import Foundation
import Logging
import ServiceLifecycle
import SwiftletDomain
import SwiftletEvents

/// Keeps sensors' readings: every `resolution` it records each gauge a plugin reported with the label
/// `sensor` in that interval (the sensors plugin's, a Modbus bridge's — the same rule the SNMP plugin
/// and the metrics follow), and once an hour it averages what is older than `rawFor` into spans of `bucket` and
/// removes what is older than `keepFor`.
struct SensorRecorder: Service {
    let history: any SensorHistory
    let metrics: MetricsRegistry
    let settings: GatewayConfiguration.SensorHistorySettings
    let logger: Logger

    /// The unit a gauge's name ends in (`temperature_celsius`), as the pages show it.
    static func unit(ofMetric name: String) -> String {
        if name.hasSuffix("_celsius") { return "°C" }
        if name.hasSuffix("_percent") { return "%" }
        return ""
    }

    /// The readings of `samples` at `now`, with their units.
    static func readings(
        _ samples: [MetricSample],
        at now: Date
    ) -> (readings: [SensorReading], units: [String: String]) {
        var readings: [SensorReading] = []
        var units: [String: String] = [:]
        for sample in samples where sample.type == .gauge {
            guard let sensor = sample.labels?["sensor"] else { continue }
            readings.append(SensorReading(sensor: sensor, at: now, value: sample.value))
            units[sensor] = unit(ofMetric: sample.name)
        }
        return (readings, units)
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastCompaction = Date.distantPast
            while !Task.isCancelled {
                let since = Date()
                try? await Task.sleep(for: settings.resolution)
                let now = Date()
                // Only what was reported in this interval: a sensor without a reading leaves a gap,
                // not its last value over and over.
                let (readings, units) = Self.readings(metrics.samples(reportedSince: since), at: now)
                do {
                    try await history.recordSensorReadings(readings, units: units)
                } catch {
                    logger.error("cannot record sensor readings", metadata: ["error": "\(error)"])
                }
                guard now.timeIntervalSince(lastCompaction) >= 3600 else { continue }
                lastCompaction = now
                do {
                    let removed = try await history.compactSensorReadings(
                        rawBefore: now.addingTimeInterval(-settings.rawFor.seconds),
                        bucket: settings.bucket.seconds,
                        deleteBefore: now.addingTimeInterval(-settings.keepFor.seconds)
                    )
                    if removed > 0 { logger.info("sensor history compacted", metadata: ["rows": "\(removed)"]) }
                } catch {
                    logger.error("cannot compact the sensor history", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
