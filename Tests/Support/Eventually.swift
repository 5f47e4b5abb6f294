/// A test's expectation that did not come true, described.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Polls `condition` every 50 ms until it returns a value, failing after `timeout`.
public func eventually<T>(
    timeout: Duration = .seconds(20),
    _ what: @autoclosure () -> String,
    _ condition: () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let value = try await condition() { return value }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TestFailure("timed out after \(timeout) waiting for \(what())")
}

/// Polls `condition` every 50 ms until it holds, failing after `timeout`.
///
/// The default leaves room for a loaded machine: in-process suites start together, and a stall of
/// a few seconds at the start makes a simulated modem miss its 2 s command timeout; the driver then
/// backs off (1, 2, 4, 8 s) before it is ready, as it would with a real modem. Only a failure waits
/// this long.
public func waitUntil(
    _ what: @autoclosure () -> String,
    timeout: Duration = .seconds(30),
    _ condition: () async throws -> Bool
) async throws {
    _ = try await eventually(timeout: timeout, what()) { try await condition() ? true : nil }
}
