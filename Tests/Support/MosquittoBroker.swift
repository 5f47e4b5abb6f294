import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A real mosquitto broker on loopback, owned by a test (../shared/TEST-PEERS.md): its own
/// configuration and state in a temporary directory, a free port, stopped by PID. With `password`,
/// anonymous clients are refused; with `tls`, the listener speaks TLS with a certificate for
/// 127.0.0.1 signed by a CA made for the test (`caFile`).
public final class MosquittoBroker: @unchecked Sendable {
    // @unchecked: used by one test at a time.
    public let port: Int
    public let directory: String
    public let user: (name: String, password: String)?
    public let tls: Bool
    private var process: DaemonProcess?

    public var caFile: String { directory + "/ca.pem" }
    /// A client certificate and key signed by the test CA (made with `requireCertificate`).
    public var clientCertificate: (cert: String, key: String) { (directory + "/client.pem", directory + "/client.key") }

    /// - Parameter requireCertificate: with `tls`, clients must present a certificate signed by the test CA.
    public init(
        user: (name: String, password: String)? = nil,
        tls: Bool = false,
        requireCertificate: Bool = false,
        persistence: Bool = true
    ) async throws {
        port = Self.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mosquitto-\(UUID().uuidString)").path
        self.user = user
        self.tls = tls
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var config = """
            listener \(port) 127.0.0.1
            allow_anonymous \(user == nil)
            persistence \(persistence)
            persistence_location \(directory)/
            autosave_interval 1
            max_queued_messages 0
            max_inflight_messages 20
            log_dest file \(directory)/mosquitto.log
            log_type all
            user root

            """
        if let user {
            _ = try await Self.runDetached(
                "/usr/bin/mosquitto_passwd",
                ["-b", "-c", directory + "/passwd", user.name, user.password]
            )
            config += "password_file \(directory)/passwd\n"
        }
        if tls {
            try await makeCertificates(client: requireCertificate)
            config += "cafile \(directory)/ca.pem\ncertfile \(directory)/server.pem\nkeyfile \(directory)/server.key\n"
            if requireCertificate { config += "require_certificate true\n" }
        }
        try config.write(toFile: directory + "/mosquitto.conf", atomically: true, encoding: .utf8)
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts the broker and waits (up to 30 s: a loaded machine) until it answers.
    public func start() async throws {
        process = try DaemonProcess("/usr/sbin/mosquitto", ["-c", directory + "/mosquitto.conf"])
        let deadline = ContinuousClock.now + .seconds(30)
        var last = "no attempt finished"
        while ContinuousClock.now < deadline {
            do {
                let result = try await Self.runDetached(
                    "/usr/bin/mosquitto_sub",
                    clientArguments + ["-t", "$SYS/broker/version", "-C", "1", "-W", "2"]
                )
                if result.status == 0 { return }
                last = "mosquitto_sub exited \(result.status): \(result.output)"
            } catch {
                last = "mosquitto_sub could not run: \(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("mosquitto did not answer on port \(port) within 30 s (\(last)); its log:\n\(log)")
    }

    /// Stops the broker as an admin would (SIGTERM: it saves its state) and waits for it to end.
    public func stop() {
        process?.stop()
        process = nil
    }

    /// Ends the broker as a crash would (SIGKILL): what it had not saved is gone.
    public func kill() {
        process?.kill()
        process = nil
    }

    public var log: String { (try? String(contentsOfFile: directory + "/mosquitto.log", encoding: .utf8)) ?? "" }

    /// The arguments mosquitto_pub and mosquitto_sub need for this broker.
    public var clientArguments: [String] {
        var arguments = ["-h", "127.0.0.1", "-p", String(port)]
        if let user { arguments += ["-u", user.name, "-P", user.password] }
        if tls { arguments += ["--cafile", caFile] }
        if FileManager.default.fileExists(atPath: clientCertificate.cert) {
            arguments += ["--cert", clientCertificate.cert, "--key", clientCertificate.key]
        }
        return arguments
    }

    /// Publishes with mosquitto_pub; one message per line of `lines` when more than one.
    public func publish(_ topic: String, _ lines: [String], qos: Int = 1, retain: Bool = false) async throws {
        var arguments = clientArguments + ["-t", topic, "-q", String(qos)]
        if retain { arguments.append("-r") }
        let result: (status: Int32, output: String)
        if lines.count == 1 {
            result = try await Self.runDetached("/usr/bin/mosquitto_pub", arguments + ["-m", lines[0]])
        } else {
            result = try await Self.runDetached(
                "/usr/bin/mosquitto_pub",
                arguments + ["-l"],
                input: lines.joined(separator: "\n") + "\n"
            )
        }
        guard result.status == 0 else { throw TestFailure("mosquitto_pub failed: \(result.output)") }
    }

    public func publish(_ topic: String, _ message: String, qos: Int = 1, retain: Bool = false) async throws {
        try await publish(topic, [message], qos: qos, retain: retain)
    }

    /// A mosquitto_sub running in the background, writing "topic payload" lines to a file.
    /// A mosquitto_sub on `filter`, returned once the broker has acknowledged its subscription (its
    /// log says it sent the SUBACK), so nothing published afterwards can be missed.
    public func subscriber(
        _ filter: String,
        qos: Int = 1,
        id: String = "watcher-\(UUID().uuidString.prefix(8))"
    ) async throws -> Subscriber {
        let subscriber = try Subscriber(
            arguments: clientArguments + ["-t", filter, "-q", String(qos), "-v", "-i", id, "-c"],
            directory: directory
        )
        _ = try await eventually("the broker to acknowledge \(id)'s subscription to \(filter)") {
            log.contains("Sending SUBACK to \(id)") ? true : nil
        }
        return subscriber
    }

    public final class Subscriber: @unchecked Sendable {
        let process: DaemonProcess
        let file: String

        init(arguments: [String], directory: String) throws {
            file = directory + "/sub-\(UUID().uuidString).txt"
            FileManager.default.createFile(atPath: file, contents: nil)
            process = try DaemonProcess("/usr/bin/mosquitto_sub", arguments, output: file)
        }

        /// The lines received so far ("topic payload").
        public var lines: [String] {
            ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        public func stop() { process.kill() }

        deinit { stop() }
    }

    // MARK: Helpers

    private func makeCertificates(client: Bool) async throws {
        let openssl = "/usr/bin/openssl"
        func run(_ arguments: [String]) async throws {
            let result = try await Self.runDetached(openssl, arguments)
            guard result.status == 0 else { throw TestFailure("openssl \(arguments.first ?? ""): \(result.output)") }
        }
        try await run([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=Swiftlet test CA",
            "-keyout", directory + "/ca.key", "-out", directory + "/ca.pem",
        ])
        try await run([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", directory + "/server.key",
            "-out", directory + "/server.csr",
        ])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(
            toFile: directory + "/san.ext",
            atomically: true,
            encoding: .utf8
        )
        try await run([
            "x509", "-req", "-in", directory + "/server.csr", "-CA", directory + "/ca.pem", "-CAkey",
            directory + "/ca.key", "-CAcreateserial", "-days", "2", "-extfile", directory + "/san.ext", "-out",
            directory + "/server.pem",
        ])
        guard client else { return }
        try await run([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj",
            "/CN=swiftlet-gateway", "-keyout",
            clientCertificate.key, "-out", directory + "/client.csr",
        ])
        try await run([
            "x509", "-req", "-in", directory + "/client.csr", "-CA", directory + "/ca.pem", "-CAkey",
            directory + "/ca.key", "-CAcreateserial", "-days", "2", "-out", clientCertificate.cert,
        ])
    }

    /// The next port `freePort` tries: 20000–29999, below the kernel's ephemeral range (32768 up),
    /// where no `bind(0)` or outgoing connection can take it between the test picking it and the
    /// peer binding it; each test process starts at its own place (by PID) and hands out each port
    /// once.
    private static let nextPort = Mutex(20000 + Int(getpid()) * 7919 % 10000)

    /// A loopback TCP port nothing listens on, for a peer a test starts. The probe socket is
    /// close-on-exec: a daemon another test spawned in the instant it was open would otherwise keep
    /// it, bound, for its whole life, and the peer given the port would find it in use.
    public static func freePort() -> Int {
        for _ in 0..<10000 {
            let port = nextPort.withLock { port in
                defer { port = 20000 + (port - 20000 + 1) % 10000 }
                return port
            }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if bound == 0 { return port }
        }
        fatalError("no free loopback port in 20000-29999")
    }

    /// `run` on a thread of its own: waiting for the command does not hold one of the concurrency
    /// pool's few threads (which the code under test, in the same process, needs to answer it).
    @discardableResult
    public static func runDetached(
        _ executable: String,
        _ arguments: [String],
        input: String? = nil
    ) async throws -> (status: Int32, output: String) {
        try await onOwnThread { try run(executable, arguments, input: input) }
    }

    /// Runs a command to its end; its status and its output and errors together.
    @discardableResult
    public static func run(
        _ executable: String,
        _ arguments: [String],
        input: String? = nil
    ) throws -> (
        status: Int32, output: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("out-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        let pipe = Pipe()
        process.standardInput = pipe
        try process.run()
        if let input { pipe.fileHandleForWriting.write(Data(input.utf8)) }
        try pipe.fileHandleForWriting.close()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }
}
