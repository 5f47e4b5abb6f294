import Foundation

/// One reading of a sensor (a gauge a plugin reports with the label `sensor`), or the average of a
/// span of them once compacted.
public struct SensorReading: Sendable, Equatable {
    public var sensor: String
    public var at: Date
    public var value: Double

    public init(sensor: String, at: Date, value: Double) {
        self.sensor = sensor
        self.at = at
        self.value = value
    }
}

/// A sensor's last recorded reading and unit.
public struct SensorSummary: Sendable, Equatable {
    public var sensor: String
    public var unit: String
    public var value: Double
    public var at: Date

    public init(sensor: String, unit: String, value: Double, at: Date) {
        self.sensor = sensor
        self.unit = unit
        self.value = value
        self.at = at
    }
}

/// Sensors' readings kept durably: at the recorder's resolution for a while, then as averages of
/// longer spans, then gone, so the history stays bounded however long the gateway runs.
public protocol SensorHistory: Sendable {
    /// Keeps `readings`; `units` by sensor (`°C`, `%`).
    func recordSensorReadings(_ readings: [SensorReading], units: [String: String]) async throws
    /// The readings of `sensor` from `from` to `to`, oldest first.
    func sensorHistory(_ sensor: String, from: Date, to: Date) async throws -> [SensorReading]
    /// Each sensor's last reading, by name.
    func latestSensorReadings() async throws -> [SensorSummary]
    /// Replaces readings older than `rawBefore` by their average per `bucket`, and removes what is
    /// older than `deleteBefore`. Returns how many rows went.
    func compactSensorReadings(rawBefore: Date, bucket: TimeInterval, deleteBefore: Date) async throws -> Int
}

extension SensorReading {
    /// Readings as CSV, the one format of every export: a `time,value` header, then a line each,
    /// times in ISO 8601 (UTC), oldest first.
    public static func csv(_ readings: [SensorReading]) -> String {
        let formatter = ISO8601DateFormatter()
        return "time,value\n" + readings.map { "\(formatter.string(from: $0.at)),\($0.value)\n" }.joined()
    }
}
