import Logging
import NIOCore

/// One modem connection: writes commands, collects their answers, and passes unsolicited lines on.
///
/// Commands run one at a time; the caller (``ModemWorker``) serialises them. Each has a time limit.
actor ATPort {
    private struct Pending {
        let id: Int
        let command: String
        let expectPrompt: Bool
        var lines: [String] = []
        var result: Result<ATResponse, ModemError>?
        var continuation: CheckedContinuation<ATResponse, any Error>?
    }

    private let writer: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let unsolicited: @Sendable (UnsolicitedResult) -> Void
    /// The header of a two-line unsolicited code whose PDU line comes next.
    private var unsolicitedHeader: String?
    private let logger: Logger
    private var pending: Pending?
    private var lastID = 0
    private var closed = false

    init(
        writer: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        logger: Logger,
        unsolicited: @escaping @Sendable (UnsolicitedResult) -> Void
    ) {
        self.writer = writer
        self.logger = logger
        self.unsolicited = unsolicited
    }

    /// Sends `command` followed by `terminator` and waits for its final result code (or the prompt).
    /// Throws ``ModemError`` `.rejected` for ERROR answers, `.timeout` after `timeout`.
    func run(
        _ command: String,
        terminator: String = "\r",
        expectPrompt: Bool = false,
        timeout: Duration
    )
        async throws -> ATResponse
    {
        guard !closed else { throw ModemError(.disconnected, "the modem connection is closed") }
        guard pending == nil else { throw ModemError(.unavailable, "another command is running") }
        lastID += 1
        let id = lastID
        pending = Pending(id: id, command: command, expectPrompt: expectPrompt)
        let shown =
            command.hasPrefix("AT+CPIN=") ? "AT+CPIN=<hidden>" : command.count > 80 ? command.prefix(80) + "…" : command
        logger.trace("AT >", metadata: ["command": "\(shown)"])
        do {
            try await writer.write(ByteBuffer(string: command + terminator))
        } catch {
            pending = nil
            throw ModemError(.disconnected, "cannot write to the modem: \(error)")
        }
        return try await withThrowingTaskGroup(of: ATResponse.self) { group in
            group.addTask { try await self.response(id) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw ModemError(.timeout, "no answer to \(command.prefix(40)) within \(timeout)")
            }
            defer { group.cancelAll() }
            do {
                return try await group.next()!
            } catch {
                finish(id, .failure(error as? ModemError ?? ModemError(.timeout, "\(error)")))
                if pending?.id == id { pending = nil }
                throw error
            }
        }
    }

    /// Writes raw bytes with no answer expected (e.g. ESC to cancel a PDU prompt).
    func write(_ text: String) async {
        try? await writer.write(ByteBuffer(string: text))
    }

    private func response(_ id: Int) async throws -> ATResponse {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard var current = pending, current.id == id else {
                    continuation.resume(throwing: ModemError(.disconnected, "the command was abandoned"))
                    return
                }
                if let result = current.result {
                    pending = nil
                    continuation.resume(with: result.mapError { $0 as any Error })
                } else {
                    current.continuation = continuation
                    pending = current
                }
            }
        } onCancel: {
            Task { await self.finish(id, .failure(ModemError(.timeout, "cancelled"))) }
        }
    }

    private func finish(_ id: Int, _ result: Result<ATResponse, ModemError>) {
        guard var current = pending, current.id == id else { return }
        if let continuation = current.continuation {
            pending = nil
            continuation.resume(with: result.mapError { $0 as any Error })
        } else {
            current.result = result
            pending = current
        }
    }

    /// Called for every line the modem sends.
    func received(_ event: ATLine) {
        logger.trace("AT <", metadata: ["line": "\(event)"])
        if case .line(let text) = event, let header = unsolicitedHeader {
            unsolicitedHeader = nil
            unsolicited(UnsolicitedResult(line: header, pdu: text))
            return
        }
        guard let current = pending, current.result == nil else {
            if case .line(let text) = event { unsolicitedLine(text) }
            return
        }
        switch event {
        case .prompt:
            if current.expectPrompt { finish(current.id, .success(ATResponse(lines: current.lines, prompt: true))) }
        case .line(let text):
            if UnsolicitedCode.matches(text) {
                unsolicitedLine(text)
            } else if text == current.command {
                return  // echo
            } else if let final = FinalResult(text) {
                switch final {
                case .ok: finish(current.id, .success(ATResponse(lines: current.lines)))
                case .error(let code):
                    let cms = code.hasPrefix("+CMS ERROR:") ? Int(String(code.dropFirst(11)).trimmingSpaces()) : nil
                    let result = code + (cms.flatMap(CMSError.meaning).map { " (\($0))" } ?? "")
                    finish(
                        current.id,
                        .failure(
                            ModemError(
                                .rejected,
                                "\(current.command.prefix(40)) → \(result)",
                                cmsError: cms,
                                result: result
                            )
                        )
                    )
                }
            } else {
                pending?.lines.append(text)
            }
        }
    }

    private func unsolicitedLine(_ text: String) {
        if UnsolicitedCode.hasPDU(text) {
            unsolicitedHeader = text
        } else {
            unsolicited(UnsolicitedResult(line: text, pdu: nil))
        }
    }

    /// Fails the running command: the connection ended.
    func close() {
        closed = true
        if let current = pending {
            finish(current.id, .failure(ModemError(.disconnected, "the modem connection ended")))
        }
    }
}
