import Foundation
import SwiftletPluginSDK

/// The plugin's section of the gateway configuration (the manifest says what each key means).
public struct VoiceConfiguration: Decodable, Sendable {
    public var listen: String?
    public var account: Account?
    public var dial: String?
    public var language: String?
    public var rate: Int?
    public var voices: [VoiceModel]?
    public var pause: Double?
    public var hangUpOnKey: Bool?
    public var clipsDirectory: String?
    public var ttsCommand: [String]?
    public var workDirectory: String?
    public var controlPort: Int?
    public var rtpPorts: String?
    public var baresip: String?
    public var modulePath: String?
    public var baresipLog: String?

    public struct Account: Decodable, Sendable {
        public var user: String
        public var password: String?
        public var authUser: String?
        public var domain: String
        public var registrar: String?
        public var transport: String?
        public var registerInterval: Int?
    }

    /// A voice model: what APIv2 `tts_advanced`'s `voice_id` names.
    public struct VoiceModel: Decodable, Sendable {
        public var id: Int
        public var language: String
        public var rate: Int?
        public var pitch: Int?
    }
}

/// The configuration checked, with the defaults applied.
struct Settings: Sendable {
    struct Account: Sendable {
        var user: String
        var password: String
        var authUser: String
        var domain: String
        var registrar: String?
        var transport: String
        var registerInterval: Int
    }

    var listen: String
    var account: Account
    var dial: String
    var language: String
    var rate: Int
    var voices: [Int: Speech.Voice]
    var pause: Double
    var hangUpOnKey: Bool
    var clipsDirectory: String
    var ttsCommand: [String]
    var directory: URL
    var controlPort: Int
    var rtpPorts: String
    var baresip: String
    var modulePath: String
    var baresipLog: String

    /// The voice models a gateway has without configuring any: ids 1–7, the languages SMSEagle's
    /// Nordic and Central European customers ask for.
    static let standardVoices: [Int: Speech.Voice] = [
        1: .init(name: "en"), 2: .init(name: "sv"), 3: .init(name: "de"), 4: .init(name: "pl"),
        5: .init(name: "nb"), 6: .init(name: "da"), 7: .init(name: "fi"),
    ]

    init(_ configuration: VoiceConfiguration) throws(PluginError) {
        func invalid(_ text: String) -> PluginError { PluginError(.invalid, text) }
        /// Values that end up in baresip's account line or dial command: no spaces, quotes, angle
        /// brackets, semicolons or line breaks, which would let one setting rewrite another.
        func plain(_ value: String, _ key: String) throws(PluginError) -> String {
            let forbidden = CharacterSet(charactersIn: " \t\r\n<>;\"',\\").union(.controlCharacters)
            guard !value.isEmpty, value.unicodeScalars.allSatisfy({ !forbidden.contains($0) }) else {
                throw invalid("\(key): '\(value)' may not be empty or hold spaces, quotes, <, >, ; or commas")
            }
            return value
        }
        listen = try plain(configuration.listen ?? "0.0.0.0:5060", "listen")
        guard let port = listen.split(separator: ":").last.flatMap({ Int($0) }), (1...65535).contains(port) else {
            throw invalid("listen: '\(listen)' is not HOST:PORT")
        }
        let host = String(listen.dropLast(String(port).count + 1))
        if let given = configuration.account {
            let transport = given.transport ?? "udp"
            guard ["udp", "tcp", "tls"].contains(transport) else { throw invalid("account.transport: udp, tcp or tls") }
            account = Account(
                user: try plain(given.user, "account.user"),
                password: try given.password.map { value throws(PluginError) in try plain(value, "account.password") }
                    ?? "",
                authUser: try plain(given.authUser ?? given.user, "account.auth_user"),
                domain: try plain(given.domain, "account.domain"),
                registrar: try given.registrar.map { value throws(PluginError) in try plain(value, "account.registrar")
                },
                transport: transport,
                registerInterval: given.registerInterval ?? 600
            )
        } else {
            account = Account(
                user: "swiftlet",
                password: "",
                authUser: "swiftlet",
                domain: host == "0.0.0.0" ? "127.0.0.1" : host,
                registrar: nil,
                transport: "udp",
                registerInterval: 0
            )
        }
        // The dial command takes one URI, parameters (;user=phone) included.
        dial = configuration.dial ?? "sip:{number}@\(account.domain)"
        let unsafe = CharacterSet(charactersIn: " \t\r\n<>\"'\\").union(.controlCharacters)
        guard dial.hasPrefix("sip:") || dial.hasPrefix("sips:"), dial.contains("{number}"),
            dial.unicodeScalars.allSatisfy({ !unsafe.contains($0) })
        else {
            throw invalid("dial: '\(dial)' must be a sip: or sips: URI holding {number}, without spaces or quotes")
        }
        language = configuration.language ?? "en"
        rate = configuration.rate ?? 150
        var voices = Self.standardVoices
        for model in configuration.voices ?? [] {
            voices[model.id] = Speech.Voice(name: model.language, rate: model.rate ?? rate, pitch: model.pitch ?? 50)
        }
        self.voices = voices
        pause = configuration.pause ?? 1
        hangUpOnKey = configuration.hangUpOnKey ?? true
        clipsDirectory = configuration.clipsDirectory ?? ""
        ttsCommand = configuration.ttsCommand ?? []
        if let program = ttsCommand.first, !program.hasPrefix("/") {
            throw invalid("tts_command: the program must be an absolute path, not '\(program)'")
        }
        let work = configuration.workDirectory ?? ""
        directory = URL(
            fileURLWithPath: work.isEmpty
                ? FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-voice-\(getuid())-\(port)")
                    .path
                : work
        )
        // baresip reads a file source as "aufile,PATH" and its configuration line by line.
        guard !directory.path.contains(where: { ",\r\n".contains($0) }) else {
            throw invalid(
                "work_directory: '\(work)' may not hold commas or line breaks (baresip reads it as MODULE,PATH)"
            )
        }
        controlPort = configuration.controlPort ?? 0
        rtpPorts = try plain(configuration.rtpPorts ?? "10000-20000", "rtp_ports")
        baresip = configuration.baresip ?? "/usr/bin/baresip"
        guard FileManager.default.isExecutableFile(atPath: baresip) else {
            throw invalid("baresip: no program at \(baresip) (Debian: apt-get install baresip-core)")
        }
        modulePath = configuration.modulePath ?? "/usr/lib/baresip/modules"
        baresipLog = configuration.baresipLog ?? ""
    }

    /// The SIP URI a number is called at, or nil when `number` is not a phone number.
    func uri(for number: String) -> String? {
        let allowed = CharacterSet(charactersIn: "+0123456789*#")
        guard (1...32).contains(number.count), number.unicodeScalars.allSatisfy({ allowed.contains($0) }) else {
            return nil
        }
        return dial.replacingOccurrences(of: "{number}", with: number)
    }

    /// baresip's `config`: only the modules a headless call needs; the control port on loopback.
    func baresipConfig(controlPort: Int, silence: URL) -> String {
        """
        # Written by Swiftlet's voice plugin at every start; changes here are lost.
        poll_method\t\tepoll
        sip_listen\t\t\(listen)
        call_local_timeout\t120
        call_max_calls\t\t1
        rtp_ports\t\t\(rtpPorts)
        module_path\t\t\(modulePath)
        module\t\t\tg711.so
        module\t\t\taufile.so
        module\t\t\taccount.so
        module\t\t\tmenu.so
        module\t\t\tctrl_tcp.so
        ctrl_tcp_listen\t\t127.0.0.1:\(controlPort)
        audio_player\t\taufile,/dev/null
        audio_source\t\taufile,\(silence.path)

        """
    }

    /// The SIP account, as baresip's `uanew` takes it; registering (with digest credentials) when
    /// a registrar is set.
    var baresipAccount: String {
        var line = "<sip:\(account.user)@\(account.domain);transport=\(account.transport)>"
        line += ";answermode=manual;audio_codecs=PCMU,PCMA"
        if let registrar = account.registrar {
            line += ";auth_user=\(account.authUser)"
            if !account.password.isEmpty { line += ";auth_pass=\(account.password)" }
            line += ";outbound=\"sip:\(registrar);transport=\(account.transport)\";regint=\(account.registerInterval)"
        } else {
            line += ";regint=0"
        }
        return line
    }
}
