import Foundation
import Logging
import SwiftletDomain
import Synchronization

/// Counts failed authentications per key — a client address, a login name — and blocks a key that
/// failed `limit` times within `window` for one window. The gateway has one, shared by its APIs and
/// plugins. It never decides alone: ``Authenticator`` lets valid tokens pass a blocked address.
public final class AuthenticationLimiter: LoginLimiter {
    private struct State {
        var failures: [String: [Date]] = [:]
        var blocked: [String: Date] = [:]
    }

    private let state = Mutex(State())
    let limit: Int
    let window: TimeInterval
    private let logger: Logger

    public init(limit: Int = 10, window: TimeInterval = 60, logger: Logger) {
        self.limit = limit
        self.window = window
        self.logger = logger
    }

    public func isBlocked(_ keys: [String]) -> Bool { isBlocked(keys, now: Date()) }

    func isBlocked(_ keys: [String], now: Date) -> Bool {
        state.withLock { state in keys.contains { Self.isBlocked($0, now: now, &state) } }
    }

    private static func isBlocked(_ key: String, now: Date, _ state: inout State) -> Bool {
        guard let until = state.blocked[key] else { return false }
        if until > now { return true }
        state.blocked[key] = nil
        return false
    }

    @discardableResult
    public func recordFailure(_ keys: [String]) -> Bool { recordFailure(keys, now: Date()) }

    @discardableResult
    func recordFailure(_ keys: [String], now: Date) -> Bool {
        let (newlyBlocked, blocked) = state.withLock { state -> ([(String, Int)], Bool) in
            var newlyBlocked: [(String, Int)] = []
            for key in keys {
                var recent = (state.failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
                recent.append(now)
                if recent.count >= limit {
                    state.blocked[key] = now.addingTimeInterval(window)
                    state.failures[key] = nil
                    newlyBlocked.append((key, recent.count))
                } else {
                    state.failures[key] = recent
                }
            }
            // Forget keys that have been quiet for a window, so the tables cannot grow without bound.
            if state.failures.count > 10_000 {
                state.failures = state.failures.filter { now.timeIntervalSince($0.value.last ?? now) < window }
            }
            if state.blocked.count > 10_000 { state.blocked = state.blocked.filter { $0.value > now } }
            return (newlyBlocked, keys.contains { Self.isBlocked($0, now: now, &state) })
        }
        for (key, failures) in newlyBlocked {
            logger.warning(
                "too many failed authentications; refusing for one window",
                metadata: ["key": "\(key)", "failures": "\(failures)", "window": "\(Int(window)) s"]
            )
        }
        return blocked
    }
}
