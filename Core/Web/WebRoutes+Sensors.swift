import Foundation
import HTTPTypes
import Hummingbird
import SwiftletDomain

/// The sensors page: each sensor's last reading and its last 24 hours as a chart, with the history
/// as CSV (the same as `/swiftlet/v1/sensors/NAME/history?format=csv`).
extension WebRoutes {
    struct SensorRow: Sendable {
        var name: String
        var value: String
        var time: String
        var chart: String
        var csv: String
    }

    func sensorsPage(context: WebRequestContext) async throws -> Response {
        _ = try signedIn(context)
        let now = Date()
        var rows: [SensorRow] = []
        for sensor in try await gui.sensors?.latestSensorReadings() ?? [] {
            let day =
                try await gui.sensors?.sensorHistory(sensor.sensor, from: now.addingTimeInterval(-86400), to: now) ?? []
            rows.append(
                SensorRow(
                    name: sensor.sensor,
                    value: String(format: "%.1f", sensor.value) + (sensor.unit.isEmpty ? "" : " " + sensor.unit),
                    time: time(sensor.at),
                    chart: WebChart.line(
                        day.map { ($0.at, $0.value) },
                        from: now.addingTimeInterval(-86400),
                        to: now,
                        unit: sensor.unit
                    ),
                    csv: base + "sensors/"
                        + (sensor.sensor.addingPercentEncoding(
                            withAllowedCharacters: .urlPathAllowed.subtracting(["/"])
                        ) ?? "") + "/csv"
                )
            )
        }
        return try page(
            "Sensors",
            template: "sensors",
            model: ["sensors": rows, "none": rows.isEmpty],
            context: context
        )
    }

    func sensorCSV(_ request: Request, context: WebRequestContext) async throws -> Response {
        _ = try signedIn(context)
        let name = try context.parameters.require("name")
        let now = Date()
        let readings = try await gui.sensors?.sensorHistory(name, from: .distantPast, to: now) ?? []
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"sensor.csv\"",
            ],
            body: .init(byteBuffer: ByteBuffer(string: SensorReading.csv(readings)))
        )
    }
}
