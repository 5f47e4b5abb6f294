import CSwiftletPlugin
import Foundation
import Logging
import SwiftletDomain
import SwiftletPluginSDK

/// The `swiftlet_host_api` table: C functions that find their `HostedPlugin` from the
/// `swiftlet_host *` handle and do the work. They are called from plugin threads: each is
/// thread-safe, copies what it is given before returning, and answers requests from a task.
enum HostTable {
    static let gatewayVersion = SwiftletVersion.text
    /// Longest log line a plugin may write; the rest is cut.
    static let maximumLogLength = 8192
    static let maximumKeyLength = 256
    static let maximumValueLength = 1 << 20

    /// A table for one plugin, allocated for the life of the process (the plugin may keep the pointer).
    static func make(abiVersion: UInt32) -> UnsafeMutablePointer<swiftlet_host_api> {
        var api = swiftlet_host_api()
        api.struct_size = UInt32(MemoryLayout<swiftlet_host_api>.size)
        api.abi_version = abiVersion
        let version = strdup(gatewayVersion)!
        api.host_version = swiftlet_str(data: version, size: strlen(version))
        api.log = log
        api.send_sms = sendSMS
        api.deliver_incoming = deliverIncoming
        api.phonebook_lookup = phonebookLookup
        api.phonebook_update = phonebookUpdate
        api.directory_lookup = directoryLookup
        api.subscribe = subscribe
        api.publish = publish
        api.state_get = stateGet
        api.state_put = statePut
        api.state_delete = stateDelete
        api.timer_start = timerStart
        api.timer_cancel = timerCancel
        api.register_rule_kind = registerRuleKind
        api.publish_and_wait = publishAndWait
        api.report_health = reportHealth
        api.login_attempt = loginAttempt
        api.register_provider = registerProvider
        api.status_snapshot = statusSnapshot
        api.report_metric = reportMetric
        api.report_delivery = reportDelivery
        let pointer = UnsafeMutablePointer<swiftlet_host_api>.allocate(capacity: 1)
        pointer.initialize(to: api)
        return pointer
    }

    /// `create`'s failure detail, written into the String the context points to (create calls it
    /// synchronously, before returning).
    static let collectDetail: swiftlet_reply_fn = { context, _, body in
        context?.assumingMemoryBound(to: String.self).pointee = body.string
    }

    // MARK: Synchronous functions

    static let log: @convention(c) (OpaquePointer?, Int32, swiftlet_str) -> Void = { host, level, message in
        guard let plugin = HostedPlugin.from(host) else { return }
        let levels = Logger.Level.allCases
        let logLevel = levels[Int(min(max(level, 0), Int32(levels.count - 1)))]
        plugin.logger.log(level: logLevel, "\(sanitized(message.string))")
    }

    /// The plugin behind `host` if it may use `capability` now, else the status to return.
    static func caller(
        _ host: OpaquePointer?,
        _ capability: PluginManifest.Capability,
        _ function: String
    ) -> Result<HostedPlugin, PluginError> {
        guard let plugin = HostedPlugin.from(host) else { return .failure(PluginError(.invalid, "no host handle")) }
        guard plugin.isAccepting else {
            return .failure(PluginError(.unavailable, "the plugin is not running (stopped, or still being created)"))
        }
        guard plugin.manifest.allows(capability) else {
            plugin.logger.warning(
                "refused a host call: the manifest does not declare its capability",
                metadata: ["function": "\(function)", "capability": "\(capability.rawValue)"]
            )
            return .failure(
                PluginError(
                    .denied,
                    "the manifest of '\(plugin.id)' does not declare capability '\(capability.rawValue)'"
                )
            )
        }
        return .success(plugin)
    }

    static let subscribe: @convention(c) (OpaquePointer?, swiftlet_str) -> swiftlet_status = { host, kind in
        let plugin: HostedPlugin
        switch caller(host, .events, "subscribe") {
        case .success(let caller): plugin = caller
        case .failure(let error): return error.status
        }
        let kind = kind.string
        guard !kind.isEmpty else { return SWIFTLET_ERR_INVALID }
        plugin.subscribe(kind)
        plugin.logger.debug("subscribed", metadata: ["kind": "\(kind)"])
        return SWIFTLET_OK
    }

    static let publish: @convention(c) (OpaquePointer?, swiftlet_str, swiftlet_str) -> swiftlet_status = {
        host,
        kind,
        event in
        let plugin: HostedPlugin
        switch caller(host, .publish, "publish") {
        case .success(let caller): plugin = caller
        case .failure(let error): return error.status
        }
        switch publishable(plugin, kind.string, event.bytes) {
        case .success(let json):
            plugin.services.events.publish(kind: kind.string, json: json, from: plugin.id)
            return SWIFTLET_OK
        case .failure(let error): return error.status
        }
    }

    /// The event, if `plugin` may publish it under `kind`.
    static func publishable(_ plugin: HostedPlugin, _ kind: String, _ json: Data) -> Result<Data, PluginError> {
        guard kind.hasPrefix(plugin.id + "."), kind.count > plugin.id.count + 1 else {
            plugin.logger.warning(
                "refused to publish: a plugin publishes only its own kinds (<plugin id>.<name>)",
                metadata: ["kind": "\(sanitized(kind))"]
            )
            return .failure(PluginError(.denied, "a plugin publishes only '\(plugin.id).<name>'"))
        }
        guard (try? JSONSerialization.jsonObject(with: json)) is [String: Any] else {
            return .failure(PluginError(.invalid, "the event is not a JSON object"))
        }
        return .success(json)
    }

    static let publishAndWait:
        @convention(c) (OpaquePointer?, swiftlet_str, swiftlet_str, swiftlet_reply_fn?, UnsafeMutableRawPointer?) ->
            Void = { host, kind, event, reply, context in
                let kind = kind.string
                let json = event.bytes
                answer(host, reply, context, .publish, json) { plugin, json in
                    let json = try publishable(plugin, kind, json).get()
                    let rules = try await plugin.services.events.publishAndWait(kind: kind, json: json, from: plugin.id)
                    return try JSONSerialization.data(withJSONObject: ["rules": rules])
                }
            }

    static let reportHealth: @convention(c) (OpaquePointer?, Int32, swiftlet_str) -> Void = { host, health, detail in
        guard let plugin = HostedPlugin.from(host), plugin.isAccepting else { return }
        let state: String
        switch health {
        case SWIFTLET_HEALTH_OK: state = "ok"
        case SWIFTLET_HEALTH_DEGRADED: state = "degraded"
        case SWIFTLET_HEALTH_DOWN: state = "down"
        default:
            plugin.logger.warning(
                "refused report_health: not SWIFTLET_HEALTH_OK, _DEGRADED or _DOWN",
                metadata: ["health": "\(health)"]
            )
            return
        }
        plugin.report(state: state, detail: sanitized(detail.string))
    }

    /// ABI 1.3: the shared failed-login limiter. Keys as the HTTP APIs', so that guesses spread over
    /// SMTP AUTH and the APIs count together.
    static let loginAttempt: @convention(c) (OpaquePointer?, swiftlet_str, swiftlet_str, Int32) -> swiftlet_status = {
        host,
        client,
        login,
        phase in
        guard let plugin = HostedPlugin.from(host) else { return SWIFTLET_ERR_INVALID }
        guard let limiter = plugin.services.limiter else { return SWIFTLET_OK }
        let keys = ["address:\(sanitized(client.string))", "login:\(sanitized(login.string))"]
        switch phase {
        case SWIFTLET_LOGIN_CHECK:
            return limiter.isBlocked(keys) ? SWIFTLET_ERR_UNAVAILABLE : SWIFTLET_OK
        case SWIFTLET_LOGIN_FAILED:
            return limiter.recordFailure(keys) ? SWIFTLET_ERR_UNAVAILABLE : SWIFTLET_OK
        default:
            plugin.logger.warning(
                "refused login_attempt: the phase is not SWIFTLET_LOGIN_CHECK or _FAILED",
                metadata: ["phase": "\(phase)"]
            )
            return SWIFTLET_ERR_INVALID
        }
    }

    /// ABI 1.4: a plugin offers a role under a name.
    static let registerProvider: @convention(c) (OpaquePointer?, Int32, swiftlet_str, swiftlet_str) -> swiftlet_status =
        { host, role, name, schema in
            guard let plugin = HostedPlugin.from(host) else { return SWIFTLET_ERR_INVALID }
            guard let role = ProviderRole(rawValue: role) else {
                plugin.logger.warning(
                    "refused register_provider: the role is not SWIFTLET_ROLE_TRANSPORT, _VOICE or _DIRECTORY",
                    metadata: ["role": "\(role)"]
                )
                return SWIFTLET_ERR_INVALID
            }
            let capability: PluginManifest.Capability =
                switch role {
                case .transport: .transport
                case .voice: .voice
                case .directory: .directory
                }
            switch caller(host, capability, "register_provider") {
            case .success: break
            case .failure(let error): return error.status
            }
            guard let registry = plugin.services.providers else { return SWIFTLET_ERR_UNSUPPORTED }
            guard plugin.library.descriptor.handle_request != nil else {
                plugin.logger.warning("refused register_provider: the plugin has no handle_request")
                return SWIFTLET_ERR_UNSUPPORTED
            }
            let name = name.string
            guard PluginManifest.isValidID(name) else {
                plugin.logger.warning(
                    "refused register_provider: a provider's name is 1-64 of a-z, 0-9, - and _, starting with a letter",
                    metadata: ["name": "\(sanitized(name))"]
                )
                return SWIFTLET_ERR_INVALID
            }
            if schema.size > 0 {
                do {
                    _ = try JSONDecoder().decode(ConfigurationSchema.self, from: schema.bytes)
                } catch {
                    plugin.logger.warning(
                        "refused register_provider: its schema does not read",
                        metadata: ["name": "\(name)", "error": "\(error)"]
                    )
                    return SWIFTLET_ERR_INVALID
                }
            }
            do {
                try registry.register(role, name: name, plugin: plugin)
            } catch {
                plugin.logger.warning("refused register_provider", metadata: ["name": "\(name)", "error": "\(error)"])
                return PluginError.from(error).status
            }
            plugin.logger.info("registered a provider", metadata: ["role": "\(role)", "name": "\(name)"])
            return SWIFTLET_OK
        }

    /// ABI 1.4: one of the plugin's metrics, published as `swiftlet_<plugin id>_<name>`.
    static let reportMetric: @convention(c) (OpaquePointer?, swiftlet_str) -> swiftlet_status = { host, metric in
        let plugin: HostedPlugin
        switch caller(host, .metrics, "report_metric") {
        case .success(let caller): plugin = caller
        case .failure(let error): return error.status
        }
        guard let registry = plugin.services.metrics else { return SWIFTLET_ERR_UNSUPPORTED }
        do {
            var sample: MetricSample
            do {
                sample = try JSONCoding.decoder.decode(MetricSample.self, from: metric.bytes)
            } catch {
                throw MetricError("not a metric (name, type counter or gauge, value): \(error)")
            }
            guard MetricsRegistry.isName(sample.name, maximumLength: 64) else {
                throw MetricError("name '\(sanitized(sample.name))': 1-64 of a-z, 0-9 and _, not starting with a digit")
            }
            sample.name = "swiftlet_" + plugin.id.replacingOccurrences(of: "-", with: "_") + "_" + sample.name
            try registry.record(sample, owner: plugin.id)
            return SWIFTLET_OK
        } catch {
            plugin.logger.warning("refused report_metric", metadata: ["error": "\(error)"])
            return SWIFTLET_ERR_INVALID
        }
    }

    static let timerStart:
        @convention(c) (
            OpaquePointer?, UInt64, UInt64, swiftlet_timer_fn?, UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt64>?
        ) -> swiftlet_status = { host, delay, interval, fire, context, timerID in
            guard fire != nil, let timerID else { return SWIFTLET_ERR_INVALID }
            let plugin: HostedPlugin
            switch caller(host, .timers, "timer_start") {
            case .success(let caller): plugin = caller
            case .failure(let error): return error.status
            }
            timerID.pointee = plugin.startTimer(
                delay: delay,
                interval: interval,
                fire: TimerCallback(function: fire, context: context)
            )
            return SWIFTLET_OK
        }

    static let timerCancel: @convention(c) (OpaquePointer?, UInt64) -> swiftlet_status = { host, timer in
        guard let plugin = HostedPlugin.from(host) else { return SWIFTLET_ERR_INVALID }
        return plugin.cancelTimer(timer) ? SWIFTLET_OK : SWIFTLET_ERR_NOT_FOUND
    }

    static let registerRuleKind: @convention(c) (OpaquePointer?, swiftlet_str, Int32, swiftlet_str) -> swiftlet_status =
        {
            host,
            kind,
            role,
            schema in
            let plugin: HostedPlugin
            switch caller(host, .rules, "register_rule_kind") {
            case .success(let caller): plugin = caller
            case .failure(let error): return error.status
            }
            guard let registry = plugin.services.ruleKinds else { return SWIFTLET_ERR_UNSUPPORTED }
            let name = kind.string
            guard name.hasPrefix(plugin.id + "."), name.count > plugin.id.count + 1,
                !name.dropFirst(plugin.id.count + 1).contains(".")
            else {
                plugin.logger.warning(
                    "refused to register a rule kind: a plugin's kinds are <plugin id>.<name>",
                    metadata: ["kind": "\(sanitized(name))"]
                )
                return SWIFTLET_ERR_DENIED
            }
            guard let role = RuleKindRegistry.Role(rawValue: role) else {
                plugin.logger.warning(
                    "refused to register a rule kind: the role is not trigger (1) or action (2)",
                    metadata: ["kind": "\(name)", "role": "\(role)"]
                )
                return SWIFTLET_ERR_INVALID
            }
            var parsed: ConfigurationSchema?
            if schema.size > 0 {
                do {
                    parsed = try JSONDecoder().decode(ConfigurationSchema.self, from: schema.bytes)
                } catch {
                    plugin.logger.warning(
                        "refused to register a rule kind: its schema does not read",
                        metadata: ["kind": "\(name)", "error": "\(error)"]
                    )
                    return SWIFTLET_ERR_INVALID
                }
            }
            if role == .action { plugin.subscribe(name) }
            registry.register(name, .init(plugin: plugin.id, role: role, schema: parsed))
            plugin.logger.info(
                "registered a rule kind",
                metadata: ["kind": "\(name)", "role": "\(role == .action ? "action" : "trigger")"]
            )
            return SWIFTLET_OK
        }

    // MARK: Requests answered through a reply function

    typealias Request =
        @convention(c) (OpaquePointer?, swiftlet_str, swiftlet_reply_fn?, UnsafeMutableRawPointer?) ->
        Void

    static let sendSMS: Request = { host, request, reply, context in
        answer(host, reply, context, .sendSMS, request.bytes) { plugin, body in
            let sms = try JSONCoding.decoder.decode(OutgoingSMS.self, from: body)
            let ids = try await plugin.services.send(sms, plugin: plugin.id, logger: plugin.logger)
            plugin.logger.debug("queued", metadata: ["message.ids": "\(ids.map(String.init).joined(separator: ","))"])
            return try JSONSerialization.data(withJSONObject: ["ids": ids])
        }
    }

    static let deliverIncoming: Request = { host, request, reply, context in
        answer(host, reply, context, .deliverIncoming, request.bytes) { plugin, body in
            let sms = try JSONCoding.decoder.decode(IncomingSMS.self, from: body)
            let id = try await plugin.services.deliverIncoming(sms, plugin: plugin.id)
            plugin.logger.info(
                "received a message through the plugin",
                metadata: ["message.id": "\(id)", "from": "\(sms.from)"]
            )
            return try JSONSerialization.data(withJSONObject: ["id": id])
        }
    }

    static let phonebookLookup: Request = { host, request, reply, context in
        answer(host, reply, context, .phonebook, request.bytes) { plugin, body in
            let query = try JSONCoding.decoder.decode(PhonebookQuery.self, from: body)
            return try JSONCoding.encoder.encode(try await plugin.services.lookUp(query))
        }
    }

    static let phonebookUpdate: Request = { host, request, reply, context in
        answer(host, reply, context, .phonebookWrite, request.bytes) { plugin, body in
            let change = try JSONCoding.decoder.decode(HostServices.GroupChange.self, from: body)
            let changed = try await plugin.services.update(change)
            plugin.logger.debug(
                "group membership",
                metadata: [
                    "op": "\(change.op)", "group": "\(change.group)", "number": "\(change.number)",
                    "changed": "\(changed)",
                ]
            )
            return try JSONSerialization.data(withJSONObject: ["changed": changed])
        }
    }

    static let directoryLookup: Request = { host, request, reply, context in
        answer(host, reply, context, .phonebook, request.bytes) { plugin, body in
            struct Query: Decodable { var name: String }
            let query = try JSONCoding.decoder.decode(Query.self, from: body)
            let (numbers, source) = try await plugin.services.resolve(name: query.name)
            return try JSONSerialization.data(withJSONObject: ["numbers": numbers, "source": source])
        }
    }

    /// ABI 1.5: a transport's status report on a message it accepted (or could not tell whether it sent).
    static let reportDelivery: Request = { host, request, reply, context in
        answer(host, reply, context, .transport, request.bytes) { plugin, body in
            guard let record = plugin.services.reportDelivery else {
                throw SwiftletError(.notSupported, "this gateway takes no delivery reports from plugins")
            }
            let report = try JSONCoding.decoder.decode(TransportDeliveryReport.self, from: body)
            guard
                let outcome = try await record(
                    TransportReport(
                        id: MessageID(report.id),
                        key: report.key,
                        status: report.status,
                        detail: report.detail,
                        at: report.at ?? Date()
                    ),
                    plugin.id
                )
            else {
                throw SwiftletError(
                    .notFound,
                    "no message \(report.id) with key \(sanitized(report.key)) was sent through this plugin's transports"
                )
            }
            return try JSONSerialization.data(withJSONObject: ["id": outcome.id, "changed": outcome.changed])
        }
    }

    /// ABI 1.4: the gateway's state, as the gateway assembles it.
    static let statusSnapshot: Request = { host, request, reply, context in
        answer(host, reply, context, .status, request.bytes) { plugin, _ in
            guard let status = plugin.services.status else {
                throw SwiftletError(.notSupported, "this gateway offers no status snapshot")
            }
            return try JSONCoding.encoder.encode(try await status())
        }
    }

    static let stateGet: Request = { host, key, reply, context in
        answer(host, reply, context, .state, key.bytes) { plugin, key in
            let key = try stateKey(key)
            guard let value = try await plugin.services.state.pluginState(plugin: plugin.id, key: key) else {
                throw SwiftletError(.notFound, "no value for key '\(key)'")
            }
            return Data(value)
        }
    }

    static let statePut:
        @convention(c) (OpaquePointer?, swiftlet_str, swiftlet_str, swiftlet_reply_fn?, UnsafeMutableRawPointer?) ->
            Void = { host, key, value, reply, context in
                let value = value.bytes
                answer(host, reply, context, .state, key.bytes) { plugin, key in
                    let key = try stateKey(key)
                    guard value.count <= maximumValueLength else {
                        throw SwiftletError(.invalidParameter, "value: more than \(maximumValueLength) bytes")
                    }
                    try await plugin.services.state.setPluginState(plugin: plugin.id, key: key, value: [UInt8](value))
                    return Data("{}".utf8)
                }
            }

    static let stateDelete: Request = { host, key, reply, context in
        answer(host, reply, context, .state, key.bytes) { plugin, key in
            try await plugin.services.state.removePluginState(plugin: plugin.id, key: try stateKey(key))
            return Data("{}".utf8)
        }
    }

    static func stateKey(_ bytes: Data) throws -> String {
        guard (1...maximumKeyLength).contains(bytes.count), let key = String(data: bytes, encoding: .utf8) else {
            throw SwiftletError(.invalidParameter, "key: 1 to \(maximumKeyLength) bytes of UTF-8")
        }
        return key
    }

    /// Checks the caller and its capability, then does `work` in a task and answers through `reply`.
    static func answer(
        _ host: OpaquePointer?,
        _ reply: swiftlet_reply_fn?,
        _ context: UnsafeMutableRawPointer?,
        _ capability: PluginManifest.Capability,
        _ body: Data,
        _ work: @escaping @Sendable (HostedPlugin, Data) async throws -> Data
    ) {
        let reply = ABIReply(function: reply, context: context)
        let plugin: HostedPlugin
        switch caller(host, capability, capability.rawValue) {
        case .success(let caller): plugin = caller
        case .failure(let error): return reply.fail(error)
        }
        Task {
            do {
                reply.succeed(try await work(plugin, body))
            } catch {
                let failure = pluginError(error)
                if failure.code == .internalError || failure.code == .unavailable {
                    plugin.logger.error(
                        "a plugin's request failed",
                        metadata: ["capability": "\(capability.rawValue)", "error": "\(failure.detail)"]
                    )
                }
                reply.fail(failure)
            }
        }
    }

    static func pluginError(_ error: any Error) -> PluginError {
        guard let error = error as? SwiftletError else { return PluginError.from(error) }
        switch error.kind {
        case .invalidParameter: return PluginError(.invalid, error.detail)
        case .notFound: return PluginError(.notFound, error.detail)
        case .forbidden, .unauthenticated: return PluginError(.denied, error.detail)
        case .storage, .unavailable: return PluginError(.unavailable, error.detail)
        case .notSupported: return PluginError(.unsupported, error.detail)
        }
    }

    /// A plugin's text made safe for a one-line log: control characters become spaces, length is capped.
    static func sanitized(_ text: String) -> String {
        let clean = String(
            String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 })
        )
        return clean.count > maximumLogLength ? String(clean.prefix(maximumLogLength)) + "…" : clean
    }
}
