import Foundation
import Hummingbird
import HummingbirdAuth
import Logging
import SwiftletDomain
import SwiftletRules

/// The rule engine over HTTP (JSON), for admins and, later, the web interface. An admin user's
/// access token goes in `Authorization: Bearer …` (or `access_token=` in the query).
///
/// - `GET    /swiftlet/v1/rules`: every rule with its source, whether it runs, and its definition
/// - `PUT    /swiftlet/v1/rules/{name}`: add or replace a rule; the body is its YAML or JSON
/// - `POST   /swiftlet/v1/rules/{name}/enable`, `/disable`
/// - `DELETE /swiftlet/v1/rules/{name}`
/// - `POST   /swiftlet/v1/rules/{name}/fire`: fire a rule whose trigger is `api`; the body is a JSON
///   object of texts (the event's fields)
/// - `GET    /swiftlet/v1/rules/history?rule=…&limit=…`: firings, newest first
/// - `GET    /swiftlet/v1/escalations?active=1&limit=…`
/// - `POST   /swiftlet/v1/escalations/{id}/ack`: acknowledge; `{"by": "name"}` says who
public struct RulesAPI: Sendable {
    let engine: RuleEngine
    let authenticator: Authenticator
    let logger: Logger
    static let prefix = "/swiftlet/v1"

    public init(
        engine: RuleEngine,
        authenticator: Authenticator,
        logger: Logger
    ) {
        self.engine = engine
        self.authenticator = authenticator
        self.logger = logger
    }

    /// A refusal, as `{"error": …}`.
    struct Failure: HTTPResponseError {
        var status: HTTPResponse.Status
        var message: String

        func response(from request: Request, context: some RequestContext) throws -> Response {
            JSONAPI.response(Refusal(error: message), status: status)
        }
    }

    public func addRoutes<Context: APIRequestContext>(to router: Router<Context>) {
        // The same token headers as APIv2, or `?access_token=`.
        let router = router.group().add(
            middleware: TokenAuthentication<Context>(authenticator: authenticator, api: "rules API", queryToken: true) {
                Failure(status: $0, message: $1)
            }
        )
        let rules = RouterPath(Self.prefix + "/rules")
        router.get(rules) { request, context in
            await handle(request, context) { _ in
                await engine.list().map { rule in
                    Rule(
                        name: rule.name,
                        enabled: rule.enabled,
                        source: rule.source.rawValue,
                        status: rule.status.description,
                        trigger: rule.trigger,
                        definition: rule.definition
                    )
                }
            }
        }
        router.get(RouterPath(Self.prefix + "/rules/history")) { request, context in
            await handle(request, context) { _ in
                let limit = try Self.limit(request)
                return try await engine.history(
                    rule: request.uri.queryParameters["rule"].map(String.init),
                    limit: limit
                )
                .map { firing in
                    Firing(
                        id: firing.id,
                        rule: firing.rule,
                        trigger: firing.trigger,
                        at: Self.timestamp(firing.at),
                        event: firing.event,
                        matched: firing.matched,
                        outcomes: firing.outcomes
                    )
                }
            }
        }
        router.put(RouterPath(Self.prefix + "/rules/:name")) { request, context in
            await handle(request, context) { body in
                let name = try context.parameters.require("name")
                do {
                    let created = try await engine.put(name: name, definition: String(decoding: body, as: UTF8.self))
                    return Changed(name: name, created: created)
                } catch let error as RuleError {
                    throw Failure(status: .badRequest, message: error.description)
                }
            }
        }
        for (verb, enabled) in [("enable", true), ("disable", false)] {
            router.post(RouterPath(Self.prefix + "/rules/:name/" + verb)) { request, context in
                await handle(request, context) { _ in
                    let name = try context.parameters.require("name")
                    try await Self.refusing(.notFound) { try await engine.setEnabled(name, enabled) }
                    return Changed(name: name, enabled: enabled)
                }
            }
        }
        router.delete(RouterPath(Self.prefix + "/rules/:name")) { request, context in
            await handle(request, context) { _ in
                let name = try context.parameters.require("name")
                let result = try await Self.refusing(.badRequest) { try await engine.remove(name) }
                return Changed(name: name, result: result)
            }
        }
        router.post(RouterPath(Self.prefix + "/rules/:name/fire")) { request, context in
            await handle(request, context) { body in
                let name = try context.parameters.require("name")
                var fields: [String: String] = [:]
                if !body.isEmpty {
                    guard let event = RuleEvent(kind: "api", json: body) else {
                        throw Failure(status: .badRequest, message: "the body must be a JSON object")
                    }
                    fields = event.fields
                }
                let firing = try await Self.refusing(.badRequest) { try await engine.fire(name, fields: fields) }
                return Fired(name: name, fired: firing != nil, firing: firing)
            }
        }
        router.get(RouterPath(Self.prefix + "/escalations")) { request, context in
            await handle(request, context) { _ in
                try await engine.escalations(
                    activeOnly: request.uri.queryParameters["active"] == "1",
                    limit: try Self.limit(request)
                )
                .map(EscalationAnswer.init)
            }
        }
        router.post(RouterPath(Self.prefix + "/escalations/:id/ack")) { request, context in
            await handle(request, context) { body in
                guard let id = Int64(try context.parameters.require("id")) else {
                    throw Failure(status: .badRequest, message: "an escalation's id is a number")
                }
                var who = "the API"
                if !body.isEmpty {
                    guard let given = RuleEvent(kind: "api", json: body) else {
                        throw Failure(
                            status: .badRequest,
                            message: "the body must be a JSON object, e.g. {\"by\": \"Anna\"}"
                        )
                    }
                    if let by = given.fields["by"], !by.isEmpty { who = String(by.prefix(100)) }
                }
                return EscalationAnswer(
                    try await Self.refusing(.conflict) { try await engine.acknowledge(escalation: id, by: who) }
                )
            }
        }
    }

    /// Lets an admin (the token middleware found the user) run `body` with the request's body, and
    /// answers JSON.
    func handle(
        _ request: Request,
        _ context: some APIRequestContext,
        _ body: @Sendable (Data) async throws -> any Encodable
    ) async -> Response {
        do {
            guard let user = context.identity else {
                throw Failure(status: .unauthorized, message: TokenAuthenticationMessages.missing)
            }
            guard user.isAdmin else {
                logger.notice("rules API: refused, not an admin", metadata: ["user": "\(user.name)"])
                throw Failure(status: .forbidden, message: "rules are for admin users")
            }
            let buffer = try await request.body.collect(upTo: 256 * 1024)
            let result = try await body(Data(buffer.readableBytesView))
            return JSONAPI.response(result, status: .ok)
        } catch let failure as Failure {
            return JSONAPI.response(Refusal(error: failure.message), status: failure.status)
        } catch {
            logger.error("rules API: request failed", metadata: ["error": "\(error)"])
            return JSONAPI.response(Refusal(error: "internal error"), status: .internalServerError)
        }
    }

    static func refusing<T>(_ status: HTTPResponse.Status, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RuleError {
            let missing = error.description.hasPrefix("there is no")
            throw Failure(status: missing ? .notFound : status, message: error.description)
        }
    }

    static func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters["limit"] else { return 100 }
        guard let limit = Int(text), (1...10_000).contains(limit) else {
            throw Failure(status: .badRequest, message: "limit: a whole number from 1 to 10000")
        }
        return limit
    }

    static func timestamp(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}
