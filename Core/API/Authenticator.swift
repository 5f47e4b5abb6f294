import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SwiftletDomain

/// The one way every API checks credentials, with the shared failed-login limiter.
///
/// - A valid access token always passes, even from an address that is blocked: tokens are about 190
///   random bits, so guessing one is hopeless, and an attacker behind the same reverse proxy as real
///   clients must not lock them out.
/// - A wrong token counts against the client address. A blocked address is answered "too many failed
///   attempts" for every wrong token.
/// - Passwords can be guessed, so they are limited per address *and* per login name; while either is
///   blocked a password is refused without being checked (bcrypt costs ~0.2 s, which a flood must not
///   buy).
/// - The client address is the peer's, or — when the peer is one of `trustedProxies` — the last
///   address in `X-Forwarded-For` that is not itself a trusted proxy.
public struct Authenticator: Sendable {
    public enum Credential: Sendable {
        case token(String)
        case password(login: String, password: String)
    }

    /// Why credentials were refused. Each API words it in its own format.
    public struct Failure: Error, Sendable, Equatable {
        public enum Reason: Sendable, Equatable {
            /// Unknown token, or wrong login or password.
            case invalid
            /// The address or the login failed too often; try again after the window.
            case tooManyAttempts
        }

        public var reason: Reason
    }

    /// What an API answers a blocked client, in its own format.
    public static let tooManyAttemptsText = "Too many failed attempts; try again later"

    let users: any UserDirectory
    let limiter: any LoginLimiter
    let trustedProxies: [IPNetwork]
    /// Directories that check the passwords of logins the gateway has no local user of (LDAP), and
    /// where the users they let in are kept.
    let directory: (any ExternalDirectory)?
    let directoryUsers: (any DirectoryUsers)?
    let logger: Logger

    public init(
        users: any UserDirectory,
        limiter: any LoginLimiter,
        trustedProxies: [IPNetwork] = [],
        directory: (any ExternalDirectory)? = nil,
        directoryUsers: (any DirectoryUsers)? = nil,
        logger: Logger
    ) {
        self.users = users
        self.limiter = limiter
        self.trustedProxies = trustedProxies
        self.directory = directory
        self.directoryUsers = directoryUsers
        self.logger = logger
    }

    /// The client's address, for the limiter and the log.
    public func client(_ request: Request, context: some RequestContext) -> String {
        let peer = (context as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress ?? "unknown"
        return Self.client(peer: peer, forwardedFor: request.headers[values: .xForwardedFor], trusted: trustedProxies)
    }

    static func client(peer: String, forwardedFor: [String], trusted: [IPNetwork]) -> String {
        guard !trusted.isEmpty, trusted.contains(where: { $0.contains(peer) }) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() where !trusted.contains(where: { $0.contains(hop) }) {
            return IPNetwork.octets(of: hop) != nil ? hop : peer
        }
        return peer
    }

    /// The user the credentials name; throws ``Failure`` when they are wrong or the limiter says no.
    /// Logs refusals (never the credentials) with `api` naming the way in.
    public func authenticate(_ credential: Credential, client: String, api: String) async throws -> APIUser {
        let address = "address:\(client)"
        switch credential {
        case .token(let token):
            if let user = try await users.user(forAccessToken: token) { return user }
            let blocked = limiter.recordFailure([address])
            logger.notice(
                "authentication failed",
                metadata: ["api": "\(api)", "client": "\(client)", "credential": "token", "blocked": "\(blocked)"]
            )
            throw Failure(reason: blocked ? .tooManyAttempts : .invalid)
        case .password(let login, let password):
            let keys = [address, "login:\(login)"]
            if limiter.isBlocked(keys) {
                logger.notice(
                    "authentication refused without checking: too many failed attempts",
                    metadata: ["api": "\(api)", "client": "\(client)", "login": "\(login)"]
                )
                throw Failure(reason: .tooManyAttempts)
            }
            if let user = try await users.user(login: login, password: password) { return user }
            if let user = await directoryUser(login: login, password: password, client: client, api: api) {
                return user
            }
            let blocked = limiter.recordFailure(keys)
            logger.notice(
                "authentication failed",
                metadata: ["api": "\(api)", "client": "\(client)", "login": "\(login)", "blocked": "\(blocked)"]
            )
            throw Failure(reason: blocked ? .tooManyAttempts : .invalid)
        }
    }
}

extension Authenticator {
    /// A login the gateway has no local user of, checked by the directories: the user it makes
    /// (or updates) with the role the directory gives; nil when no directory accepts it. A local
    /// user's name is never checked by a directory: a local user always wins.
    func directoryUser(login: String, password: String, client: String, api: String) async -> APIUser? {
        guard let directory, let directoryUsers, !login.isEmpty, !password.isEmpty else { return nil }
        do {
            guard try await !directoryUsers.isLocalUser(login),
                let answer = try await directory.verify(login: login, password: password)
            else { return nil }
            let permissions: Set<String> = answer.role == .readOnly ? Self.readOnlyMethods : ["*"]
            let user = try await directoryUsers.directoryUser(login, login: answer, permissions: permissions)
            logger.debug(
                "signed in through a directory",
                metadata: [
                    "api": "\(api)", "client": "\(client)", "login": "\(login)", "directory": "\(answer.directory)",
                    "role": "\(answer.role.rawValue)",
                ]
            )
            return user
        } catch {
            logger.warning(
                "a directory could not check a login",
                metadata: ["api": "\(api)", "client": "\(client)", "login": "\(login)", "error": "\(error)"]
            )
            return nil
        }
    }

    /// What the `read_only` role may call: the methods that only read.
    static var readOnlyMethods: Set<String> {
        Set(APIv1.methodNames.filter { $0.hasPrefix("read_") || $0.hasPrefix("get_") || $0.hasSuffix("_read") })
    }

    /// ``authenticate(_:client:api:)``, refusing with the API's own error for each ``Failure/Reason``.
    public func authenticate(
        _ credential: Credential,
        client: String,
        api: String,
        refusing refusal: (Failure.Reason) -> any Error
    ) async throws -> APIUser {
        do {
            return try await authenticate(credential, client: client, api: api)
        } catch let failure as Failure {
            throw refusal(failure.reason)
        }
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
