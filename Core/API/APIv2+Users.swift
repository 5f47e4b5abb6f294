import Foundation
import Hummingbird
import Logging
import SwiftletDomain

/// Users and tokens through APIv2, for admins only: what `swiftlet user` and `swiftlet token` do.
/// A new token is shown once, in the answer that makes it; listings show only its id.
extension APIv2 {
    func addUserRoutes<Context: APIRequestContext>(to router: RouterGroup<Context>) {
        router.get(RouterPath("/users")) { request, context in
            await admin(request, context) { _ in try Self.list(try await users.users().map(User.init)) }
        }
        router.post(RouterPath("/users")) { request, context in
            await admin(request, context) { admin in
                let body = try await JSONAPI.object(request)
                guard let name = try body.text("name") else { throw JSONAPI.Failure.badRequest("name: required") }
                try await users.addUser(
                    name,
                    admin: try body.flag("admin") ?? false,
                    permissions: try Self.permissions(body) ?? ["*"]
                )
                logger.notice("APIv2: user added", metadata: ["user": "\(admin.name)", "added": "\(name)"])
                return (.created, User(try await existing(name)))
            }
        }
        router.put(RouterPath("/users/:name")) { request, context in
            await admin(request, context) { admin in
                let name = try await existing(context).name
                let body = try await JSONAPI.object(request)
                if let permissions = try Self.permissions(body) {
                    _ = try await users.setPermissions(name, permissions)
                }
                if let flag = try body.flag("admin") { _ = try await users.setAdmin(name, flag) }
                logger.notice("APIv2: user changed", metadata: ["user": "\(admin.name)", "changed": "\(name)"])
                return (.ok, User(try await existing(name)))
            }
        }
        router.delete(RouterPath("/users/:name")) { request, context in
            await admin(request, context) { admin in
                let name = try await existing(context).name
                _ = try await users.removeUser(name)
                logger.notice("APIv2: user removed", metadata: ["user": "\(admin.name)", "removed": "\(name)"])
                return (.ok, ["name": name, "status": "deleted"])
            }
        }
        router.get(RouterPath("/users/:name/tokens")) { request, context in
            await admin(request, context) { _ in
                let name = try await existing(context).name
                return try Self.list(try await users.tokens(user: name).map(token))
            }
        }
        router.post(RouterPath("/users/:name/tokens")) { request, context in
            await admin(request, context) { admin in
                let name = try await existing(context).name
                let secret = try await users.createAccessToken(user: name)
                // The token just made is the user's newest; this answer alone shows its secret.
                guard var made = try await users.tokens(user: name).last.map(token) else {
                    throw JSONAPI.Failure(.internalServerError, "The token was made but cannot be read back")
                }
                made.token = secret
                logger.notice("APIv2: token made", metadata: ["user": "\(admin.name)", "for": "\(name)"])
                return (.created, made)
            }
        }
        router.delete(RouterPath("/tokens/:token")) { request, context in
            await admin(request, context) { admin in
                let id = context.parameters.get("token") ?? ""
                guard id.count == 8, id.allSatisfy(\.isHexDigit), try await users.revokeToken(id: id) else {
                    throw JSONAPI.Failure.notFound
                }
                logger.notice("APIv2: token revoked", metadata: ["user": "\(admin.name)", "token": "\(id)"])
                return (.ok, ["id": id, "status": "deleted"])
            }
        }
    }

    /// Authenticates an admin (403 for any other user) and runs `body`.
    func admin(
        _ request: Request,
        _ context: some APIRequestContext,
        _ body: @escaping (APIUser) async throws -> JSONAPI.Answer
    ) async -> Response {
        await json.respond {
            let user = try json.user(context, permission: nil)
            guard user.isAdmin else { throw JSONAPI.Failure(.forbidden, "Only admins manage users and tokens") }
            return try await body(user)
        }
    }

    func existing(_ context: some RequestContext) async throws -> UserSummary {
        try await existing(context.parameters.get("name") ?? "")
    }

    func existing(_ name: String) async throws -> UserSummary {
        guard let user = try await users.users().first(where: { $0.name == name }) else {
            throw JSONAPI.Failure.notFound
        }
        return user
    }

    /// `permissions`: APIv1 method names, or `["*"]` for all.
    static func permissions(_ body: JSONObject) throws -> Set<String>? {
        guard let names = try body.texts("permissions") else { return nil }
        let unknown = Set(names).subtracting(APIv1.methodNames + ["*"])
        guard unknown.isEmpty else {
            throw JSONAPI.Failure.badRequest("permissions: not methods: \(unknown.sorted().joined(separator: ", "))")
        }
        return Set(names)
    }

    func token(_ token: TokenSummary) -> Token {
        Token(id: token.id, user: token.user, createdAt: JSONAPI.timestamp(token.createdAt, dates.timeZone))
    }
}
