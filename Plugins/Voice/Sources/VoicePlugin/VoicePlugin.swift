import Foundation
import SwiftletPluginSDK
import Synchronization

/// Plugin `voice` (ABI 1.4, role voice): places the gateway's calls over SIP with baresip, a
/// supervised child process, and speaks their text with eSpeak NG. One call at a time: the message
/// is rendered to 8 kHz audio, played from answer until it has filled the call's duration (baresip
/// hangs up when the file ends), keys pressed by the callee (RFC 4733) are collected, and the
/// first one ends the call a second later. How it ended comes from the SIP answer.
public final class VoicePlugin: VoiceProvider {
    public typealias Configuration = VoiceConfiguration
    public static let id = "voice"
    public static let version = "1.0.0"
    /// The provider name the gateway lists.
    static let providerName = "sip"

    let settings: Settings
    let host: any PluginHost
    private let baresip: Baresip
    private let router: EventRouter
    private let line = CallLine()
    /// The ids baresip gave the last calls: a late event of one (its CALL_CLOSED after the plugin
    /// gave up waiting for it) must not be taken for the next call's.
    private let pastCalls = Mutex<[String]>([])
    private let supervisor = Mutex<Task<Void, Never>?>(nil)

    public init(configuration: VoiceConfiguration, host: any PluginHost) throws {
        let settings = try Settings(configuration)
        self.settings = settings
        self.host = host
        let router = EventRouter(host: host, settings: settings)
        self.router = router
        baresip = Baresip(
            directory: settings.directory,
            executable: settings.baresip,
            controlPort: settings.controlPort == 0 ? Baresip.freePort() : settings.controlPort,
            logFile: settings.baresipLog,
            onEvent: { router.route($0) }
        )
    }

    public func start() async throws {
        try FileManager.default.createDirectory(
            at: settings.directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let silence = settings.directory.appendingPathComponent("silence.wav")
        try Audio.silence(1).wav.write(to: silence)
        try write(settings.baresipConfig(controlPort: baresip.controlPort, silence: silence), "config")
        // No account at start: it is added over the control connection once that is up, so that
        // its registration's outcome (REGISTER_OK, REGISTER_FAIL) is not missed.
        try write("", "accounts")
        try host.registerProvider(.voice, name: Self.providerName, schema: nil)
        // Not ready until baresip answers on its control port (a second): calls wait for it.
        host.reportHealth(.down, "starting baresip")
        supervisor.withLock { $0 = Task { await supervise() } }
    }

    public func stop() async {
        supervisor.withLock { $0?.cancel() }
        baresip.stop()
        await supervisor.withLock { $0 }?.value
    }

    private func write(_ text: String, _ name: String) throws {
        let url = settings.directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    }

    /// Keeps baresip running: restarts it when it ends, waiting longer after each failure (to a minute).
    private func supervise() async {
        var delay = Duration.seconds(1)
        while !Task.isCancelled {
            let (exits, exited) = AsyncStream.makeStream(of: Int32.self)
            do {
                try await baresip.launch { status in
                    exited.yield(status)
                    exited.finish()
                }
                do {
                    try await baresip.command("uanew", settings.baresipAccount)
                } catch {
                    // Not the error's text: baresip's answer repeats the account line, password included.
                    throw Baresip.Failure(description: "baresip refused the SIP account; check plugins.voice.account")
                }
                router.launched()
                delay = .seconds(1)
                var status: Int32 = 0
                for await value in exits { status = value }
                if Task.isCancelled { return }
                router.reportDown("baresip exited (status \(status)); restarting it in \(delay)")
            } catch {
                if Task.isCancelled { return }
                router.reportDown("\(error); trying again in \(delay)")
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(60))
        }
    }

    // MARK: Calls

    public func call(_ request: VoiceCallRequest) async throws -> VoiceCallResult {
        try await line.run { try await self.place(request) }
    }

    private func place(_ request: VoiceCallRequest) async throws -> VoiceCallResult {
        guard let uri = settings.uri(for: request.to) else {
            return VoiceCallResult(result: .failed, detail: "'\(request.to)' is not a number this plugin can call")
        }
        let audio: Audio
        do {
            audio = try await self.audio(for: request)
        } catch {
            return VoiceCallResult(result: .failed, detail: "cannot make the call's audio: \(error)")
        }
        let file = settings.directory.appendingPathComponent("call-\(request.id).wav")
        try audio.wav.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let (events, feed) = AsyncStream.makeStream(of: Baresip.Event.self)
        router.follow(feed)
        defer { router.follow(nil) }
        await baresip.waitUntilConnected()
        do {
            try await baresip.command("ausrc", "aufile,\(file.path)")
            try await baresip.command("dial", uri)
        } catch {
            return VoiceCallResult(result: .failed, detail: "baresip did not dial: \(error)")
        }
        host.log(
            .info,
            "call \(request.id): dialling \(uri) (\(request.mode.rawValue), \(Int(audio.seconds)) s of audio)"
        )
        return await follow(events, feed: feed, request: request, audioSeconds: audio.seconds)
    }

    /// Follows the call's events until it ends; the timers put their own events in the same stream.
    private func follow(
        _ events: AsyncStream<Baresip.Event>,
        feed: AsyncStream<Baresip.Event>.Continuation,
        request: VoiceCallRequest,
        audioSeconds: Double
    ) async -> VoiceCallResult {
        var timers: [Task<Void, Never>] = []
        defer { for timer in timers { timer.cancel() } }
        func after(_ seconds: Double, _ type: String) {
            timers.append(
                Task {
                    try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                    if !Task.isCancelled { feed.yield(Baresip.Event(type: type)) }
                }
            )
        }
        after(Double(request.ringSeconds), Timer.ring)
        var callID: String?
        var answered: ContinuousClock.Instant?
        var digits = ""
        var hungUpBecause: VoiceCallResult.Result?
        func hangUp(_ result: VoiceCallResult.Result?) async {
            hungUpBecause = hungUpBecause ?? result
            _ = try? await baresip.command("hangup")
            after(5, Timer.closing)
        }
        func result(closedBy reason: String?) -> VoiceCallResult {
            if let answered {
                let seconds = Int((ContinuousClock.now - answered).components.seconds)
                return VoiceCallResult(result: .answered, duration: seconds, digits: digits.isEmpty ? nil : digits)
            }
            let result = hungUpBecause ?? Self.result(of: reason ?? "")
            return VoiceCallResult(result: result, detail: reason ?? "no answer")
        }

        defer {
            if let callID { pastCalls.withLock { $0 = Array(($0 + [callID]).suffix(16)) } }
        }
        for await event in events {
            if let id = event.callID {
                if callID == nil, event.type.hasPrefix("CALL_"), !pastCalls.withLock({ $0.contains(id) }) {
                    callID = id
                }
                if id != callID { continue }
            }
            switch event.type {
            case "CALL_ESTABLISHED":
                answered = .now
                host.log(.info, "call \(request.id): answered")
                if request.mode == .ring {
                    await hangUp(nil)
                } else {
                    after(max(Double(request.maxSeconds), audioSeconds) + 3, Timer.longest)
                }
            case "CALL_DTMF_START":
                let key = event.param ?? ""
                guard key.count == 1, "0123456789*#ABCD".contains(key), digits.count < 32 else { continue }
                digits += key
                host.log(.info, "call \(request.id): key \(key) pressed")
                if settings.hangUpOnKey, request.dtmf, digits.count == 1 { after(1, Timer.key) }
            case "CALL_CLOSED":
                return result(closedBy: event.param)
            case Timer.ring where answered == nil:
                await hangUp(.noAnswer)
            case Timer.longest, Timer.key:
                await hangUp(nil)
            case Timer.closing:
                return result(closedBy: "baresip did not report the end of the call")
            case EventRouter.gone:
                return answered == nil
                    ? VoiceCallResult(result: .failed, detail: "baresip stopped during the call")
                    : result(closedBy: nil)
            default:
                continue
            }
        }
        // The gateway cancelled the request (its timeout, or it is stopping).
        _ = try? await baresip.command("hangup")
        return result(closedBy: "cancelled by the gateway")
    }

    private enum Timer {
        static let ring = "SWIFTLET_RING_TIMEOUT"
        static let longest = "SWIFTLET_LONGEST"
        static let key = "SWIFTLET_KEY_PRESSED"
        static let closing = "SWIFTLET_CLOSE_TIMEOUT"
    }

    /// How a call that was never answered ended, from baresip's reason (a SIP status line, or an error).
    static func result(of reason: String) -> VoiceCallResult.Result {
        let code = Int(reason.prefix(3)) ?? 0
        switch code {
        case 486, 600: return .busy
        case 403, 603, 607: return .rejected
        case 408, 480, 487: return .noAnswer
        default: return .failed
        }
    }

    // MARK: Audio

    /// What the call plays, at 8 kHz: the text spoken (or the clip) again and again, with a pause
    /// between, until the call's duration is filled; ring calls play silence.
    func audio(for request: VoiceCallRequest) async throws -> Audio {
        let message: Audio
        switch request.mode {
        case .ring:
            return Audio.silence(Double(request.ringSeconds + request.maxSeconds))
        case .audio:
            message = try clip(named: request.audio ?? "")
        case .tts:
            let text = request.text ?? ""
            guard !text.isEmpty else { throw Speech.Failure(description: "the call has no text") }
            let voice = voice(for: request)
            message =
                try settings.ttsCommand.isEmpty
                ? Speech.render(text, voice: voice) : await externalSpeech(text, voice: voice)
        }
        // A message longer than the call may last plays whole, but not past the time the gateway
        // waits for the call (its duration, ringing and 30 s): cut 20 s after the duration.
        var whole = message
        let longest = (request.maxSeconds + 20) * whole.rate
        if whole.samples.count > longest { whole.samples.removeLast(whole.samples.count - longest) }
        return whole.resampled(to: 8000).repeated(toFill: Double(request.maxSeconds), gap: settings.pause)
    }

    func voice(for request: VoiceCallRequest) -> Speech.Voice {
        if let id = request.voice, let model = settings.voices[id] { return model }
        return Speech.Voice(name: request.language ?? settings.language, rate: settings.rate)
    }

    /// An admin's recording from `clips_directory` (`NAME.wav`, 16-bit PCM).
    func clip(named name: String) throws -> Audio {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_-"))
        guard !settings.clipsDirectory.isEmpty, (1...100).contains(name.count),
            name.unicodeScalars.allSatisfy({ allowed.contains($0) })
        else { throw Speech.Failure(description: "no clip '\(name)' (clip names are letters, digits, - and _)") }
        let url = URL(fileURLWithPath: settings.clipsDirectory).appendingPathComponent(name + ".wav")
        return try Audio(wav: try Data(contentsOf: url))
    }

    /// Speech from the site's own program (`tts_command`): the text on its standard input, and the
    /// WAV file it must write at `{output}`.
    func externalSpeech(_ text: String, voice: Speech.Voice) async throws -> Audio {
        let output = settings.directory.appendingPathComponent("tts-\(UUID().uuidString).wav")
        defer { try? FileManager.default.removeItem(at: output) }
        let arguments = settings.ttsCommand.map {
            $0.replacingOccurrences(of: "{output}", with: output.path)
                .replacingOccurrences(of: "{language}", with: voice.name)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        // The text from a file, not a pipe: a program that exits before reading it all would have
        // the gateway's write to the pipe raise SIGPIPE, which ends the whole process.
        let textFile = output.deletingPathExtension().appendingPathExtension("txt")
        try Data(text.utf8).write(to: textFile)
        defer { try? FileManager.default.removeItem(at: textFile) }
        process.standardInput = try FileHandle(forReadingFrom: textFile)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)  // SIGTERM may be blocked in the child (see Baresip.spawn)
                throw Speech.Failure(description: "tts_command ran over 60 s")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard process.terminationStatus == 0 else {
            throw Speech.Failure(description: "tts_command exited with status \(process.terminationStatus)")
        }
        return try Audio(wav: try Data(contentsOf: output))
    }
}

/// Where baresip's events go: registration to the plugin's health, call events to the call in
/// progress (if any).
final class EventRouter: Sendable {
    static let gone = "SWIFTLET_BARESIP_GONE"
    let host: any PluginHost
    let settings: Settings
    private let current = Mutex<AsyncStream<Baresip.Event>.Continuation?>(nil)

    init(host: any PluginHost, settings: Settings) {
        self.host = host
        self.settings = settings
    }

    func follow(_ feed: AsyncStream<Baresip.Event>.Continuation?) { current.withLock { $0 = feed } }

    func launched() {
        if let registrar = settings.account.registrar {
            host.reportHealth(.degraded, "baresip started; registering to \(registrar) as \(settings.account.user)")
        } else {
            host.reportHealth(.ok, "baresip ready on \(settings.listen); calls go to \(settings.dial)")
        }
        host.log(.info, "baresip started (SIP on \(settings.listen))")
    }

    func reportDown(_ detail: String) {
        host.reportHealth(.down, detail)
        host.log(.warning, detail)
        current.withLock { $0?.yield(Baresip.Event(type: Self.gone)) }
    }

    func route(_ event: Baresip.Event) {
        switch event.type {
        case "REGISTER_OK":
            host.reportHealth(.ok, "registered to \(settings.account.registrar ?? "") as \(settings.account.user)")
        case "REGISTER_FAIL":
            let reason = event.param ?? "no reason given"
            host.reportHealth(.down, "registration to \(settings.account.registrar ?? "") failed: \(reason); retrying")
            host.log(.warning, "registration failed: \(reason)")
        default:
            current.withLock { $0?.yield(event) }
        }
    }
}

/// One call at a time: baresip's audio source is set per call.
final class CallLine: Sendable {
    private let state = Mutex<(busy: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.busy {
                    state.waiting.append(continuation)
                    return false
                }
                state.busy = true
                return true
            }
            if now { continuation.resume() }
        }
        defer {
            let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if state.waiting.isEmpty {
                    state.busy = false
                    return nil
                }
                return state.waiting.removeFirst()
            }
            next?.resume()
        }
        return try await body()
    }
}
