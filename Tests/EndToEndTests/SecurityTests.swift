import Foundation
import NIOHTTP1
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The findings of a probe as an attacker and as a careless network: each test fails on the gateway
/// as it was before the fix.
@Suite("End to end: security and faults")
struct SecurityTests {
    /// The `TextDecoded` values of a `read_sms` text answer.
    static func texts(_ answer: String) -> [String] {
        parseRows(answer).compactMap { $0["TextDecoded"] }
    }

    @Test("an outgoing message is read and deleted only by its sender, an admin, or a user with the all-users grant")
    func messagesBelongToTheirSender() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { _ = gateway.stop() }
        let alice = try gateway.addUser("alice", methods: "send_sms,read_sms,delete_sms")
        let bob = try gateway.addUser("bob", methods: "send_sms,read_sms,delete_sms,get_sentitems_length")
        let admin = try gateway.addUser("root", admin: true)
        let auditor = try gateway.addUser("auditor", methods: "read_sms")
        let access = try GatewayProcess.run(["user", "access", "--data-dir", gateway.dataDirectory, "auditor", "all"])
        #expect(access.status == 0, "\(access.stderr)")

        func v1(_ token: String, _ method: String, _ parameters: [(String, String)] = []) async throws -> String {
            try await gateway.get("/http_api/\(method)", [("access_token", token)] + parameters).body
        }
        let sent = try await v1(alice, "send_sms", [("to", "+15550000001"), ("message", "OTP 123456")])
        let aliceID = try #require(
            sent.split(separator: "=").last.map { String($0).trimmingCharacters(in: .whitespaces) }
        )
        #expect(try await v1(bob, "send_sms", [("to", "+15550000002"), ("message", "bob's own")]).hasPrefix("OK"))
        // A scheduled message of Alice's waits in the outbox.
        let later = try await v1(
            alice,
            "send_sms",
            [("to", "+15550000003"), ("message", "scheduled OTP"), ("date", "203001010000")]
        )
        let laterID = try #require(
            later.split(separator: "=").last.map { String($0).trimmingCharacters(in: .whitespaces) }
        )
        _ = try await eventually("both messages sent") {
            Self.texts(try await v1(admin, "read_sms", [("folder", "sentitems")])).count == 2 ? true : nil
        }

        // APIv1 GET, JSON-RPC and APIv2: Bob sees his own message only.
        #expect(Self.texts(try await v1(bob, "read_sms", [("folder", "sentitems")])) == ["bob's own"])
        #expect(Self.texts(try await v1(bob, "read_sms", [("folder", "outbox")])).isEmpty)
        let rpc = try await gateway.post(
            "/jsonrpc/sms",
            json: #"{"method":"sms.read_sms","params":{"access_token":"\#(bob)","folder":"sentitems"}}"#
        )
        #expect(!rpc.body.contains("OTP"), "\(rpc.body)")
        #expect(rpc.body.contains("bob's own"), "\(rpc.body)")
        let listed = try await gateway.apiv2("GET", "/messages/sentitems", token: bob)
        let listedTexts = (listed.body as? [[String: Any]])?.compactMap { $0["text"] as? String }
        #expect(listedTexts == ["bob's own"], "\(String(describing: listed.body))")
        #expect(try await gateway.apiv2("GET", "/messages/sentitems/\(aliceID)", token: bob).status == 404)

        // Admin and the all-users grant see both.
        #expect(
            Set(Self.texts(try await v1(admin, "read_sms", [("folder", "sentitems")]))) == ["OTP 123456", "bob's own"]
        )
        #expect(
            Set(Self.texts(try await v1(auditor, "read_sms", [("folder", "sentitems")]))) == [
                "OTP 123456", "bob's own",
            ]
        )
        #expect(Self.texts(try await v1(auditor, "read_sms", [("folder", "outbox")])) == ["scheduled OTP"])

        // Bob's deletes do not reach Alice's messages, sent or scheduled.
        for (folder, id) in [("sentitems", aliceID), ("outbox", laterID)] {
            #expect(try await v1(bob, "delete_sms", [("folder", folder), ("idfrom", id), ("idto", id)]) == "OK")
        }
        #expect(try await gateway.apiv2("DELETE", "/messages/outbox/\(laterID)", token: bob).status == 404)
        #expect(Self.texts(try await v1(alice, "read_sms", [("folder", "sentitems")])) == ["OTP 123456"])
        #expect(Self.texts(try await v1(alice, "read_sms", [("folder", "outbox")])) == ["scheduled OTP"])
        // Counts are the gateway's figures, as monitoring checks read them.
        #expect(try await v1(bob, "get_sentitems_length") == "2")
        // Alice deletes her own.
        #expect(
            try await v1(alice, "delete_sms", [("folder", "outbox"), ("idfrom", laterID), ("idto", laterID)]) == "OK"
        )
        #expect(Self.texts(try await v1(admin, "read_sms", [("folder", "outbox")])).isEmpty)
    }

    @Test("webhooks to internal addresses are refused, and the owner cannot tell a closed port from an open one")
    func webhooksDoNotReachInternalAddresses() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { receiver.stop() }
        let gateway = try GatewayProcess()
        try await gateway.start(config: "webhooks:\n  first_retry: 200ms\n  max_retry_interval: 1s\n  timeout: 1s\n")
        defer { _ = gateway.stop() }
        let token = try gateway.addUser("alice", methods: "send_sms,read_sms")
        let closed = try Self.closedPort()
        // An open port (the receiver), a closed one, and a name that resolves to loopback.
        let targets = [receiver.url, "http://127.0.0.1:\(closed)/hook", "http://localhost:\(receiver.port)/hook"]
        var hooks: [Int] = []
        for url in targets {
            hooks.append(try await WebhookTests.addWebhook(gateway, token: token, ["url": url]).id)
        }
        #expect(
            try await gateway.apiv1(user: "alice")("send_sms", [("to", "+15550000001"), ("message", "hi")]).hasPrefix(
                "OK"
            )
        )
        var errors: [Int: Set<String>] = [:]
        _ = try await eventually("two failed attempts of every webhook") { () -> Bool? in
            for hook in hooks {
                let answer = try await gateway.apiv2("GET", "/webhooks/\(hook)/deliveries", token: token)
                let deliveries = answer.body as? [[String: Any]] ?? []
                errors[hook] = Set(deliveries.compactMap { $0["last_error"] as? String })
                guard deliveries.contains(where: { ($0["attempts"] as? Int ?? 0) >= 2 }) else { return nil }
            }
            return true
        }
        #expect(receiver.requests.isEmpty, "the receiver on loopback was reached: \(receiver.requests)")
        #expect(Set(errors.values.flatMap { $0 }) == ["no HTTP answer from the receiver"], "\(errors)")
        #expect(gateway.log.contains("an internal address; an admin may allow it in webhooks.allowed_networks"))
    }

    @Test("2,000 idle connections leave the API answering; slow and surplus connections are closed")
    func idleConnectionsDoNotStopTheAPI() async throws {
        Self.raiseOpenFileLimit()
        let gateway = try GatewayProcess()
        try await gateway.start(config: "http:\n  header_timeout: 2s\n  max_connections: 2100\n")
        defer { _ = gateway.stop() }
        let port = gateway.port
        var sockets = try (0..<2000).map { _ in try Self.connect(port: port) }
        defer { Self.closeAll(sockets) }
        // One of them has sent half a request's head.
        _ = "GET /http_api/get_queue_length HTTP/1.1\r\nHost: x\r\n".withCString { send(sockets[0], $0, strlen($0), 0) }
        let api = try gateway.apiv1()
        let start = ContinuousClock.now
        #expect(try await api("get_queue_length") == "0")
        let took = ContinuousClock.now - start
        #expect(took < .seconds(1), "answered after \(took)")
        // After the header timeout, the server has closed them (a read sees the end).
        _ = try await eventually(timeout: .seconds(10), "the idle connections closed by the server") {
            Self.isClosedByPeer(sockets[0]) && Self.isClosedByPeer(sockets[1999]) ? true : nil
        }
        Self.closeAll(sockets)
        sockets = []

        // Past max_connections, new connections are closed at once, and the log says so.
        let small = try GatewayProcess()
        try await small.start(config: "http:\n  max_connections: 20\n")
        defer { _ = small.stop() }
        let held = try (0..<20).map { _ in try Self.connect(port: small.port) }
        defer { Self.closeAll(held) }
        let surplus = try Self.connect(port: small.port)
        defer { close(surplus) }
        _ = try await small.waitForLog("connection limit reached")
        _ = try await eventually(timeout: .seconds(5), "the surplus connection closed") {
            Self.isClosedByPeer(surplus) ? true : nil
        }
        #expect(!Self.isClosedByPeer(held[0]), "a connection within the limit was closed")
    }

    @Test("a valid token passes while its address is blocked; passwords are limited per address and per login")
    func limiterNeverRefusesValidTokens() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start(config: "http:\n  trusted_proxies: [127.0.0.1]\n")
        defer { _ = gateway.stop() }
        let token = try gateway.createToken()
        let password = try GatewayProcess.run(
            ["user", "set-password", "--data-dir", gateway.dataDirectory, "api"],
            input: "correct horse\n"
        )
        #expect(password.status == 0, "\(password.stderr)")
        func v1(_ parameters: [(String, String)]) async throws -> String {
            try await gateway.get("/http_api/get_queue_length", parameters).body
        }
        var answers: [String] = []
        for attempt in 0..<12 { answers.append(try await v1([("access_token", "guess\(attempt)")])) }
        #expect(answers.prefix(9).allSatisfy { $0 == "Invalid access token" }, "\(answers)")
        #expect(answers.suffix(3).allSatisfy { $0 == "Too many failed attempts; try again later" }, "\(answers)")
        // The real client behind the same address still gets through.
        #expect(try await v1([("access_token", token)]) == "0")
        // Passwords: the address is blocked, so even the right password is not checked.
        #expect(
            try await v1([("login", "api"), ("pass", "correct horse")]) == "Too many failed attempts; try again later"
        )

        // Behind a trusted proxy, the forwarded address counts: another client is not blocked.
        let forwarded = try await gateway.request(
            "/http_api/get_queue_length?access_token=wrong",
            method: .GET,
            headers: ["X-Forwarded-For": "198.51.100.7"]
        )
        #expect(forwarded.body == "Invalid access token", "\(forwarded.body)")
        // The rules API takes the APIv2 header and says when it blocks.
        let rules = try await gateway.request(
            "/swiftlet/v1/rules",
            method: .GET,
            headers: ["access-token": "wrong", "X-Forwarded-For": "198.51.100.8"]
        )
        #expect(rules.status == 401, "\(rules.body)")
        #expect(gateway.log.contains("refusing for one window"))
        #expect(!gateway.log.contains(token))
    }

    @Test("a text with NUL or another control character is refused, never acknowledged and sent shorter")
    func controlCharactersAreRefused() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { _ = gateway.stop() }
        let api = try gateway.apiv1()
        #expect(
            try await gateway.get("/http_api/send_sms?access_token=\(api.token)&to=%2B15550000001&message=ab%00cd").body
                == "Wrong parameters"
        )
        let rpc = try await gateway.post(
            "/jsonrpc/sms",
            json:
                #"{"method":"sms.send_sms","params":{"access_token":"\#(api.token)","to":"+15550000001","message":"ab\u0000cd"}}"#
        )
        #expect(rpc.body == #"{"result":"Wrong parameters"}"#, "\(rpc.body)")
        let v2 = try await gateway.apiv2(
            "POST",
            "/messages/sms",
            token: api.token,
            json: ["to": ["+15550000001"], "text": "ab\u{1}cd"]
        )
        #expect(v2.status == 400, "\(String(describing: v2.body))")
        #expect("\(String(describing: v2.body))".contains("U+0001"))
        // Line breaks, tabs and form feeds are text.
        #expect(try await api("send_sms", [("to", "+15550000001"), ("message", "a\r\nb\tc")]).hasPrefix("OK"))
        let received = try await eventually("the one good message") {
            let list = try gateway.simulatorReceived()
            return list.isEmpty ? nil : list
        }
        #expect(received.compactMap { $0["text"] as? String } == ["a\r\nb\tc"])
        #expect(try await api("get_queue_length") == "0")
    }

    @Test("a recipient the network refuses does not bench the only modem")
    func badRecipientLeavesTheModemSending() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start(
            config: """
                dispatcher:
                  retry_delay: 100ms
                  bench_after: 3
                simulator:
                  refused_numbers: ["+15550000666"]
                """
        )
        defer { _ = gateway.stop() }
        let api = try gateway.apiv1()
        #expect(try await api("send_sms", [("to", "+15550000666"), ("message", "never")]).hasPrefix("OK"))
        _ = try await eventually("the refused message given up") {
            try await api("get_sendingerror_length") == "1" ? true : nil
        }
        #expect(try await api("send_sms", [("to", "+15550000001"), ("message", "good")]).hasPrefix("OK"))
        _ = try await eventually(timeout: .seconds(10), "the good message sent at once") {
            try gateway.simulatorReceived().contains { $0["text"] as? String == "good" } ? true : nil
        }
        #expect(
            !gateway.logged("modem failed messages in a row; not using it for a while"),
            "the only modem was benched"
        )
    }

    @Test("small findings: plugins list with a missing plugin, JSON numbers out of range, far dates, transfer codings")
    func smallFindings() async throws {
        let gateway = try GatewayProcess()
        let plugins = gateway.dataDirectory + "-plugins"
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        let config = "plugin_directory: \(plugins)\nplugins:\n  nosuch: {}\n"
        let configFile = gateway.dataDirectory + "-list.yaml"
        try config.write(toFile: configFile, atomically: true, encoding: .utf8)
        let list = try GatewayProcess.run([
            "plugins", "list", "--config", configFile, "--data-dir", gateway.dataDirectory,
        ])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("enabled but not installed"), "\(list.stdout)")

        try await gateway.start()
        defer { _ = gateway.stop() }
        let token = try gateway.createToken()
        let huge = try await gateway.request(
            "/api/v2/messages/sms",
            method: .POST,
            token: token,
            body: #"{"to":["+15550000001"],"text":"x","priority":1e400}"#
        )
        #expect(huge.status == 400)
        #expect(huge.body.contains("not valid JSON"), "\(huge.body)")
        for date in ["9999-01-01T00:00:00Z", "99999-01-01T00:00:00Z"] {
            let far = try await gateway.apiv2(
                "POST",
                "/messages/sms",
                token: token,
                json: ["to": ["+15550000001"], "text": "x", "date": date]
            )
            #expect(far.status == 400, "\(date): \(String(describing: far.body))")
        }
        let gzip = try await Self.raw(
            port: gateway.port,
            "POST /http_api/send_sms HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n"
        )
        #expect(gzip.hasPrefix("HTTP/1.1 501"), "\(gzip)")
        #expect(gzip.contains("Transfer-Encoding gzip, chunked is not supported"), "\(gzip)")
    }

    // MARK: - Sockets

    static func raiseOpenFileLimit() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = max(limit.rlim_cur, min(limit.rlim_max, 16384))
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// A TCP connection to 127.0.0.1:`port`.
    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw TestFailure("connect: \(String(cString: strerror(errno)))")
        }
        return fd
    }

    static func closeAll(_ sockets: [Int32]) {
        for socket in sockets { close(socket) }
    }

    /// Whether the other side closed `fd` (a read without waiting sees the end or a reset).
    static func isClosedByPeer(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// A port nothing listens on.
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 ? getsockname(fd, pointer, &length) : -1
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Sends `request` as it is and returns what the server answered before closing or within 5 s.
    static func raw(port: Int, _ request: String) async throws -> String {
        try await raw(port: port, Array(request.utf8)) { answer in
            String(decoding: answer, as: UTF8.self).contains("\r\n\r\n") && answer.count > 200
        }
    }

    /// Sends `request` (octets as given) on a new connection and reads until the server closes it,
    /// 10 s pass, or `done` says the answer is complete.
    static func raw(
        port: Int,
        _ request: [UInt8],
        until done: ([UInt8]) -> Bool = { _ in false }
    ) async throws
        -> String
    {
        let fd = try connect(port: port)
        defer { close(fd) }
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var answer = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            answer += buffer[0..<count]
            if done(answer) { break }
        }
        return String(decoding: answer, as: UTF8.self)
    }
}
