// libFuzzer target for what reads a modem's line and the simulator's input, built by Tests/Fuzz/run
// together with Core/Modem/ATLineScanner.swift, Core/Modem/ATResponse.swift and
// Core/Simulator/SimulatorInput.swift. A modem (or a line with noise on it) can send anything.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzATLine(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))[...]
    while let (consumed, event) = ATLineScanner.next(bytes) {
        // The scanner must make progress, or the driver would spin.
        precondition(consumed > 0 && consumed <= bytes.count, "scanner consumed \(consumed) of \(bytes.count)")
        bytes = bytes.dropFirst(consumed)
        if case .line(let text) = event {
            _ = FinalResult(text)
            _ = UnsolicitedCode.matches(text)
            _ = ATResponse(lines: [text]).value(after: "+CMGR:")
        }
    }
    var parser = SimulatorInputParser()
    let all = Array(UnsafeBufferPointer(start: data, count: size))
    _ = parser.feed(all)
    parser.expectPDU()
    _ = parser.feed(all)
    return 0
}
