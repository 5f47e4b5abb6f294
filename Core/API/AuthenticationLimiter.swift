import Foundation
import Logging

/// Slows down guessing of tokens and passwords: a client address that failed to authenticate
/// `limit` times within `window` is refused for the rest of the window without its credentials
/// being checked. The gateway's APIs share one, so guesses spread over them count together.
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

    /// False while `address` is blocked.
    func allows(_ address: String, now: Date = Date()) -> Bool {
        guard let until = blocked[address] else { return true }
        if until > now { return false }
        blocked[address] = nil
        return true
    }

    func recordFailure(_ address: String, now: Date = Date()) {
        var recent = (failures[address] ?? []).filter { now.timeIntervalSince($0) < window }
        recent.append(now)
        if recent.count >= limit {
            blocked[address] = now.addingTimeInterval(window)
            failures[address] = nil
            logger.warning(
                "HTTP APIs: \(recent.count) failed authentications from \(address) within \(Int(window)) s; refusing it for \(Int(window)) s"
            )
        } else {
            failures[address] = recent
        }
        // Forget addresses that have been quiet for a window, so the table cannot grow without bound.
        if failures.count > 10_000 {
            failures = failures.filter { now.timeIntervalSince($0.value.last ?? now) < window }
        }
        if blocked.count > 10_000 { blocked = blocked.filter { $0.value > now } }
    }
}
