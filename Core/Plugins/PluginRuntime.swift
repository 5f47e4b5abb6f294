import CSwiftletPlugin
import Dispatch
import Foundation
import Logging
import SwiftletDomain
import SwiftletPluginSDK
import Synchronization

/// One plugin instance as the host sees it: its descriptor, the host table and handle it was
/// given, the serial queue every call into it runs on, and its timers.
///
/// Calls into the plugin (create, start, events, timers, stop, destroy) all run on `queue`, one at
/// a time and never on the Swift concurrency pool, so a plugin that blocks delays only itself.
final class HostedPlugin: @unchecked Sendable {
    // @unchecked: the mutable state is behind the Mutexes; `api` is written once, before the plugin sees it.
    let id: String
    let manifest: PluginManifest
    let library: PluginLibrary
    let services: HostServices
    let logger: Logger
    let queue: DispatchQueue
    private(set) var api: UnsafeMutablePointer<swiftlet_host_api>!
    /// The `swiftlet_host *` the plugin passes back; it owns a reference to this object, never given
    /// back, as the plugin may keep the pointer as long as the process lives.
    private(set) var handle: OpaquePointer!

    private let instance = Mutex<UnsafeMutableRawPointer?>(nil)
    /// Host calls are answered between create and the end of stop.
    private let accepting = Atomic<Bool>(false)
    private let timers = Mutex<(next: UInt64, sources: [UInt64: Unchecked<any DispatchSourceTimer>])>((1, [:]))
    /// The last health reported, and the write of it to the store (each waits for the one before).
    private let health = Mutex<(state: String, detail: String, write: Task<Void, Never>?)>(("", "", nil))

    init(manifest: PluginManifest, library: PluginLibrary, services: HostServices, logger: Logger) {
        self.id = manifest.id
        self.manifest = manifest
        self.library = library
        self.services = services
        var logger = logger
        logger[metadataKey: "plugin"] = "\(manifest.id)"
        self.logger = logger
        self.queue = DispatchQueue(label: "swiftlet.plugin.\(manifest.id)")
        self.handle = OpaquePointer(Unmanaged.passRetained(self).toOpaque())
        self.api = HostTable.make(abiVersion: library.abiVersion)
    }

    static func from(_ handle: OpaquePointer?) -> HostedPlugin? {
        handle.map { Unmanaged<HostedPlugin>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    }

    var isAccepting: Bool { accepting.load(ordering: .acquiring) }

    // MARK: Lifecycle (called by PluginService)

    struct Failure: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    func create(configuration: Data) async throws(Failure) {
        guard let create = library.descriptor.create else { throw Failure(description: "no create") }
        let pointers = Unchecked((api: api, handle: handle))
        let (status, detail, pointer) = await onQueue { () -> (Int32, String, Unchecked<UnsafeMutableRawPointer?>) in
            var detail = ""
            var pointer: UnsafeMutableRawPointer?
            let status = withUnsafeMutablePointer(to: &detail) { detailPointer in
                configuration.withSwiftletString { json in
                    create(
                        UnsafePointer(pointers.value.api),
                        pointers.value.handle,
                        json,
                        &pointer,
                        HostTable.collectDetail,
                        UnsafeMutableRawPointer(detailPointer)
                    )
                }
            }
            return (status, detail, Unchecked(pointer))
        }
        guard status == SWIFTLET_OK else {
            throw Failure(
                description: "create failed (\(Self.name(status))): \(detail.isEmpty ? "no reason given" : detail)"
            )
        }
        instance.withLock { $0 = pointer.value }
        accepting.store(true, ordering: .releasing)
    }

    func start(timeout: Duration) async throws(Failure) {
        guard let start = library.descriptor.start else { throw Failure(description: "no start") }
        let instance = Unchecked(self.instance.withLock { $0 })
        let (status, detail) = await OneShot.wait(timeout: timeout) { reply, context in
            self.queue.async { start(instance.value, reply, context.value) }
        }
        guard status == SWIFTLET_OK else {
            throw Failure(
                description: status == OneShot.timedOut
                    ? "did not finish starting within \(timeout)" : "start failed (\(Self.name(status))): \(detail)"
            )
        }
    }

    /// Stops the plugin (waiting at most `timeout`), cancels its timers and frees it. Host calls
    /// after this are refused.
    func stopAndDestroy(timeout: Duration, started: Bool) async {
        services.events.unsubscribeAll(id)
        services.providers?.removeAll(plugin: id)
        let instance = Unchecked(self.instance.withLock { $0 })
        if started, let stop = library.descriptor.stop {
            let milliseconds = UInt32(clamping: timeout.components.seconds * 1000)
            let (status, detail) = await OneShot.wait(timeout: timeout + .seconds(1)) { reply, context in
                self.queue.async { stop(instance.value, milliseconds, reply, context.value) }
            }
            if status == OneShot.timedOut {
                logger.warning(
                    "plugin did not stop in time; going on without it",
                    metadata: ["plugin": "\(id)", "timeout": "\(timeout)"]
                )
            } else if status != SWIFTLET_OK {
                logger.warning(
                    "plugin reported a problem while stopping",
                    metadata: ["plugin": "\(id)", "detail": "\(detail)"]
                )
            }
        }
        accepting.store(false, ordering: .releasing)
        let sources = timers.withLock { timers in
            defer { timers.sources = [:] }
            return Array(timers.sources.values)
        }
        for source in sources { source.value.cancel() }
        if let destroy = library.descriptor.destroy {
            await onQueue { destroy(instance.value) }
        }
    }

    /// Sends a request of a role the plugin provides (ABI 1.4 `handle_request`) and waits for the
    /// answer at most `timeout`. When the host stops waiting, the plugin is sent a `cancel` notice.
    func request(kind: String, json: Data, id: UInt64, timeout: Duration) async -> (Int32, String) {
        guard let handleRequest = library.descriptor.handle_request else {
            return (SWIFTLET_ERR_UNSUPPORTED, "the plugin has no handle_request")
        }
        let (status, body) = await OneShot.wait(timeout: timeout) { reply, context in
            self.queue.async {
                guard self.isAccepting, let instance = self.instance.withLock({ $0 }) else {
                    "the plugin is not running".withSwiftletString {
                        reply(context.value, SWIFTLET_ERR_UNAVAILABLE, $0)
                    }
                    return
                }
                kind.withSwiftletString { kind in
                    json.withSwiftletString { handleRequest(instance, kind, $0, reply, context.value) }
                }
            }
        }
        if status == OneShot.timedOut || status == OneShot.cancelled {
            logger.warning(
                "stopped waiting for a provider's answer",
                metadata: [
                    "kind": "\(kind)", "request": "\(id)",
                    "reason": "\(status == OneShot.timedOut ? "timeout" : "cancelled")",
                ]
            )
            let notice = Data(#"{"request_id":\#(id)}"#.utf8)
            queue.async {
                guard self.isAccepting, let instance = self.instance.withLock({ $0 }) else { return }
                ProviderRequestKind.cancel.withSwiftletString { kind in
                    notice.withSwiftletString { handleRequest(instance, kind, $0, HostedPlugin.ignoreReply, nil) }
                }
            }
        }
        return (status, body)
    }

    /// The reply function of a cancel notice: nothing waits for it.
    static let ignoreReply: swiftlet_reply_fn = { _, _, _ in }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }

    // MARK: Health

    /// Records the plugin's health (its own reports, and the host's "starting", "stopped" and
    /// "not running"): logged when it changes, and kept in the store for `swiftlet plugins list`.
    func report(state: String, detail: String) {
        let report = PluginHealthReport(
            plugin: id,
            state: state,
            detail: detail,
            since: Date(),
            abi: ABIVersion.format(library.abiVersion)
        )
        let (changed, stateChanged) = health.withLock { health -> (Bool, Bool) in
            guard health.state != state || health.detail != detail else { return (false, false) }
            let stateChanged = health.state != state
            let previous = health.write
            let store = services.health
            health = (
                state, detail,
                Task {
                    await previous?.value
                    try? await store?.setPluginHealth(report)
                }
            )
            return (true, stateChanged)
        }
        guard changed, state != "starting", state != "stopped" else { return }
        logger.log(
            level: state == "ok" || state == "starting" || state == "stopped" || !stateChanged ? .info : .warning,
            "plugin health",
            metadata: ["health": "\(state)", "detail": "\(detail)"]
        )
    }

    var healthState: String { health.withLock { $0.state } }

    /// Waits until the health reports so far are in the store.
    func healthWritten() async {
        await health.withLock { $0.write }?.value
    }

    // MARK: Events and timers (called from the host table)

    func subscribe(_ kind: String) {
        services.events.subscribe(id, to: kind) { [weak self] kind, json in
            self?.deliver(kind: kind, json: json)
        }
    }

    private func deliver(kind: String, json: Data) {
        guard let handleEvent = library.descriptor.handle_event else { return }
        queue.async {
            guard self.isAccepting, let instance = self.instance.withLock({ $0 }) else { return }
            kind.withSwiftletString { kind in json.withSwiftletString { handleEvent(instance, kind, $0) } }
        }
    }

    func startTimer(delay: UInt64, interval: UInt64, fire: TimerCallback) -> UInt64 {
        let source = DispatchSource.makeTimerSource(queue: queue)
        let id = timers.withLock { timers in
            defer { timers.next += 1 }
            timers.sources[timers.next] = Unchecked(source)
            return timers.next
        }
        let repeating: DispatchTimeInterval = interval > 0 ? .milliseconds(Int(clamping: interval)) : .never
        source.schedule(deadline: .now() + .milliseconds(Int(clamping: delay)), repeating: repeating)
        source.setEventHandler { [weak self] in
            guard let self, self.isAccepting else { return }
            let live = self.timers.withLock { timers in
                guard timers.sources[id] != nil else { return false }
                if interval == 0 { timers.sources[id] = nil }
                return true
            }
            if live { fire.function?(fire.context, id) }
        }
        source.resume()
        return id
    }

    func cancelTimer(_ timer: UInt64) -> Bool {
        guard let source = timers.withLock({ $0.sources.removeValue(forKey: timer) }) else { return false }
        source.value.cancel()
        return true
    }

    static func name(_ status: Int32) -> String {
        switch status {
        case SWIFTLET_ERR_INVALID: "invalid"
        case SWIFTLET_ERR_NOT_FOUND: "not found"
        case SWIFTLET_ERR_UNSUPPORTED: "unsupported"
        case SWIFTLET_ERR_UNAVAILABLE: "unavailable"
        case SWIFTLET_ERR_DENIED: "denied"
        case SWIFTLET_ERR_INTERNAL: "internal error"
        default: "status \(status)"
        }
    }
}

/// A pointer handed to the plugin's queue. The ABI, not the compiler, says who may touch what it points to.
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A plugin's timer function and its context.
struct TimerCallback: @unchecked Sendable {
    // @unchecked: the ABI makes the plugin responsible for its context; the host only passes it back.
    let function: swiftlet_timer_fn?
    let context: UnsafeMutableRawPointer?
}

/// Waits for one `swiftlet_reply_fn` answer, or gives up after a timeout or when the waiting task
/// is cancelled. The context stays valid if the answer comes later (it is then ignored).
final class OneShot: Sendable {
    static let timedOut: Int32 = -1
    static let cancelled: Int32 = -2
    private let state = Mutex<(continuation: CheckedContinuation<(Int32, String), Never>?, result: (Int32, String)?)>(
        (nil, nil)
    )

    private init() {}

    func resume(_ status: Int32, _ detail: String) {
        state.withLock { state in
            guard state.result == nil else { return }
            state.result = (status, detail)
            state.continuation?.resume(returning: (status, detail))
            state.continuation = nil
        }
    }

    static func wait(
        timeout: Duration,
        _ call: @escaping @Sendable (swiftlet_reply_fn, Unchecked<UnsafeMutableRawPointer>) -> Void
    ) async -> (Int32, String) {
        let oneShot = OneShot()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let early = oneShot.state.withLock { state -> (Int32, String)? in
                    if let result = state.result { return result }
                    state.continuation = continuation
                    return nil
                }
                if let early { return continuation.resume(returning: early) }
                let context = Unmanaged.passRetained(oneShot).toOpaque()
                Task {
                    try? await Task.sleep(for: timeout)
                    oneShot.resume(timedOut, "timed out")
                }
                call(replied, Unchecked(context))
            }
        } onCancel: {
            oneShot.resume(cancelled, "cancelled")
        }
    }

    private static let replied: swiftlet_reply_fn = { context, status, body in
        guard let context else { return }
        Unmanaged<OneShot>.fromOpaque(context).takeRetainedValue().resume(status, body.string)
    }
}
