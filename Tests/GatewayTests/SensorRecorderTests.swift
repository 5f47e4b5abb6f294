import Foundation
import SwiftletDomain
import SwiftletEvents
import Testing

@testable import SwiftletGateway

@Suite("Sensor history: what the recorder takes")
struct SensorRecorderTests {
    @Test("gauges labelled sensor, with the unit their name ends in; counters and unlabelled gauges are not readings")
    func readings() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let samples = [
            MetricSample(name: "temperature_celsius", type: .gauge, labels: ["sensor": "Temp1"], value: 21.5),
            MetricSample(name: "humidity_percent", type: .gauge, labels: ["sensor": "Humidity"], value: 48),
            MetricSample(name: "flow", type: .gauge, labels: ["sensor": "Pump"], value: 3),
            MetricSample(name: "reads_total", type: .counter, labels: ["sensor": "Temp1"], value: 7),
            MetricSample(name: "queue_depth", type: .gauge, value: 9),
        ]
        let (readings, units) = SensorRecorder.readings(samples, at: now)
        #expect(readings.map(\.sensor) == ["Temp1", "Humidity", "Pump"] && readings.allSatisfy { $0.at == now })
        #expect(units == ["Temp1": "°C", "Humidity": "%", "Pump": ""])
    }

    @Test("a gauge no longer reported keeps its value but is not among those reported since")
    func freshness() throws {
        let metrics = MetricsRegistry()
        let sample = MetricSample(name: "temperature_celsius", type: .gauge, labels: ["sensor": "Temp1"], value: 21.5)
        try metrics.record(sample, owner: "sensors")
        let later = Date().addingTimeInterval(0.001)
        Thread.sleep(forTimeInterval: 0.01)
        #expect(metrics.samples(reportedSince: later).isEmpty)
        #expect(metrics.samples.count == 1)
        try metrics.record(sample, owner: "sensors")
        #expect(metrics.samples(reportedSince: later).count == 1)
    }
}
