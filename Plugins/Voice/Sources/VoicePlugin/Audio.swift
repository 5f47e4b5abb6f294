import Foundation

/// Mono 16-bit audio at a sample rate: what text-to-speech renders, what a clip holds, and what a
/// call plays (8 kHz, the rate of G.711).
public struct Audio: Sendable, Equatable {
    public var rate: Int
    public var samples: [Int16]

    public init(rate: Int, samples: [Int16]) {
        self.rate = rate
        self.samples = samples
    }

    public var seconds: Double { Double(samples.count) / Double(rate) }

    /// `seconds` of silence.
    public static func silence(_ seconds: Double, rate: Int = 8000) -> Audio {
        Audio(rate: rate, samples: [Int16](repeating: 0, count: max(0, Int(seconds * Double(rate)))))
    }

    /// The same sound at `target` Hz: low-pass filtered below the new Nyquist frequency (a windowed
    /// sinc), then sampled by linear interpolation.
    public func resampled(to target: Int) -> Audio {
        guard target != rate, !samples.isEmpty else { return Audio(rate: target, samples: samples) }
        var input = samples.map(Double.init)
        if target < rate {
            let cutoff = 0.45 * Double(target) / Double(rate)  // of the input rate; 0.5 is its Nyquist
            let half = 32
            let taps = (-half...half).map { n -> Double in
                let x = Double(n)
                let sinc = n == 0 ? 2 * cutoff : sin(2 * .pi * cutoff * x) / (.pi * x)
                let window = 0.54 + 0.46 * cos(.pi * x / Double(half))  // Hamming
                return sinc * window
            }
            var filtered = [Double](repeating: 0, count: input.count)
            for index in input.indices {
                var sum = 0.0
                for (offset, tap) in taps.enumerated() {
                    let source = index + offset - half
                    if source >= 0, source < input.count { sum += input[source] * tap }
                }
                filtered[index] = sum
            }
            input = filtered
        }
        let step = Double(rate) / Double(target)
        let count = Int(Double(input.count) / step)
        var output = [Int16](repeating: 0, count: count)
        for index in 0..<count {
            let position = Double(index) * step
            let left = Int(position)
            let right = min(left + 1, input.count - 1)
            let fraction = position - Double(left)
            let value = input[left] * (1 - fraction) + input[right] * fraction
            output[index] = Int16(clamping: Int(value.rounded()))
        }
        return Audio(rate: target, samples: output)
    }

    /// `self` played, with `gap` seconds of silence after each time, until it lasts `seconds` (at
    /// least once whole, however short `seconds` is), and cut there.
    public func repeated(toFill seconds: Double, gap: Double) -> Audio {
        let pause = Audio.silence(gap, rate: rate).samples
        var out = samples
        let wanted = Int(seconds * Double(rate))
        while out.count + pause.count < wanted {
            out += pause + samples
        }
        if out.count > wanted, wanted >= samples.count { out.removeLast(out.count - wanted) }
        return Audio(rate: rate, samples: out)
    }

    // MARK: WAV

    /// A RIFF/WAVE file of 16-bit PCM, mono.
    public var wav: Data {
        var data = Data()
        func append(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        func append16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        let bytes = UInt32(samples.count * 2)
        data.append(contentsOf: Array("RIFF".utf8))
        append(36 + bytes)
        data.append(contentsOf: Array("WAVEfmt ".utf8))
        append(16)
        append16(1)  // PCM
        append16(1)  // mono
        append(UInt32(rate))
        append(UInt32(rate * 2))
        append16(2)
        append16(16)
        data.append(contentsOf: Array("data".utf8))
        append(bytes)
        for sample in samples { withUnsafeBytes(of: sample.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    public enum WAVError: Error, Equatable, CustomStringConvertible {
        case notWAV
        case unsupported(String)
        public var description: String {
            switch self {
            case .notWAV: "not a RIFF/WAVE file"
            case .unsupported(let what): "unsupported WAV: \(what) (16-bit PCM is needed)"
            }
        }
    }

    /// Reads a WAV file of 16-bit PCM (any rate; channels are mixed down to one).
    public init(wav data: Data) throws(WAVError) {
        let bytes = [UInt8](data)
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8)
        else { throw .notWAV }
        var offset = 12
        var channels = 0
        var rate = 0
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = u32(offset + 4)
            let body = offset + 8
            if id == "fmt ", body + 16 <= bytes.count {
                guard u16(body) == 1 || u16(body) == 0xFFFE else { throw .unsupported("format \(u16(body))") }
                guard u16(body + 14) == 16 else { throw .unsupported("\(u16(body + 14)) bits per sample") }
                channels = u16(body + 2)
                rate = u32(body + 4)
            } else if id == "data" {
                guard channels > 0, rate > 0 else { throw .unsupported("data before fmt") }
                let end = min(bytes.count, body + size)
                var samples: [Int16] = []
                samples.reserveCapacity((end - body) / (2 * channels))
                var at = body
                while at + 2 * channels <= end {
                    var sum = 0
                    for channel in 0..<channels { sum += Int(Int16(bitPattern: UInt16(u16(at + 2 * channel)))) }
                    samples.append(Int16(clamping: sum / channels))
                    at += 2 * channels
                }
                self.init(rate: rate, samples: samples)
                return
            }
            offset = body + size + (size & 1)
        }
        throw .notWAV
    }
}
