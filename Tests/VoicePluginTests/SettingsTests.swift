import Foundation
import SwiftletPluginSDK
import SwiftletPluginTestKit
import Testing

@testable import VoicePlugin

@Suite struct SettingsTests {
    func make(_ yaml: [String: Any]) throws -> Settings {
        let data = try JSONSerialization.data(withJSONObject: yaml)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try Settings(try decoder.decode(VoiceConfiguration.self, from: data))
    }

    @Test func defaultsCallStraightToSIPAddressesWithoutRegistering() throws {
        let settings = try make([:])
        #expect(settings.listen == "0.0.0.0:5060")
        #expect(settings.dial == "sip:{number}@127.0.0.1")
        #expect(settings.account.registrar == nil)
        #expect(settings.baresipAccount.hasSuffix(";regint=0"))
        #expect(settings.voices[2] == Speech.Voice(name: "sv"))
        #expect(settings.directory.lastPathComponent == "swiftlet-voice-\(getuid())-5060")
    }

    @Test func aRegistrarAccountCarriesItsCredentials() throws {
        let settings = try make([
            "account": ["user": "2001", "password": "pw", "domain": "pbx.example.com", "registrar": "10.0.0.5:5060"],
            "dial": "sip:{number}@pbx.example.com;user=phone",
        ])
        #expect(
            settings.baresipAccount
                == "<sip:2001@pbx.example.com;transport=udp>;answermode=manual;audio_codecs=PCMU,PCMA;auth_user=2001"
                + ";auth_pass=pw;outbound=\"sip:10.0.0.5:5060;transport=udp\";regint=600"
        )
        #expect(settings.uri(for: "+46701234567") == "sip:+46701234567@pbx.example.com;user=phone")
    }

    /// A setting that could rewrite baresip's account line, or a number that could rewrite the
    /// dial command, is refused.
    @Test func injectionIsRefused() throws {
        #expect(throws: PluginError.self) { try make(["account": ["user": "2001>;x=1", "domain": "d"]]) }
        #expect(throws: PluginError.self) {
            try make(["account": ["user": "2001", "password": "a;outbound=sip:evil", "domain": "d"]])
        }
        #expect(throws: PluginError.self) { try make(["dial": "sip:{number}@d\nhangup"]) }
        #expect(throws: PluginError.self) { try make(["dial": "http://{number}"]) }
        #expect(throws: PluginError.self) { try make(["listen": "nowhere"]) }
        #expect(throws: PluginError.self) { try make(["tts_command": ["piper"]]) }
        #expect(throws: PluginError.self) { try make(["baresip": "/nonexistent/baresip"]) }
        #expect(throws: PluginError.self) { try make(["work_directory": "/var/lib/a,b"]) }
        let settings = try make(["dial": "sip:{number}@pbx"])
        #expect(settings.uri(for: "+4670 123") == nil)
        #expect(settings.uri(for: "123@evil") == nil)
        #expect(settings.uri(for: "") == nil)
        #expect(settings.uri(for: "*21#") == "sip:*21#@pbx")
    }

    @Test func howAnUnansweredCallEndedComesFromTheSIPAnswer() {
        #expect(VoicePlugin.result(of: "486 Busy Here") == .busy)
        #expect(VoicePlugin.result(of: "600 Busy Everywhere") == .busy)
        #expect(VoicePlugin.result(of: "603 Decline") == .rejected)
        #expect(VoicePlugin.result(of: "480 Temporarily Unavailable") == .noAnswer)
        #expect(VoicePlugin.result(of: "404 Not Found") == .failed)
        #expect(VoicePlugin.result(of: "Connection refused") == .failed)
    }

    /// Every language the issue names has a voice, and speech is sound: it renders at eSpeak NG's
    /// rate and lasts about as long as the words take to say.
    @Test(arguments: ["en", "sv", "de", "pl", "no", "da", "fi"])
    func languagesSpeak(_ language: String) throws {
        let audio = try Speech.render("one two three four five six", voice: Speech.Voice(name: language))
        #expect(audio.rate == 22050)
        #expect((1.0...6.0).contains(audio.seconds), "\(audio.seconds) s")
        #expect(audio.samples.contains { abs(Int($0)) > 3000 })
        #expect(throws: Speech.Failure.self) { try Speech.render("x", voice: Speech.Voice(name: "zz-nowhere")) }
    }
}

/// The audio a call plays, from the plugin itself (with the SDK's fake host).
@Suite struct CallAudioTests {
    func plugin(_ configuration: [String: Any]) throws -> VoicePlugin {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let data = try JSONSerialization.data(withJSONObject: configuration)
        return try VoicePlugin(configuration: decoder.decode(VoiceConfiguration.self, from: data), host: FakeHost())
    }

    func request(_ mode: VoiceCallRequest.Mode, text: String? = nil, seconds: Int = 10) -> VoiceCallRequest {
        var request = VoiceCallRequest(id: 1, key: "k", to: "+46700000001", mode: mode)
        request.text = text
        request.maxSeconds = seconds
        return request
    }

    /// tts_command: the site's program gets the text on its standard input and writes the WAV; the
    /// call plays what it wrote, at 8 kHz, repeated to the call's duration. A program that fails
    /// fails the call's audio, saying how.
    @Test func externalSpeechProgram() async throws {
        let external = try plugin([
            "tts_command": ["/bin/sh", "-c", "espeak-ng -v \"$0\" -w \"$1\" --stdin", "{language}", "{output}"],
            "work_directory": FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path,
        ])
        try FileManager.default.createDirectory(at: external.settings.directory, withIntermediateDirectories: true)
        let audio = try await external.audio(for: request(.tts, text: "Pump two has stopped", seconds: 10))
        #expect(audio.rate == 8000)
        #expect((9.0...10.5).contains(audio.seconds), "\(audio.seconds) s")
        #expect(audio.samples.contains { abs(Int($0)) > 3000 })
        // The program spoke the text it was given: a longer text, a longer sound.
        let short = try await external.audio(for: request(.tts, text: "Pump", seconds: 1))
        let long = try await external.audio(
            for: request(.tts, text: "Pump two has stopped at the north station, call the engineer on duty", seconds: 1)
        )
        #expect(long.seconds > short.seconds + 2, "\(short.seconds) s and \(long.seconds) s")
        // A message far longer than the call's duration is cut 20 s after it.
        let speech = String(repeating: "The pump at the north station has stopped. ", count: 9)
        let cut = try await external.audio(for: request(.tts, text: speech, seconds: 1))
        #expect(abs(cut.seconds - 21) < 0.01, "\(cut.seconds) s")

        let failing = try plugin([
            "tts_command": ["/bin/false"], "work_directory": external.settings.directory.path,
        ])
        await #expect(throws: Speech.Failure.self) { try await failing.audio(for: request(.tts, text: "x")) }
    }

    @Test func ringCallsPlaySilenceAndClipsMustBeThere() async throws {
        let plain = try plugin([:])
        let ring = try await plain.audio(for: request(.ring, seconds: 1))
        #expect(ring.samples.allSatisfy { $0 == 0 })
        var clip = request(.audio)
        clip.audio = "../etc/passwd"
        await #expect(throws: Speech.Failure.self) { try await plain.audio(for: clip) }
        clip.audio = "3"
        await #expect(throws: Speech.Failure.self) { try await plain.audio(for: clip) }
    }
}
