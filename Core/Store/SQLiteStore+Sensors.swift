import Foundation
import GRDB
import SwiftletDomain

extension SQLiteStore: SensorHistory {
    public func recordSensorReadings(_ readings: [SensorReading], units: [String: String]) async throws {
        guard !readings.isEmpty else { return }
        try await write { db in
            for (sensor, unit) in units {
                try db.execute(
                    sql:
                        "INSERT INTO sensor (name, unit) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET unit = excluded.unit",
                    arguments: [sensor, unit]
                )
            }
            for reading in readings {
                try db.execute(
                    sql: "INSERT INTO sensor (name) VALUES (?) ON CONFLICT (name) DO NOTHING",
                    arguments: [reading.sensor]
                )
                try db.execute(
                    sql: """
                        INSERT INTO sensor_reading (sensor, at, value) VALUES (?, ?, ?)
                        ON CONFLICT (sensor, at) DO UPDATE SET value = excluded.value
                        """,
                    arguments: [reading.sensor, reading.at.storeValue, reading.value]
                )
            }
        }
    }

    public func sensorHistory(_ sensor: String, from: Date, to: Date) async throws -> [SensorReading] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT at, value FROM sensor_reading WHERE sensor = ? AND at >= ? AND at <= ? ORDER BY at",
                arguments: [sensor, from.storeValue, to.storeValue]
            )
            .map { SensorReading(sensor: sensor, at: Date(storeValue: $0["at"]), value: $0["value"]) }
        }
    }

    public func latestSensorReadings() async throws -> [SensorSummary] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.name, s.unit, r.at, r.value FROM sensor s
                    JOIN sensor_reading r ON r.sensor = s.name
                    AND r.at = (SELECT MAX(at) FROM sensor_reading WHERE sensor = s.name)
                    ORDER BY s.name
                    """
            )
            .map {
                SensorSummary(sensor: $0["name"], unit: $0["unit"], value: $0["value"], at: Date(storeValue: $0["at"]))
            }
        }
    }

    public func compactSensorReadings(rawBefore: Date, bucket: TimeInterval, deleteBefore: Date) async throws -> Int {
        // Only whole spans: the cut-off goes down to a span's start, so no span is averaged in two parts.
        let cutoff = (rawBefore.storeValue / bucket).rounded(.down) * bucket
        return try await write { db in
            // Each span's average takes the span's start as its time.
            let spans = try Row.fetchAll(
                db,
                sql: """
                    SELECT sensor, CAST(at / ? AS INTEGER) * ? AS span, AVG(value) AS value FROM sensor_reading
                    WHERE averaged = 0 AND at < ? GROUP BY sensor, span
                    """,
                arguments: [bucket, bucket, cutoff]
            )
            try db.execute(sql: "DELETE FROM sensor_reading WHERE averaged = 0 AND at < ?", arguments: [cutoff])
            var removed = db.changesCount - spans.count
            for span in spans {
                try db.execute(
                    sql: """
                        INSERT INTO sensor_reading (sensor, at, value, averaged) VALUES (?, ?, ?, 1)
                        ON CONFLICT (sensor, at) DO UPDATE SET value = excluded.value, averaged = 1
                        """,
                    arguments: [span["sensor"] as String, span["span"] as Double, span["value"] as Double]
                )
            }
            try db.execute(sql: "DELETE FROM sensor_reading WHERE at < ?", arguments: [deleteBefore.storeValue])
            removed += db.changesCount
            return removed
        }
    }
}
