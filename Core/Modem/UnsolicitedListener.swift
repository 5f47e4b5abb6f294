import Synchronization

/// Lets the running job wait for the unsolicited codes it expects: `+CUSD:` after `AT+CUSD`,
/// `NO CARRIER` or `BUSY` during a call. Lines nobody listens for take their usual way.
final class UnsolicitedListener: Sendable {
    private struct Listening {
        let prefixes: [String]
        let continuation: AsyncStream<String>.Continuation
    }

    private let current = Mutex<Listening?>(nil)

    init() {}

    /// Hands `line` to the job listening for it; false if none is.
    func offer(_ line: String) -> Bool {
        current.withLock { current in
            guard let listening = current, listening.prefixes.contains(where: { line.hasPrefix($0) }) else {
                return false
            }
            listening.continuation.yield(line)
            return true
        }
    }

    /// Runs `body` with the lines starting with one of `prefixes` that arrive meanwhile.
    func listening<T: Sendable>(
        for prefixes: [String],
        _ body: (Lines) async throws -> T
    ) async throws -> T {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        current.withLock { $0 = Listening(prefixes: prefixes, continuation: continuation) }
        defer {
            current.withLock { $0 = nil }
            continuation.finish()
        }
        return try await body(Lines(stream: stream))
    }

    /// The lines a job listens for.
    struct Lines: Sendable {
        let stream: AsyncStream<String>

        /// The first line, or nil if none comes within `timeout`. Ask once per ``listening(for:_:)``:
        /// the wait, when it ends, ends the stream.
        func first(within timeout: Duration) async throws -> String? {
            try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask {
                    for await line in stream { return line }
                    return nil
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
        }
    }
}
