import Foundation

/// A Swiftlet plugin written in Swift.
///
/// Write a `Sendable` type with a `Decodable` configuration, export it with one `@_cdecl` function
/// (see ``PluginExport``), and the SDK speaks the C ABI of `swiftlet_plugin.h` for you: it decodes the
/// configuration, turns the host's callbacks into `async` calls, and delivers events one at a time.
///
/// ```swift
/// struct Hello: Plugin {
///     struct Configuration: Decodable, Sendable { var greeting: String }
///     static let id = "hello"
///     static let version = "1.0.0"
///     let configuration: Configuration
///     let host: any PluginHost
///     init(configuration: Configuration, host: any PluginHost) throws { ... }
///     func start() async throws { try host.subscribe("sms.incoming") }
///     func handle(_ event: Event) async { ... }
/// }
/// ```
///
/// The gateway calls `start` once, then `handle` for each event of a subscribed kind (one at a
/// time, in order), then `stop`. None of these may block a thread: the Swift concurrency pool is
/// shared with the gateway. Blocking C libraries belong on a thread of the plugin's own.
public protocol Plugin: Sendable {
    /// The plugin's section of the gateway configuration, checked against the manifest's schema
    /// (defaults filled in) before it gets here. Decoded with `.convertFromSnakeCase` keys.
    associatedtype Configuration: Decodable & Sendable

    /// Must equal the manifest's `id`.
    static var id: String { get }
    /// Must equal the manifest's `version`.
    static var version: String { get }

    init(configuration: Configuration, host: any PluginHost) throws
    /// Starts the plugin's work. Throwing reports the plugin as failed; the gateway runs on without it.
    func start() async throws
    /// An event of a kind the plugin subscribed to.
    func handle(_ event: Event) async
    /// Finishes or hands back work in progress. Events still queued are handled before this is called.
    func stop() async
}

extension Plugin {
    public func start() async throws {}
    public func handle(_ event: Event) async {}
    public func stop() async {}
}

/// An event from the gateway or another plugin: a kind and a JSON object.
public struct Event: Sendable, Equatable {
    public var kind: String
    public var json: Data

    public init(kind: String, json: Data) {
        self.kind = kind
        self.json = json
    }

    /// An event made from an encodable body (used by hosts and test kits).
    public init(kind: String, body: some Encodable) throws {
        self.init(kind: kind, json: try JSONCoding.encoder.encode(body))
    }

    /// Decodes the body, e.g. `try event.decode(IncomingSMSEvent.self)` for `sms.incoming`.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONCoding.decoder.decode(type, from: json)
    }
}

/// The level of a log line, as the gateway's log names it.
public enum LogLevel: Int32, Sendable, CaseIterable {
    case trace = 0
    case debug, info, notice, warning, error, critical
}

/// A failed host call: the ABI's status code and the host's explanation.
public struct PluginError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Int32, Sendable {
        case invalid = 1
        case notFound, unsupported, unavailable, denied, internalError
    }
    public var code: Code
    public var detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public init(status: Int32, detail: String) {
        self.init(Code(rawValue: status) ?? .internalError, detail)
    }

    public var description: String { detail }
}
