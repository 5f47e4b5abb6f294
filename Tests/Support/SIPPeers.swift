import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// SIP peers on loopback for the voice plugin's tests (../shared/TEST-PEERS.md): a second baresip
/// that answers and records what it hears, and SIPp (Debian `sip-tester`) playing a scenario.
public enum SIPPeers {
    /// A UDP/TCP port whose next port is free too: baresip binds SIP over TLS on PORT+1.
    public static func freePortPair() -> Int {
        // freePort hands out ports in order: taking the next one too keeps it from being handed
        // out again (to a control port that would then collide with SIP over TLS).
        while true {
            let port = MosquittoBroker.freePort()
            if MosquittoBroker.freePort() == port + 1 { return port }
        }
    }
}

/// A baresip that answers calls to `number` at once (G.711), plays silence, records what it hears
/// (module sndfile: `*-dec.wav` in `directory`), and presses keys when told (`sndcode`, RFC 4733).
public final class BaresipCallee: @unchecked Sendable {
    // @unchecked: used by one test at a time.
    public let number: String
    public let port: Int
    public let directory: String
    let controlPort: Int
    private var process: DaemonProcess?

    public init(number: String) async throws {
        self.number = number
        port = SIPPeers.freePortPair()
        controlPort = MosquittoBroker.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("callee-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/recordings", withIntermediateDirectories: true)
        // 30 s of silence at 8 kHz: what the callee says back.
        var silence = Data("RIFF".utf8)
        let samples = 8000 * 30
        func u32(_ value: Int) { withUnsafeBytes(of: UInt32(value).littleEndian) { silence.append(contentsOf: $0) } }
        func u16(_ value: Int) { withUnsafeBytes(of: UInt16(value).littleEndian) { silence.append(contentsOf: $0) } }
        u32(36 + 2 * samples)
        silence.append(contentsOf: Array("WAVEfmt ".utf8))
        u32(16)
        u16(1)
        u16(1)
        u32(8000)
        u32(16000)
        u16(2)
        u16(16)
        silence.append(contentsOf: Array("data".utf8))
        u32(2 * samples)
        silence.append(Data(count: 2 * samples))
        try silence.write(to: URL(fileURLWithPath: directory + "/silence.wav"))
        try """
        sip_listen 127.0.0.1:\(port)
        module_path /usr/lib/baresip/modules
        module g711.so
        module aufile.so
        module sndfile.so
        module account.so
        module menu.so
        module ctrl_tcp.so
        ctrl_tcp_listen 127.0.0.1:\(controlPort)
        audio_player aufile,/dev/null
        audio_source aufile,\(directory)/silence.wav
        snd_path \(directory)/recordings

        """.write(toFile: directory + "/config", atomically: true, encoding: .utf8)
        try "<sip:\(number)@127.0.0.1:\(port)>;regint=0;answermode=auto;audio_codecs=PCMU,PCMA\n"
            .write(toFile: directory + "/accounts", atomically: true, encoding: .utf8)
        process = try DaemonProcess("/usr/bin/baresip", ["-f", directory], output: directory + "/baresip.log")
        try await eventually("baresip (callee) on its control port \(controlPort)") {
            try? await self.command("help")
        }
    }

    deinit { process?.stopInBackground(signal: SIGKILL) }

    /// The recordings of what it heard, one per call (oldest first).
    public func recordings() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/recordings")) ?? []
        return names.filter { $0.hasSuffix("-dec.wav") }.sorted().map { directory + "/recordings/" + $0 }
    }

    /// The recording of the `n`th call (from 1), once baresip has closed it. The gateway may log
    /// its call as ended before the callee has closed the file, whose WAV header (written again by
    /// libsndfile at the close) still says it holds nothing until then.
    public func finishedRecording(_ n: Int = 1) async throws -> String {
        try await eventually(timeout: .seconds(10), "the callee's recording of call \(n), closed") {
            let recordings = self.recordings()
            guard recordings.count >= n else { return nil }
            return Self.isClosed(wav: recordings[n - 1]) ? recordings[n - 1] : nil
        }
    }

    /// Whether a WAV file's RIFF header accounts for the whole file (libsndfile writes the sizes
    /// when it closes the file).
    static func isClosed(wav path: String) -> Bool {
        guard let bytes = try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path))), bytes.count > 44 else {
            return false
        }
        let riff = Int(bytes[4]) | Int(bytes[5]) << 8 | Int(bytes[6]) << 16 | Int(bytes[7]) << 24
        return riff + 8 == bytes.count
    }

    /// Presses `key` in the call in progress (an RFC 4733 telephone-event).
    public func press(_ key: String) async throws {
        _ = try await command("sndcode", key)
    }

    /// Sends a command over baresip's control connection (netstrings of JSON); its answer's `data`.
    func command(_ command: String, _ params: String = "") async throws -> String {
        let port = controlPort
        return try await Task.detached {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else { throw TestFailure("baresip's control port \(port) is closed") }
            let json = try JSONSerialization.data(withJSONObject: ["command": command, "params": params, "token": "t"])
            var frame = Data("\(json.count):".utf8)
            frame.append(json)
            frame.append(UInt8(ascii: ","))
            _ = frame.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var received = Data()
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = recv(fd, &chunk, chunk.count, 0)
                guard count > 0 else { throw TestFailure("baresip did not answer '\(command)'") }
                received.append(contentsOf: chunk[0..<count])
                // Frames: events may come first; the answer is the one with "response".
                var text = Substring(String(decoding: received, as: UTF8.self))
                while let colon = text.firstIndex(of: ":"), let length = Int(text[..<colon]) {
                    let body = text[text.index(after: colon)...]
                    guard body.utf8.count > length else { break }
                    let frameBody = String(body.utf8.prefix(length))!
                    let object = try JSONSerialization.jsonObject(with: Data(frameBody.utf8)) as? [String: Any]
                    if object?["response"] as? Bool == true {
                        guard object?["ok"] as? Bool == true else {
                            throw TestFailure("baresip refused '\(command)': \(object?["data"] ?? "")")
                        }
                        return object?["data"] as? String ?? ""
                    }
                    text = body.dropFirst(frameBody.count + 1)
                }
            }
        }.value
    }
}

/// SIPp (Debian `sip-tester`) as the far end, playing `scenario` (SIPp's XML) on a free port.
public final class SIPpPeer: @unchecked Sendable {
    public let port: Int
    public let directory: String
    private var process: DaemonProcess?

    public init(scenario: String) throws {
        port = SIPPeers.freePortPair()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sipp-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try scenario.write(toFile: directory + "/scenario.xml", atomically: true, encoding: .utf8)
        process = try DaemonProcess(
            "/usr/bin/sipp",
            [
                "-sf", directory + "/scenario.xml", "-i", "127.0.0.1", "-p", String(port), "-mp",
                String(MosquittoBroker.freePort()), "-nostdin", "-trace_err", "-error_file", directory + "/errors.log",
            ],
            output: directory + "/sipp.log"
        )
    }

    deinit { process?.stopInBackground(signal: SIGKILL) }

    /// A UAS that answers every INVITE with `status` (e.g. "486 Busy Here").
    public static func refusing(_ status: String) -> String {
        """
        <?xml version="1.0" encoding="ISO-8859-1" ?>
        <scenario name="refuse">
          <recv request="INVITE"/>
          <send><![CDATA[

        SIP/2.0 \(status)
        [last_Via:]
        [last_From:]
        [last_To:];tag=[pid]SIPpTag01[call_number]
        [last_Call-ID:]
        [last_CSeq:]
        Content-Length: 0

          ]]></send>
          <recv request="ACK"/>
        </scenario>
        """
    }

    /// A UAS that rings and never answers, until the caller cancels.
    public static let ringing = """
        <?xml version="1.0" encoding="ISO-8859-1" ?>
        <scenario name="ring">
          <recv request="INVITE"/>
          <send><![CDATA[

        SIP/2.0 180 Ringing
        [last_Via:]
        [last_From:]
        [last_To:];tag=[pid]SIPpTag01[call_number]
        [last_Call-ID:]
        [last_CSeq:]
        Content-Length: 0

          ]]></send>
          <recv request="CANCEL"/>
          <send><![CDATA[

        SIP/2.0 200 OK
        [last_Via:]
        [last_From:]
        [last_To:]
        [last_Call-ID:]
        [last_CSeq:]
        Content-Length: 0

          ]]></send>
        </scenario>
        """
}

/// The loudness of a recording in 20 ms frames: enough to tell one spoken sentence from another
/// however it was coded on the way (G.711, resampling).
public enum SpeechEnvelope {
    /// RMS per 20 ms of a 16-bit PCM WAV file (channels mixed).
    public static func of(wav path: String) throws -> [Double] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        var offset = 12
        var rate = 0
        var channels = 1
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = u32(offset + 4)
            if id == "fmt " {
                channels = u16(offset + 10)
                rate = u32(offset + 12)
            } else if id == "data", rate > 0 {
                var samples: [Double] = []
                var at = offset + 8
                let end = min(bytes.count, at + size)
                while at + 2 * channels <= end {
                    samples.append(Double(Int16(bitPattern: UInt16(u16(at)))))
                    at += 2 * channels
                }
                let frame = rate / 50
                return stride(from: 0, to: samples.count - frame, by: frame).map { start in
                    (samples[start..<start + frame].reduce(0) { $0 + $1 * $1 } / Double(frame)).squareRoot()
                }
            }
            offset += 8 + size + (size & 1)
        }
        throw TestFailure("\(path) is not a PCM WAV file")
    }

    /// The best Pearson correlation of `reference` with `recording` started up to 2 s later.
    public static func match(_ recording: [Double], _ reference: [Double]) -> Double {
        (0...100).map { lag -> Double in
            let a = Array(recording.dropFirst(lag).prefix(reference.count))
            let b = Array(reference.prefix(a.count))
            guard a.count > 10 else { return 0 }
            let meanA = a.reduce(0, +) / Double(a.count)
            let meanB = b.reduce(0, +) / Double(b.count)
            var product = 0.0
            var squaresA = 0.0
            var squaresB = 0.0
            for (x, y) in zip(a, b) {
                product += (x - meanA) * (y - meanB)
                squaresA += (x - meanA) * (x - meanA)
                squaresB += (y - meanB) * (y - meanB)
            }
            return squaresA > 0 && squaresB > 0 ? product / (squaresA * squaresB).squareRoot() : 0
        }.max() ?? 0
    }
}

extension SIPpPeer {
    /// A registrar that challenges a REGISTER (digest, realm swiftlet.test) and accepts `user` with
    /// `password`, or answers 403 Forbidden.
    public static func registrar(user: String, password: String) -> String {
        func answer(_ status: String, _ extra: String = "") -> String {
            """
              <send><![CDATA[

            SIP/2.0 \(status)
            [last_Via:]
            [last_From:]
            [last_To:];tag=[pid]SIPpTag01[call_number]
            [last_Call-ID:]
            [last_CSeq:]
            \(extra)Content-Length: 0

              ]]></send>
            """
        }
        return """
            <?xml version="1.0" encoding="ISO-8859-1" ?>
            <scenario name="registrar">
              <recv request="REGISTER"/>
            \(answer("401 Unauthorized", "WWW-Authenticate: Digest realm=\"swiftlet.test\", nonce=\"47364c23432d2e131a5fb210812c\"\n"))
              <recv request="REGISTER">
                <action>
                  <verifyauth assign_to="authvalid" username="\(user)" password="\(password)"/>
                </action>
              </recv>
              <nop hide="true" test="authvalid" next="good"/>
            \(answer("403 Forbidden").replacingOccurrences(of: "<send>", with: "<send next=\"end\">"))
              <label id="good"/>
            \(answer("200 OK", "[last_Contact:];expires=600\n"))
              <label id="end"/>
            </scenario>
            """
    }
}
