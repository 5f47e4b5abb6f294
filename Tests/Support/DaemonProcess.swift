import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A peer daemon (mosquitto, …) started for a test with the signal mask and dispositions reset.
///
/// Foundation's `Process` spawns children with the mask of the spawning thread, and the test
/// runner's worker threads block nearly every signal: a daemon started that way never sees the
/// SIGTERM an admin's `systemctl stop` would send, so its clean shutdown could not be tested.
public final class DaemonProcess: @unchecked Sendable {
    // @unchecked: `status` is written once, by the thread that reaps the child.
    public let pid: pid_t
    private var status: Int32?
    /// A thread waits for the process (stopInBackground).
    private var reaping = false

    /// Starts `executable` with `arguments`, its standard output appended to `output` and its
    /// errors to `errors` (each discarded when nil).
    public init(_ executable: String, _ arguments: [String], output: String? = nil, errors: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errors ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        // Nothing else of the test process: a daemon that inherited a socket another test had bound
        // (freePort's probe, in the instant between its bind and its close) would hold that port
        // for its whole life, and the peer handed the port would find it "already in use". Sockets
        // are made close-on-exec too; this covers descriptors opened without it.
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

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw TestFailure("cannot start \(executable): \(String(cString: strerror(rc)))") }
        self.pid = pid
    }

    /// SIGKILL, and the process reaped on a thread of its own: a deinit runs wherever the last
    /// reference goes, often on one of the concurrency pool's few threads, which must not wait.
    deinit { stopInBackground(signal: SIGKILL) }

    /// Sends `signal` and reaps the process on a thread of its own, without waiting for it (dovecot
    /// takes about 3 s to end on SIGTERM).
    public func stopInBackground(signal: Int32 = SIGTERM) {
        guard status == nil, !reaping else { return }
        reaping = true
        Glibc.kill(pid, signal)
        let pid = self.pid
        Thread.detachNewThread {
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1, errno == EINTR {}
        }
    }

    public var isRunning: Bool {
        guard status == nil else { return false }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid {
            status = raw
            return false
        }
        return true
    }

    /// Sends `signal` and waits for the process to end; its raw wait status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM) -> Int32 {
        if let status { return status }
        Glibc.kill(pid, signal)
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1, errno == EINTR {}
        status = raw
        return raw
    }

    /// SIGKILL, as a crash or power cut would end it.
    public func kill() { stop(signal: SIGKILL) }
}
