import Foundation
import Logging

/// Counts failed authentications per key — a client address, a login name — and blocks a key that
/// failed `limit` times within `window` for one window. The gateway's APIs share one, so guesses
/// spread over them count together. It never decides alone: ``Authenticator`` lets valid tokens pass
/// a blocked address.
public actor AuthenticationLimiter {
    private var failures: [String: [Date]] = [:]
    private var blocked: [String: Date] = [:]
    let limit: Int
    let window: TimeInterval
    private let logger: Logger

    public init(limit: Int = 10, window: TimeInterval = 60, logger: Logger) {
        self.limit = limit
        self.window = window
        self.logger = logger
    }

    /// Whether `key` is blocked now.
    func isBlocked(_ key: String, now: Date = Date()) -> Bool {
        guard let until = blocked[key] else { return false }
        if until > now { return true }
        blocked[key] = nil
        return false
    }

    /// Whether any of `keys` is blocked now.
    func anyBlocked(_ keys: [String], now: Date = Date()) -> Bool {
        keys.contains { isBlocked($0, now: now) }
    }

    /// Counts a failure against each of `keys`; returns true when one of them is blocked now.
    @discardableResult
    func recordFailure(_ keys: [String], now: Date = Date()) -> Bool {
        for key in keys {
            var recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
            recent.append(now)
            if recent.count >= limit {
                blocked[key] = now.addingTimeInterval(window)
                failures[key] = nil
                logger.warning(
                    "HTTP APIs: too many failed authentications; refusing for one window",
                    metadata: ["key": "\(key)", "failures": "\(recent.count)", "window": "\(Int(window)) s"]
                )
            } else {
                failures[key] = recent
            }
        }
        // Forget keys that have been quiet for a window, so the tables cannot grow without bound.
        if failures.count > 10_000 {
            failures = failures.filter { now.timeIntervalSince($0.value.last ?? now) < window }
        }
        if blocked.count > 10_000 { blocked = blocked.filter { $0.value > now } }
        return anyBlocked(keys, now: now)
    }
}
