import Foundation
import Testing

@testable import VoicePlugin

@Suite struct AudioTests {
    /// A tone of `frequency` Hz at `rate`, one second.
    func tone(_ frequency: Double, rate: Int, amplitude: Double = 8000) -> Audio {
        Audio(
            rate: rate,
            samples: (0..<rate).map { Int16(amplitude * sin(2 * .pi * frequency * Double($0) / Double(rate))) }
        )
    }

    func rms(_ audio: Audio) -> Double {
        let middle = audio.samples.dropFirst(audio.samples.count / 4).dropLast(audio.samples.count / 4)
        return (middle.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(middle.count)).squareRoot()
    }

    @Test func resamplingKeepsSpeechBandAndRemovesWhatG711CannotCarry() {
        // 1 kHz is speech: kept. 6 kHz is above 4 kHz, the Nyquist frequency at 8 kHz: it would fold
        // back as a 2 kHz whistle, so it must be filtered out.
        let kept = tone(1000, rate: 22050).resampled(to: 8000)
        let removed = tone(6000, rate: 22050).resampled(to: 8000)
        #expect(kept.rate == 8000)
        #expect(abs(kept.samples.count - 8000) <= 1)
        #expect(rms(kept) > 8000 * 0.70 * 0.9)  // a sine's RMS is 0.707 of its amplitude
        #expect(rms(removed) < 8000 * 0.707 * 0.05)
    }

    @Test func wavRoundTripAndStereoIsMixedDown() throws {
        let audio = tone(440, rate: 8000)
        let read = try Audio(wav: audio.wav)
        #expect(read == audio)
        // A stereo file (left = right) reads as the same mono sound.
        var stereo = Data(audio.wav.prefix(44))
        stereo.replaceSubrange(22..<24, with: [2, 0])  // channels
        withUnsafeBytes(of: UInt32(audio.samples.count * 4).littleEndian) { stereo.replaceSubrange(40..<44, with: $0) }
        for sample in audio.samples {
            withUnsafeBytes(of: sample.littleEndian) { stereo.append(contentsOf: Array($0) + Array($0)) }
        }
        #expect(try Audio(wav: stereo).samples == audio.samples)
        #expect(throws: Audio.WAVError.notWAV) { try Audio(wav: Data("hello".utf8)) }
    }

    @Test func repeatsToFillTheDurationButPlaysTheMessageWholeOnce() {
        let message = Audio(rate: 8000, samples: [Int16](repeating: 100, count: 16000))  // 2 s
        let filled = message.repeated(toFill: 10, gap: 1)
        #expect(filled.seconds == 10)
        #expect(filled.samples[16000..<24000].allSatisfy { $0 == 0 })  // the pause after the first time
        #expect(filled.samples[24000] == 100)
        // Shorter than the message: the message still plays whole.
        #expect(message.repeated(toFill: 1, gap: 1).seconds == 2)
    }

    @Test func netstrings() {
        #expect(Netstring.next(in: Array("5:hello,3:abc,".utf8)) == .frame(Array("hello".utf8), consumed: 8))
        #expect(Netstring.next(in: Array("5:hel".utf8)) == .incomplete)
        #expect(Netstring.next(in: Array("12".utf8)) == .incomplete)
        #expect(Netstring.next(in: Array("5:hello;".utf8)) == .malformed)
        #expect(Netstring.next(in: Array("x:".utf8)) == .malformed)
        #expect(Netstring.next(in: Array("999999999:".utf8)) == .malformed)
    }
}
