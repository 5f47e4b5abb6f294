import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real snmpd on loopback as AgentX master (../shared/TEST-PEERS.md), with a snmptrapd it sends
/// its notifications to: configuration, AgentX socket and logs in a temporary directory, SNMPv2c
/// community `public` and an SNMPv3 user with authPriv (SHA, AES), stopped by PID.
public final class SNMPPeers: @unchecked Sendable {
    // @unchecked: used by one test at a time.
    public let port: Int
    public let trapPort: Int
    public let directory: String
    public static let community = "public"
    public static let v3User = (name: "monitor", auth: "auth-pass-1234", privacy: "priv-pass-5678")
    private var agent: DaemonProcess?
    private var trapReceiver: DaemonProcess?

    public var agentXSocket: String { directory + "/agentx.sock" }
    public var trapLog: String { (try? String(contentsOfFile: directory + "/traps.log", encoding: .utf8)) ?? "" }

    public init() throws {
        port = MosquittoBroker.freePort()
        trapPort = MosquittoBroker.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("snmpd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/persist", withIntermediateDirectories: true)
        let user = Self.v3User
        try """
        [snmp] persistentDir \(directory)/persist
        agentaddress udp:127.0.0.1:\(port)
        rocommunity \(Self.community) 127.0.0.1
        createUser \(user.name) SHA "\(user.auth)" AES "\(user.privacy)"
        rouser \(user.name) priv
        master agentx
        agentXSocket unix:\(agentXSocket)
        agentXPerms 0660 0770
        agentXTimeout 2
        trap2sink 127.0.0.1:\(trapPort) \(Self.community)

        """.write(toFile: directory + "/snmpd.conf", atomically: true, encoding: .utf8)
        try "disableAuthorization yes\n".write(toFile: directory + "/snmptrapd.conf", atomically: true, encoding: .utf8)
    }

    deinit {
        agent?.stop()
        trapReceiver?.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts snmptrapd and snmpd and waits (up to 30 s) until snmpd answers.
    public func start() async throws {
        trapReceiver = try DaemonProcess(
            "/usr/sbin/snmptrapd",
            ["-f", "-Lf", directory + "/traps.log", "-C", "-c", directory + "/snmptrapd.conf", "-On"] + Self.noMIBs
                + ["udp:127.0.0.1:\(trapPort)"]
        )
        try await startAgent()
    }

    /// Starts snmpd (again, after `stopAgent`) and waits until it answers.
    public func startAgent() async throws {
        agent = try DaemonProcess(
            "/usr/sbin/snmpd",
            [
                "-f", "-Lf", directory + "/snmpd.log", "-C", "-c", directory + "/snmpd.conf", "-p",
                directory + "/snmpd.pid",
                "-I", "-smux",
            ] + Self.noMIBs
        )
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await get(["1.3.6.1.2.1.1.5.0"]).status == 0 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestFailure("snmpd did not answer on 127.0.0.1:\(port)\n--- log ---\n\(log)")
    }

    public func stopAgent() {
        agent?.stop()
        agent = nil
    }

    public var log: String { (try? String(contentsOfFile: directory + "/snmpd.log", encoding: .utf8)) ?? "" }

    /// Numeric OIDs only: no MIB files looked for (Debian ships few of them).
    static let noMIBs = ["-M", "/nonexistent", "-m", ""]

    var v2c: [String] { ["-v2c", "-c", Self.community, "-t", "1", "-r", "1"] }

    var v3: [String] {
        let user = Self.v3User
        return [
            "-v3", "-l", "authPriv", "-u", user.name, "-a", "SHA", "-A", user.auth, "-x", "AES", "-X", user.privacy,
            "-t", "1", "-r", "1",
        ]
    }

    /// `snmpget` of numeric OIDs (SNMPv2c, or SNMPv3 authPriv): its status and output.
    public func get(
        _ oids: [String],
        v3: Bool = false,
        options: [String] = ["-On"]
    ) async throws -> (
        status: Int32, output: String
    ) {
        try await MosquittoBroker.runDetached(
            "/usr/bin/snmpget",
            (v3 ? self.v3 : v2c) + (options.contains("-m") ? [] : Self.noMIBs) + options + ["127.0.0.1:\(port)"] + oids
        )
    }

    /// `snmpwalk` under `oid` with `options` (e.g. `-OQne` as check_smseagle asks).
    public func walk(
        _ oid: String,
        options: [String] = ["-On"],
        bulk: Bool = false
    ) async throws -> (
        status: Int32, output: String
    ) {
        try await MosquittoBroker.runDetached(
            bulk ? "/usr/bin/snmpbulkwalk" : "/usr/bin/snmpwalk",
            v2c + (options.contains("-m") ? [] : Self.noMIBs) + options + ["127.0.0.1:\(port)", oid]
        )
    }
}
