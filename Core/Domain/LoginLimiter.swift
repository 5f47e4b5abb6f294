/// The gateway's one failed-login limiter, shared by every way in that checks credentials: the HTTP
/// APIs and plugins that authenticate their own clients (SMTP AUTH). Keys name what failed —
/// `address:IP`, `login:NAME` — so guesses spread over several ways in count together.
///
/// Thread-safe and quick (no I/O): plugins call it from their own threads.
public protocol LoginLimiter: Sendable {
    /// Whether one of `keys` failed too often recently: credentials offered under it are refused
    /// without being checked (passwords), or answered "too many failed attempts" (tokens).
    func isBlocked(_ keys: [String]) -> Bool
    /// Counts a failure against each of `keys`; returns whether one of them is blocked now.
    @discardableResult
    func recordFailure(_ keys: [String]) -> Bool
}
