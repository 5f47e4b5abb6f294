import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SwiftletDomain

/// Sensors' current values and history (`/swiftlet/v1/sensors`), for dashboards and export: every
/// signed-in user may read them (they are the site's, not a user's).
///
/// - `GET /swiftlet/v1/sensors`: `[{"sensor", "value", "unit", "at"}]`, each sensor's last reading.
/// - `GET /swiftlet/v1/sensors/NAME/history?from=&to=&format=csv`: the readings from `from` to `to`
///   (ISO 8601; the last 24 hours by default), as `[{"at", "value"}]` or as CSV (`time,value`).
public struct SensorsAPI: Sendable {
    let history: any SensorHistory
    let authenticator: Authenticator
    let logger: Logger

    public init(history: any SensorHistory, authenticator: Authenticator, logger: Logger) {
        self.history = history
        self.authenticator = authenticator
        self.logger = logger
    }

    struct Reading: Encodable {
        var sensor: String
        var value: Double
        var unit: String
        var at: String
    }

    struct Point: Encodable {
        var at: String
        var value: Double
    }

    public func addRoutes<Context: APIRequestContext>(to router: Router<Context>) {
        let router = router.group().add(
            middleware: TokenAuthentication<Context>(authenticator: authenticator, api: "sensors API", queryToken: true)
            {
                RulesAPI.Failure(status: $0, message: $1)
            }
        )
        router.get(RouterPath(RulesAPI.prefix + "/sensors")) { _, _ in
            let latest = try await history.latestSensorReadings().map {
                Reading(sensor: $0.sensor, value: $0.value, unit: $0.unit, at: RulesAPI.timestamp($0.at))
            }
            return JSONAPI.response(latest, status: .ok)
        }
        router.get(RouterPath(RulesAPI.prefix + "/sensors/:name/history")) { request, context in
            let name = try context.parameters.require("name")
            let query = request.uri.queryParameters
            let (from, to) = try Self.window(from: query["from"].map(String.init), to: query["to"].map(String.init))
            let readings = try await history.sensorHistory(name, from: from, to: to)
            if query["format"] == "csv" {
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/csv; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: SensorReading.csv(readings)))
                )
            }
            return JSONAPI.response(readings.map { Point(at: RulesAPI.timestamp($0.at), value: $0.value) }, status: .ok)
        }
    }

    /// `from` and `to` as ISO 8601 times; the 24 hours before `to` (now) by default.
    static func window(from: String?, to: String?, now: Date = Date()) throws -> (Date, Date) {
        func date(_ text: String, _ key: String) throws -> Date {
            guard let date = ISO8601DateFormatter().date(from: text) else {
                throw RulesAPI.Failure(
                    status: .badRequest,
                    message: "\(key): '\(text)' is not an ISO 8601 time (2026-12-06T18:00:00Z)"
                )
            }
            return date
        }
        let end = try to.map { try date($0, "to") } ?? now
        let start = try from.map { try date($0, "from") } ?? end.addingTimeInterval(-86400)
        guard start <= end else { throw RulesAPI.Failure(status: .badRequest, message: "from: after to") }
        return (start, end)
    }
}
