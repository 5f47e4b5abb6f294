import Foundation
import Logging
import ModemSimulator
import SwiftletDomain
import SwiftletEvents
import SwiftletModem
import SwiftletPluginHost
import SwiftletRules
import SwiftletStore
import Yams

/// Reads the YAML configuration, refusing unknown keys and bad values with the file, line, key and reason.
public struct ConfigurationLoader {
    let file: String

    public static func load(file: String) throws -> GatewayConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ConfigurationError(
                file: file,
                line: nil,
                key: "",
                reason: "cannot read the file (\(error.localizedDescription))"
            )
        }
        return try ConfigurationLoader(file: file).parse(text)
    }

    func parse(_ text: String) throws -> GatewayConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError(file: file, line: nil, key: "", reason: "not valid YAML: \(error)")
        }
        var configuration = GatewayConfiguration()
        configuration.file = file
        guard let root else { return configuration }  // an empty file: every default
        let top = try mapping(
            root,
            key: "",
            known: [
                "data_dir", "http", "log", "time_zone", "store", "node_name", "dispatcher", "inbox", "modems",
                "simulator", "plugin_directory", "plugin_digests", "plugins", "rules", "webhooks", "web", "metrics",
                "sensor_history",
            ]
        )
        if let node = top["data_dir"] { configuration.dataDirectory = try string(node, "data_dir") }
        if let node = top["node_name"] { configuration.nodeName = try string(node, "node_name") }
        if let node = top["time_zone"] {
            let name = try string(node, "time_zone")
            if name != "system" {
                guard let zone = TimeZone(identifier: name) else {
                    throw error(
                        node,
                        "time_zone",
                        "'\(name)' is not a time zone (use e.g. Europe/Stockholm, UTC or system)"
                    )
                }
                configuration.timeZone = zone
            }
        }
        if let http = try fields(
            top,
            "http",
            known: [
                "listen", "trusted_proxies", "max_connections", "header_timeout", "body_timeout", "idle_timeout",
            ]
        ) {
            if let (host, port) = try http.value("listen", hostPort) {
                configuration.http.host = host
                configuration.http.port = port
            }
            try http.read("trusted_proxies", into: &configuration.http.trustedProxies, networks)
            try http.read("max_connections", into: &configuration.http.maxConnections, integer(in: 1...1_000_000))
            try http.read("header_timeout", into: &configuration.http.headerTimeout, duration)
            try http.read("body_timeout", into: &configuration.http.bodyTimeout, duration)
            try http.read("idle_timeout", into: &configuration.http.idleTimeout, duration)
        }
        if let log = try fields(top, "log", known: ["level"]) {
            try log.read("level", into: &configuration.logLevel, choice)
        }
        if let store = try fields(top, "store", known: ["synchronous"]) {
            try store.read("synchronous", into: &configuration.synchronous, choice)
        }
        if let dispatcher = try fields(
            top,
            "dispatcher",
            known: [
                "lease", "max_attempts", "retry_delay", "sweep_interval", "delivery_reports", "bench_after",
                "bench_for", "transport", "transport_use", "transport_after", "transport_timeout", "call_attempts",
                "call_retry_delay", "call_ring_time", "ring_via", "transport_modem_no", "transport_monthly_cap",
                "transport_urgent_priority",
            ]
        ) {
            try dispatcher.read("bench_after", into: &configuration.dispatcher.benchAfter, integer(in: 1...1000))
            try dispatcher.read("bench_for", into: &configuration.dispatcher.benchFor, duration)
            try dispatcher.read("delivery_reports", into: &configuration.dispatcher.deliveryReports, boolean)
            try dispatcher.read("lease", into: &configuration.dispatcher.lease, duration)
            try dispatcher.read("max_attempts", into: &configuration.dispatcher.maxAttempts, integer(in: 1...100))
            try dispatcher.read("retry_delay", into: &configuration.dispatcher.retryDelay, duration)
            try dispatcher.read("sweep_interval", into: &configuration.dispatcher.sweepInterval, duration)
            try dispatcher.read("transport", into: &configuration.dispatcher.transport) { try string($0, $1) }
            try dispatcher.read("transport_use", into: &configuration.dispatcher.transportUse, choice)
            try dispatcher.read("transport_after", into: &configuration.dispatcher.transportAfter, durationOrZero)
            try dispatcher.read("transport_timeout", into: &configuration.dispatcher.transportTimeout, duration)
            try dispatcher.read("transport_modem_no", into: &configuration.dispatcher.transportModemNumber) {
                try integer($0, $1, in: 1...99)
            }
            try dispatcher.read("transport_monthly_cap", into: &configuration.dispatcher.transportMonthlyCap) {
                node,
                key in
                guard let text = node.scalar?.string, let cap = Double(text), cap >= 0, cap.isFinite else {
                    throw error(node, key, "'\(node.scalar?.string ?? "…")' is not an amount such as 500 or 99.50")
                }
                return cap
            }
            try dispatcher.read(
                "transport_urgent_priority",
                into: &configuration.dispatcher.transportUrgentPriority,
                integer(in: 0...9)
            )
            try dispatcher.read("call_attempts", into: &configuration.dispatcher.callAttempts, integer(in: 1...20))
            try dispatcher.read("call_retry_delay", into: &configuration.dispatcher.callRetryDelay, duration)
            try dispatcher.read("call_ring_time", into: &configuration.dispatcher.callRingTime, duration)
            try dispatcher.read("ring_via", into: &configuration.dispatcher.ringVia, choice)
        }
        if let webhooks = try fields(
            top,
            "webhooks",
            known: [
                "first_retry", "max_retry_interval", "give_up_after", "timeout", "allowed_networks",
            ]
        ) {
            try webhooks.read("allowed_networks", into: &configuration.webhooks.allowedNetworks, networks)
            try webhooks.read("first_retry", into: &configuration.webhooks.firstRetry, duration)
            try webhooks.read("max_retry_interval", into: &configuration.webhooks.maxRetryInterval, duration)
            try webhooks.read("give_up_after", into: &configuration.webhooks.giveUpAfter, duration)
            try webhooks.read("timeout", into: &configuration.webhooks.timeout, duration)
        }
        if let web = try fields(top, "web", known: ["enabled", "path", "secure_cookies"]) {
            try web.read("enabled", into: &configuration.web.enabled, boolean)
            try web.read("path", into: &configuration.web.path) { node, key in
                let path = try string(node, key)
                guard path.hasPrefix("/"), !path.contains("?"), !path.contains("#"), !path.contains("//") else {
                    throw error(node, key, "'\(path)' is not a path (e.g. / or /admin/)")
                }
                return path.hasSuffix("/") ? path : path + "/"
            }
            try web.read("secure_cookies", into: &configuration.web.secureCookies, boolean)
        }
        if let metrics = try fields(top, "metrics", known: ["enabled", "path", "token"]) {
            try metrics.read("enabled", into: &configuration.metrics.enabled, boolean)
            try metrics.read("path", into: &configuration.metrics.path) { node, key in
                let path = try string(node, key)
                guard path.hasPrefix("/"), path.count > 1, !path.contains("?"), !path.contains("#") else {
                    throw error(node, key, "'\(path)' is not a path (e.g. /metrics)")
                }
                return path
            }
            try metrics.read("token", into: &configuration.metrics.token) { node, key in
                let token = try string(node, key)
                guard token.utf8.count >= 16, token.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                    throw error(node, key, "a token is at least 16 characters, without spaces")
                }
                return token
            }
        }
        if let history = try fields(top, "sensor_history", known: ["resolution", "raw_for", "bucket", "keep_for"]) {
            try history.read("resolution", into: &configuration.sensorHistory.resolution, duration)
            try history.read("raw_for", into: &configuration.sensorHistory.rawFor, duration)
            try history.read("bucket", into: &configuration.sensorHistory.bucket, duration)
            try history.read("keep_for", into: &configuration.sensorHistory.keepFor, duration)
        }
        if let inbox = try fields(top, "inbox", known: ["multipart_timeout"]) {
            try inbox.read("multipart_timeout", into: &configuration.multipartTimeout, duration)
        }
        if let node = top["modems"] { configuration.modems = try modems(node) }
        if let node = top["rules"] {
            do throws(RuleParseError) {
                configuration.rules = try RuleParser(timeZone: configuration.timeZone).parseList(node)
            } catch {
                throw ConfigurationError(file: file, line: error.line, key: error.key, reason: error.reason)
            }
        }
        if let node = top["plugin_directory"] {
            configuration.plugins.directory = absolute(try string(node, "plugin_directory"))
        }
        if let node = top["plugin_digests"] {
            guard let list = node.sequence else {
                throw error(node, "plugin_digests", "must be a list of SHA-256 digests (64 hex digits each)")
            }
            configuration.plugins.digests = Set(
                try list.map { item in
                    let digest = try string(item, "plugin_digests").lowercased()
                    guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
                        throw error(item, "plugin_digests", "'\(digest)' is not a SHA-256 digest (64 hex digits)")
                    }
                    return digest
                }
            )
        }
        if let node = top["plugins"] {
            if node.scalar?.string.isEmpty != true || node.scalar?.style != .plain {
                guard let mapping = node.mapping else {
                    throw error(node, "plugins", "must be a mapping of plugin ids to their configuration")
                }
                for (keyNode, value) in mapping {
                    let id = keyNode.string ?? ""
                    guard PluginManifest.isValidID(id) else {
                        throw error(keyNode, "plugins." + id, "not a plugin id (lower-case letters, digits, '-', '_')")
                    }
                    configuration.plugins.enabled.append(
                        PluginSettings.Section(id: id, value: Self.value(value), file: file, line: keyNode.mark?.line)
                    )
                }
            }
        }
        try loadDropIns(into: &configuration.plugins)
        if let simulator = try fields(
            top,
            "simulator",
            known: [
                "send_delay", "signal", "delivery_report_delay", "undeliverable", "ussd_answers", "voice",
                "busy_numbers",
                "modems", "refused_numbers",
            ]
        ) {
            try simulator.read("send_delay", into: &configuration.simulator.sendDelay, durationOrZero)
            try simulator.read("modems", into: &configuration.simulator.modems, integer(in: 1...64))
            try simulator.read("signal", into: &configuration.simulator.signal, integer(in: 0...31))
            try simulator.read(
                "delivery_report_delay",
                into: &configuration.simulator.deliveryReportDelay,
                durationOrZero
            )
            try simulator.read("undeliverable", into: &configuration.simulator.undeliverable, numbers)
            try simulator.read("refused_numbers", into: &configuration.simulator.refusedNumbers, numbers)
            try simulator.read("busy_numbers", into: &configuration.simulator.busyNumbers, numbers)
            try simulator.read("voice", into: &configuration.simulator.voice, boolean)
            if let value = simulator.nodes["ussd_answers"] {
                guard let pairs = value.mapping else {
                    throw error(
                        value,
                        "simulator.ussd_answers",
                        "must map USSD codes to answers, e.g. \"*101#\": Balance 5 EUR"
                    )
                }
                var answers: [String: String] = [:]
                for (code, answer) in pairs {
                    let key = try string(code, "simulator.ussd_answers")
                    answers[key] = try string(answer, "simulator.ussd_answers.\(key)")
                }
                configuration.simulator.ussdAnswers = answers
            }
        }
        return configuration
    }

    func numbers(_ node: Node, _ key: String) throws -> Set<String> {
        guard let list = node.sequence else { throw error(node, key, "must be a list of numbers") }
        return Set(try list.map { try string($0, key) })
    }

    func modems(_ node: Node) throws -> [ModemConfiguration] {
        guard let sequence = node.sequence else { throw error(node, "modems", "must be a list of modems") }
        var names = Set<String>()
        return try sequence.enumerated().map { offset, item in
            let key = "modems[\(offset)]"
            let fields = Fields(
                prefix: key,
                nodes: try mapping(
                    item,
                    key: key,
                    known: [
                        "name", "device", "baud", "command_timeout", "send_timeout", "network_timeout",
                        "health_check_interval", "pin",
                        "registration_timeout", "max_per_minute",
                    ]
                )
            )
            guard let deviceNode = fields.nodes["device"] else { throw error(item, key, "'device' is required") }
            var modem = ModemConfiguration(
                name: try fields.value("name", string) ?? "modem\(offset + 1)",
                device: try string(deviceNode, key + ".device")
            )
            guard names.insert(modem.name).inserted else {
                throw error(item, key + ".name", "'\(modem.name)' is used twice")
            }
            if let value = fields.nodes["baud"] {
                let baud = try integer(value, key + ".baud", in: 1...4_000_000)
                guard SerialPort.supportedBaudRates.contains(baud) else {
                    throw error(
                        value,
                        key + ".baud",
                        "\(baud) is not one of \(SerialPort.supportedBaudRates.map(String.init).joined(separator: ", "))"
                    )
                }
                modem.baudRate = baud
            }
            try fields.read("command_timeout", into: &modem.timeouts.command, duration)
            try fields.read("send_timeout", into: &modem.timeouts.send, duration)
            try fields.read("network_timeout", into: &modem.timeouts.network, duration)
            if let value = fields.nodes["pin"] {
                let pin = try string(value, key + ".pin")
                guard (4...8).contains(pin.count), pin.allSatisfy(\.isNumber) else {
                    throw error(value, key + ".pin", "a PIN is 4 to 8 digits (quote it, e.g. pin: \"0012\")")
                }
                modem.pin = pin
            }
            try fields.read("max_per_minute", into: &modem.maxPerMinute, integer(in: 1...6000))
            try fields.read("registration_timeout", into: &modem.registrationTimeout, duration)
            try fields.read("health_check_interval", into: &modem.healthCheckInterval, duration)
            return modem
        }
    }

    /// Reads `plugins.d/<id>.yaml` beside the file: each enables plugin `<id>` with the file's content
    /// as its section (`swiftlet plugins enable` writes them).
    func loadDropIns(into plugins: inout PluginSettings) throws {
        let directory = PluginSettings.dropInDirectory(besides: file)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names.sorted() where name.hasSuffix(".yaml") {
            let path = (directory as NSString).appendingPathComponent(name)
            let id = String(name.dropLast(".yaml".count))
            guard PluginManifest.isValidID(id) else {
                throw ConfigurationError(
                    file: path,
                    line: nil,
                    key: "",
                    reason: "'\(id)' is not a plugin id; name drop-ins <plugin id>.yaml"
                )
            }
            if let other = plugins.enabled.first(where: { $0.id == id }) {
                throw ConfigurationError(
                    file: path,
                    line: nil,
                    key: "",
                    reason:
                        "plugin \(id) is configured here and in \(other.file)\(other.line.map { ":\($0)" } ?? ""); keep one"
                )
            }
            let text: String
            let root: Node?
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
                root = try Yams.compose(yaml: text)
            } catch {
                throw ConfigurationError(file: path, line: nil, key: "", reason: "cannot read it as YAML: \(error)")
            }
            plugins.enabled.append(PluginSettings.Section(id: id, value: root.map(Self.value), file: path, line: 1))
        }
    }

    /// A YAML node as a `ConfigValue`, keeping lines for the plugin's schema check.
    static func value(_ node: Node) -> ConfigValue {
        let line = node.mark?.line
        switch node {
        case .scalar(let scalar): return .scalar(scalar.string, quoted: scalar.style != .plain, line: line)
        case .sequence(let sequence): return .sequence(sequence.map(value), line: line)
        case .mapping(let mapping):
            return .mapping(
                mapping.map {
                    ConfigValue.Entry(key: $0.key.string ?? "", keyLine: $0.key.mark?.line, value: value($0.value))
                },
                line: line
            )
        case .alias: return .scalar("", quoted: false, line: line)
        }
    }

    /// A path relative to the configuration file's directory.
    func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        return (((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent(path) as NSString)
            .standardizingPath
    }

    // MARK: Node helpers

    func error(_ node: Node, _ key: String, _ reason: String) -> ConfigurationError {
        ConfigurationError(file: file, line: node.mark?.line, key: key, reason: reason)
    }

    func mapping(_ node: Node, key: String, known: [String]) throws -> [String: Node] {
        if node.scalar?.string.isEmpty == true, node.scalar?.style == .plain { return [:] }  // `key:` with no value
        guard let mapping = node.mapping else { throw error(node, key, "must be a mapping of keys to values") }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            let name = keyNode.string ?? ""
            let path = key.isEmpty ? name : key + "." + name
            guard known.contains(name) else {
                throw error(keyNode, path, "unknown key (known keys here: \(known.joined(separator: ", ")))")
            }
            result[name] = value
        }
        return result
    }

    /// The mapping `top[name]`, its keys checked against `known`; nil when the file has no `name`.
    func fields(_ top: [String: Node], _ name: String, known: [String]) throws -> Fields? {
        guard let node = top[name] else { return nil }
        return Fields(prefix: name, nodes: try mapping(node, key: name, known: known))
    }

    func string(_ node: Node, _ key: String) throws -> String {
        guard let value = node.scalar?.string, !value.isEmpty else {
            throw error(node, key, "must be a non-empty text")
        }
        return value
    }

    func boolean(_ node: Node, _ key: String) throws -> Bool {
        switch node.scalar?.string {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(node, key, "'\(node.scalar?.string ?? "…")' is not true or false")
        }
    }

    func integer(_ node: Node, _ key: String, in range: ClosedRange<Int>) throws -> Int {
        guard let text = node.scalar?.string, let value = Int(text), range.contains(value) else {
            throw error(
                node,
                key,
                "'\(node.scalar?.string ?? "…")' is not a whole number from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return value
    }

    /// One of the cases of `Choice`, by name.
    func choice<Choice: RawRepresentable & CaseIterable>(_ node: Node, _ key: String) throws -> Choice
    where Choice.RawValue == String {
        let name = try string(node, key)
        guard let choice = Choice(rawValue: name) else {
            let names = Choice.allCases.map(\.rawValue)
            let list = names.dropLast().joined(separator: ", ") + (names.count > 1 ? " or " : "") + (names.last ?? "")
            throw error(node, key, "'\(name)' is not \(list)")
        }
        return choice
    }

    /// A reader of whole numbers in `range`, for ``Fields/read(_:into:_:)``.
    func integer(in range: ClosedRange<Int>) -> (Node, String) throws -> Int {
        { try integer($0, $1, in: range) }
    }

    /// A duration longer than zero.
    func duration(_ node: Node, _ key: String) throws -> Duration {
        try duration(node, key, allowZero: false)
    }

    /// A duration, zero included (`0s`: at once).
    func durationOrZero(_ node: Node, _ key: String) throws -> Duration {
        try duration(node, key, allowZero: true)
    }

    func duration(_ node: Node, _ key: String, allowZero: Bool) throws -> Duration {
        let text = node.scalar?.string ?? ""
        guard let value = Self.duration(text), allowZero || value > .zero else {
            throw error(node, key, "'\(text)' is not a duration (write e.g. 500ms, 30s, 5m or 1h)")
        }
        return value
    }

    /// A list of addresses and networks (`127.0.0.1`, `10.0.0.0/8`, `fd00::/8`).
    func networks(_ node: Node, _ key: String) throws -> [IPNetwork] {
        guard let sequence = node.sequence else {
            throw error(node, key, "must be a list of addresses or networks (e.g. [127.0.0.1, 10.0.0.0/8])")
        }
        return try sequence.map { item in
            let text = item.scalar?.string ?? ""
            guard let network = IPNetwork(text) else {
                throw error(item, key, "'\(text)' is not an IP address or network (write e.g. 10.0.0.0/8 or ::1)")
            }
            return network
        }
    }

    func hostPort(_ node: Node, _ key: String) throws -> (String, Int) {
        let text = node.scalar?.string ?? ""
        guard let parsed = Self.hostPort(text) else {
            throw error(node, key, "'\(text)' is not HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)")
        }
        return parsed
    }

    /// `500ms`, `30s`, `5m`, `1h`, `1d`; nil if malformed. The same reading as the rules'.
    public static func duration(_ text: String) -> Duration? { RuleParser.duration(text) }

    /// `HOST:PORT`, with IPv6 hosts in brackets; port 0 picks a free port.
    public static func hostPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        return (host, port)
    }
}

/// The values of one mapping of the file (`http`, `modems[0]`…), each read by a reader that names
/// the whole key (`http.header_timeout`) in its error.
struct Fields {
    /// The mapping's own key.
    let prefix: String
    let nodes: [String: Node]

    /// Sets `target` to the value of `key`, as `reader` reads it; leaves it as it is when absent.
    func read<Value>(_ key: String, into target: inout Value, _ reader: (Node, String) throws -> Value) rethrows {
        if let value = try value(key, reader) { target = value }
    }

    /// The value of `key`, as `reader` reads it; nil when absent.
    func value<Value>(_ key: String, _ reader: (Node, String) throws -> Value) rethrows -> Value? {
        guard let node = nodes[key] else { return nil }
        return try reader(node, prefix + "." + key)
    }
}
