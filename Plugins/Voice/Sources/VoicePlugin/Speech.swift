import CEspeakNG
import Foundation
import Synchronization

/// Text-to-speech with eSpeak NG, in process. The library keeps global state, so one rendering runs
/// at a time; it is initialised on first use.
public enum Speech {
    public struct Voice: Sendable, Equatable {
        /// An eSpeak NG voice name or language tag ("en", "sv", "nb", "de-1").
        public var name: String
        /// Words per minute (80–450).
        public var rate: Int
        /// 0–100, 50 is normal.
        public var pitch: Int

        public init(name: String, rate: Int = 150, pitch: Int = 50) {
            self.name = name
            self.rate = rate
            self.pitch = pitch
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The sample rate eSpeak NG renders at, once initialised (nil before).
    private static let engine = Mutex<Int?>(nil)

    /// The language tags people write, as eSpeak NG names them ("no" is Norwegian Bokmål there).
    static func espeakName(_ language: String) -> String {
        switch language.lowercased() {
        case "no", "nb", "nb-no", "no-no": "nb"
        case "en-us": "en-us"
        default: language.lowercased()
        }
    }

    /// `text` spoken by `voice`, at eSpeak NG's own rate (22,050 Hz).
    public static func render(_ text: String, voice: Voice) throws(Failure) -> Audio {
        let result: Result<Audio, Failure> = engine.withLock { rate in
            if rate == nil {
                let initialised = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nil, 0)
                guard initialised > 0 else {
                    return .failure(Failure(description: "eSpeak NG did not start (are its data files installed?)"))
                }
                espeak_SetSynthCallback { wave, count, events in
                    guard let wave, count > 0, let box = events?.pointee.user_data else { return 0 }
                    let buffer = Unmanaged<SampleBuffer>.fromOpaque(box).takeUnretainedValue()
                    buffer.samples.append(contentsOf: UnsafeBufferPointer(start: wave, count: Int(count)))
                    return 0
                }
                rate = Int(initialised)
            }
            // eSpeak NG falls back to its default voice for a name it does not know: check first.
            guard knows(espeakName(voice.name)), espeak_SetVoiceByName(espeakName(voice.name)) == EE_OK else {
                return .failure(Failure(description: "eSpeak NG has no voice '\(voice.name)'"))
            }
            espeak_SetParameter(espeakRATE, Int32(min(max(voice.rate, 80), 450)), 0)
            espeak_SetParameter(espeakPITCH, Int32(min(max(voice.pitch, 0), 100)), 0)
            let buffer = SampleBuffer()
            let box = Unmanaged.passRetained(buffer)
            defer { box.release() }
            let status = text.withCString { characters in
                espeak_Synth(
                    characters,
                    strlen(characters) + 1,
                    0,
                    POS_CHARACTER,
                    0,
                    UInt32(espeakCHARS_UTF8),
                    nil,
                    box.toOpaque()
                )
            }
            guard status == EE_OK else { return .failure(Failure(description: "eSpeak NG could not speak the text")) }
            return .success(Audio(rate: rate ?? 22050, samples: buffer.samples))
        }
        return try result.get()
    }
}

extension Speech {
    /// Whether eSpeak NG has a voice called `name` or speaking language `name` (call with the
    /// engine initialised and locked).
    fileprivate static func knows(_ name: String) -> Bool {
        guard let list = espeak_ListVoices(nil) else { return false }
        var index = 0
        while let voice = list[index]?.pointee {
            index += 1
            if let given = voice.name, String(cString: given).lowercased() == name { return true }
            // `languages`: pairs of a priority byte and a language string, ended by a zero byte.
            guard var cursor = voice.languages else { continue }
            while cursor.pointee != 0 {
                let language = String(cString: cursor + 1)
                if language == name { return true }
                cursor += language.utf8.count + 2
            }
        }
        return false
    }
}

/// Where eSpeak NG's callback puts what it renders (only touched under the engine's lock).
private final class SampleBuffer: @unchecked Sendable {
    var samples: [Int16] = []
}
