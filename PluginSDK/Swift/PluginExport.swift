import CSwiftletPlugin
import Foundation
import Synchronization

/// Exports a ``Plugin`` type through the C ABI. A plugin's library has exactly one of these:
///
/// ```swift
/// @_cdecl("swiftlet_plugin_entry")
/// public func swiftletPluginEntry(hostMin: UInt32, hostMax: UInt32) -> UnsafeRawPointer? {
///     PluginExport.entry(Keywords.self, hostMin: hostMin, hostMax: hostMax)
/// }
/// ```
public enum PluginExport {
    /// The ABI versions this SDK speaks.
    public static let abiVersions: ClosedRange<UInt32> = SWIFTLET_ABI_VERSION_1_0...SWIFTLET_ABI_VERSION_CURRENT

    /// Answers the host's offer `[hostMin, hostMax]` with the descriptor of `type`, or nil if the
    /// ranges do not meet. The descriptor is made once and lives as long as the process.
    public static func entry<P: Plugin>(_ type: P.Type, hostMin: UInt32, hostMax: UInt32) -> UnsafeRawPointer? {
        let version = min(hostMax, abiVersions.upperBound)
        guard version >= hostMin, version >= abiVersions.lowerBound else { return nil }
        return exported.withLock { exported in
            if let existing = exported { return UnsafeRawPointer(existing.descriptor) }
            let made = Exported(type, abiVersion: version)
            exported = made
            return UnsafeRawPointer(made.descriptor)
        }
    }

    /// What `entry` exported: one plugin type per library (each library has its own copy of this module).
    struct Exported: @unchecked Sendable {
        // @unchecked: the descriptor is written once, before it is published, and never changed.
        let descriptor: UnsafeMutablePointer<swiftlet_plugin>
        let make: @Sendable (Data, any PluginHost) throws -> any Plugin

        init<P: Plugin>(_ type: P.Type, abiVersion: UInt32) {
            make = { json, host in
                let configuration = try JSONCoding.decoder.decode(
                    P.Configuration.self,
                    from: json.isEmpty ? Data("{}".utf8) : json
                )
                return try P(configuration: configuration, host: host)
            }
            descriptor = .allocate(capacity: 1)
            descriptor.initialize(
                to: swiftlet_plugin(
                    struct_size: UInt32(MemoryLayout<swiftlet_plugin>.size),
                    abi_version: abiVersion,
                    id: UnsafePointer(strdup(P.id)),
                    version: UnsafePointer(strdup(P.version)),
                    create: createInstance,
                    start: startInstance,
                    handle_event: handleEvent,
                    stop: stopInstance,
                    destroy: destroyInstance,
                    handle_request: abiVersion >= SWIFTLET_ABI_VERSION_1_4 ? handleRequest : nil
                )
            )
        }
    }

    static let exported = Mutex<Exported?>(nil)
}

/// One created plugin: the value, the task that hands it events in order, and the provider
/// requests in progress (each in a task of its own, cancelled by the host's `cancel`).
final class PluginInstance: Sendable {
    let plugin: any Plugin
    let events: AsyncStream<Event>.Continuation
    let consumer: Task<Void, Never>
    let requests = Mutex<[UInt64: Task<Void, Never>]>([:])

    init(plugin: any Plugin) {
        self.plugin = plugin
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self)
        events = continuation
        consumer = Task {
            for await event in stream { await plugin.handle(event) }
        }
    }

    static func from(_ pointer: UnsafeMutableRawPointer?) -> PluginInstance? {
        pointer.map { Unmanaged<PluginInstance>.fromOpaque($0).takeUnretainedValue() }
    }
}

/// A `swiftlet_reply_fn` and its context, carried into a task: the answer to one request.
public struct ABIReply: @unchecked Sendable {
    // @unchecked: the ABI says the function may be called from any thread, once.
    let function: swiftlet_reply_fn?
    let context: UnsafeMutableRawPointer?

    public init(function: swiftlet_reply_fn?, context: UnsafeMutableRawPointer?) {
        self.function = function
        self.context = context
    }

    /// Answers with success and an empty body, or with the error's code and detail.
    public func callAsFunction(_ error: PluginError?) {
        if let error { fail(error) } else { succeed(Data()) }
    }

    public func succeed(_ body: Data) {
        guard let function else { return }
        body.withSwiftletString { function(context, SWIFTLET_OK, $0) }
    }

    public func fail(_ error: PluginError) {
        guard let function else { return }
        error.detail.withSwiftletString { function(context, error.status, $0) }
    }
}

private let createInstance:
    @convention(c) (
        UnsafePointer<swiftlet_host_api>?, OpaquePointer?, swiftlet_str,
        UnsafeMutablePointer<UnsafeMutableRawPointer?>?, swiftlet_reply_fn?, UnsafeMutableRawPointer?
    ) -> swiftlet_status = { api, host, configuration, instance, fail, failContext in
        let reply = ABIReply(function: fail, context: failContext)
        guard let api, let instance, let make = PluginExport.exported.withLock({ $0?.make }) else {
            reply(PluginError(.invalid, "create was called without a host table or an instance pointer"))
            return SWIFTLET_ERR_INVALID
        }
        do {
            let plugin = try make(configuration.bytes, CHost(api: api, host: host))
            instance.pointee = Unmanaged.passRetained(PluginInstance(plugin: plugin)).toOpaque()
            return SWIFTLET_OK
        } catch {
            let failure = PluginError.from(error)
            reply(failure)
            return failure.status
        }
    }

private let startInstance:
    @convention(c) (UnsafeMutableRawPointer?, swiftlet_reply_fn?, UnsafeMutableRawPointer?) -> Void = {
        pointer,
        done,
        context in
        let reply = ABIReply(function: done, context: context)
        guard let instance = PluginInstance.from(pointer) else { return reply(PluginError(.invalid, "no instance")) }
        Task {
            do {
                try await instance.plugin.start()
                reply(nil)
            } catch {
                reply(PluginError.from(error))
            }
        }
    }

private let handleEvent: @convention(c) (UnsafeMutableRawPointer?, swiftlet_str, swiftlet_str) -> Void = {
    pointer,
    kind,
    event in
    PluginInstance.from(pointer)?.events.yield(Event(kind: kind.string, json: event.bytes))
}

private let stopInstance:
    @convention(c) (UnsafeMutableRawPointer?, UInt32, swiftlet_reply_fn?, UnsafeMutableRawPointer?) -> Void = {
        pointer,
        _,
        done,
        context in
        let reply = ABIReply(function: done, context: context)
        guard let instance = PluginInstance.from(pointer) else { return reply(nil) }
        Task {
            instance.events.finish()
            await instance.consumer.value
            await instance.plugin.stop()
            reply(nil)
        }
    }

private let handleRequest:
    @convention(c) (UnsafeMutableRawPointer?, swiftlet_str, swiftlet_str, swiftlet_reply_fn?, UnsafeMutableRawPointer?)
        ->
        Void = { pointer, kind, request, reply, context in
            let reply = ABIReply(function: reply, context: context)
            guard let instance = PluginInstance.from(pointer) else {
                return reply(PluginError(.invalid, "no instance"))
            }
            let kind = kind.string
            let json = request.bytes
            let id = (try? JSONCoding.decoder.decode(CancelNotice.self, from: json))?.requestId
            if kind == ProviderRequestKind.cancel {
                if let id, let task = instance.requests.withLock({ $0.removeValue(forKey: id) }) { task.cancel() }
                return reply(nil)
            }
            let task = Task {
                do {
                    reply.succeed(try await ProviderRequests.answer(instance.plugin, kind: kind, json: json))
                } catch {
                    reply.fail(PluginError.from(error))
                }
                if let id { _ = instance.requests.withLock { $0.removeValue(forKey: id) } }
            }
            if let id { instance.requests.withLock { $0[id] = task } }
        }

private let destroyInstance: @convention(c) (UnsafeMutableRawPointer?) -> Void = { pointer in
    guard let pointer else { return }
    Unmanaged<PluginInstance>.fromOpaque(pointer).release()
}
