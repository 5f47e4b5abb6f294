import Foundation
import Synchronization

/// baresip as a child process, and its control connection (module `ctrl_tcp`: JSON in netstrings,
/// on 127.0.0.1). Commands are answered by token; events (`CALL_RINGING`, `CALL_ESTABLISHED`,
/// `CALL_DTMF_START`, `CALL_CLOSED`, `REGISTER_OK`, `REGISTER_FAIL`, …) go to `onEvent`, on the
/// connection's reading thread, in the order baresip sent them.
final class Baresip: Sendable {
    struct Event: Sendable, Equatable {
        var type: String
        var callID: String?
        var param: String?
        var peer: String?
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let directory: URL
    let executable: String
    let controlPort: Int
    let logFile: String
    private let onEvent: @Sendable (Event) -> Void
    private let state = Mutex(State())

    private struct State {
        var pid: pid_t = 0
        var running = false
        var socket: Int32 = -1
        var nextToken = 0
        var waiting: [String: CheckedContinuation<String, any Error>] = [:]
    }

    init(
        directory: URL,
        executable: String,
        controlPort: Int,
        logFile: String,
        onEvent: @escaping @Sendable (Event) -> Void
    ) {
        self.directory = directory
        self.executable = executable
        self.controlPort = controlPort
        self.logFile = logFile
        self.onEvent = onEvent
    }

    private var pidFile: URL { directory.appendingPathComponent("baresip.pid") }

    /// Starts baresip with the configuration in `directory` and connects to it; `exited` is called
    /// once when the process ends (also when `stop` ends it).
    func launch(exited: @escaping @Sendable (Int32) -> Void) async throws {
        killLeftOver()
        let pid = try spawn([executable, "-f", directory.path], output: logFile.isEmpty ? "/dev/null" : logFile)
        try? "\(pid)\n".write(to: pidFile, atomically: true, encoding: .utf8)
        state.withLock {
            $0.pid = pid
            $0.running = true
        }
        Thread.detachNewThread { [self] in
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1, errno == EINTR {}
            state.withLock { $0.running = false }
            let status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            disconnected(because: "baresip exited with status \(status)")
            exited(status)
        }
        // baresip listens on its control port once its modules are loaded: a second or less.
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            if let socket = Self.connect(port: controlPort) {
                state.withLock { $0.socket = socket }
                let thread = Thread { [weak self] in self?.read(socket) }
                thread.name = "voice: baresip control"
                thread.start()
                return
            }
            guard state.withLock({ $0.running }) else {
                throw Failure(description: "baresip exited at start; set baresip_log to see why")
            }
            guard ContinuousClock.now < deadline else {
                kill(pid, SIGKILL)
                throw Failure(description: "baresip did not open its control port \(controlPort)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Starts `arguments` with the signal mask and dispositions reset (the thread that spawns it
    /// may block signals, as the Swift runtime's threads do, and a child inheriting that mask would
    /// ignore the SIGTERM that ends it) and with no descriptor of the gateway's but 0-2.
    private func spawn(_ arguments: [String], output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of the gateway's: a baresip that outlives a killed gateway must not hold its
        // listening sockets, its database, or the pipe its supervisor watches for the exit.
        // (posix_spawn_file_actions_addclosefrom_np is hidden from Swift's Glibc module; glibc
        // ignores closing a descriptor that closed meanwhile.)
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard status == 0 else {
            throw Failure(description: "cannot start \(arguments[0]): \(String(cString: strerror(status)))")
        }
        return pid
    }

    /// Ends the process (and so the calls it holds): SIGTERM, and SIGKILL after 3 s.
    func stop() {
        let (pid, running) = state.withLock { ($0.pid, $0.running) }
        guard running else { return }
        kill(pid, SIGTERM)
        for _ in 0..<150 where state.withLock({ $0.running }) { usleep(20_000) }
        if state.withLock({ $0.running }) { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(at: pidFile)
    }

    /// Waits (up to `timeout`) until the control connection is up: a call that comes while baresip
    /// is (re)starting waits for it instead of failing.
    func waitUntilConnected(timeout: Duration = .seconds(10)) async {
        let deadline = ContinuousClock.now + timeout
        while state.withLock({ $0.socket < 0 }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Sends `command` (a menu command: `dial`, `hangup`, `ausrc`, …) and waits for its answer.
    @discardableResult
    func command(_ command: String, _ params: String = "") async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            let failure: Failure? = state.withLock { state in
                guard state.socket >= 0 else { return Failure(description: "baresip is not running") }
                state.nextToken += 1
                let token = "t\(state.nextToken)"
                let body: [String: String] = ["command": command, "params": params, "token": token]
                guard let json = try? JSONSerialization.data(withJSONObject: body) else {
                    return Failure(description: "cannot encode the command")
                }
                var frame = Data("\(json.count):".utf8)
                frame.append(json)
                frame.append(UInt8(ascii: ","))
                let sent = frame.withUnsafeBytes { send(state.socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard sent == frame.count else { return Failure(description: "the control connection is broken") }
                state.waiting[token] = continuation
                return nil
            }
            if let failure { continuation.resume(throwing: failure) }
        }
    }

    // MARK: The control connection

    private static func connect(port: Int) -> Int32? {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(socket)
            return nil
        }
        return socket
    }

    /// A free TCP port on 127.0.0.1, for the control connection.
    static func freePort() -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(socket, $0, length)
                return getsockname(socket, $0, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private func read(_ socket: Int32) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        reading: while true {
            let count = recv(socket, &chunk, chunk.count, 0)
            guard count > 0 else { break }
            buffer.append(contentsOf: chunk[0..<count])
            while true {
                switch Netstring.next(in: buffer) {
                case .incomplete: continue reading
                case .malformed: break reading
                case .frame(let body, let consumed):
                    buffer.removeFirst(consumed)
                    handle(body)
                }
            }
        }
        disconnected(because: "the control connection closed")
    }

    private func handle(_ body: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return }
        if object["response"] as? Bool == true, let token = object["token"] as? String {
            let continuation = state.withLock { $0.waiting.removeValue(forKey: token) }
            let data = object["data"] as? String ?? ""
            if object["ok"] as? Bool == true {
                continuation?.resume(returning: data)
            } else {
                continuation?.resume(
                    throwing: Failure(description: data.isEmpty ? "baresip refused the command" : data)
                )
            }
        } else if object["event"] as? Bool == true, let type = object["type"] as? String {
            onEvent(
                Event(
                    type: type,
                    callID: object["id"] as? String,
                    param: object["param"] as? String,
                    peer: object["peeruri"] as? String
                )
            )
        }
    }

    private func disconnected(because reason: String) {
        let waiting = state.withLock { state in
            if state.socket >= 0 {
                shutdown(state.socket, Int32(SHUT_RDWR))
                close(state.socket)
                state.socket = -1
            }
            defer { state.waiting = [:] }
            return state.waiting
        }
        for continuation in waiting.values { continuation.resume(throwing: Failure(description: reason)) }
    }

    /// A baresip this plugin started before the gateway was killed still holds the SIP port: ends it
    /// (only if its command line names this directory).
    private func killLeftOver() {
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let commandLine = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))
        else { return }
        let arguments = commandLine.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard arguments.contains(directory.path), arguments.first?.hasSuffix("baresip") == true else { return }
        kill(pid, SIGTERM)
        for _ in 0..<50 where kill(pid, 0) == 0 { usleep(20_000) }
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
    }
}

/// Netstrings (`5:hello,`), the framing of baresip's `ctrl_tcp`.
enum Netstring {
    enum Next: Equatable {
        case frame([UInt8], consumed: Int)
        case incomplete
        case malformed
    }

    /// The largest frame accepted (baresip's own answers are far smaller).
    static let limit = 1 << 20

    static func next(in buffer: [UInt8]) -> Next {
        var length = 0
        var index = 0
        while index < buffer.count, buffer[index] != UInt8(ascii: ":") {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buffer[index]), index < 8 else { return .malformed }
            length = length * 10 + Int(buffer[index] - UInt8(ascii: "0"))
            index += 1
        }
        guard index < buffer.count else { return .incomplete }
        guard index > 0, length <= limit else { return .malformed }
        let start = index + 1
        guard buffer.count >= start + length + 1 else { return .incomplete }
        guard buffer[start + length] == UInt8(ascii: ",") else { return .malformed }
        return .frame(Array(buffer[start..<start + length]), consumed: start + length + 1)
    }
}
