import Foundation
import SwiftletDomain
import SwiftletEvents

/// Which plugins a site enables and where they come from (the gateway configuration's
/// `plugin_directory`, `plugin_digests` and `plugins` keys, plus `plugins.d/*.yaml`).
public struct PluginSettings: Sendable, Equatable {
    public var directory: String
    /// The allow-list of library SHA-256 digests; empty allows any library that passes the other checks.
    public var digests: Set<String>
    /// The enabled plugins, in the order they are started.
    public var enabled: [Section]

    /// A plugin's configuration section and where it was written.
    public struct Section: Sendable, Equatable {
        public var id: String
        public var value: ConfigValue?
        public var file: String
        public var line: Int?

        public init(id: String, value: ConfigValue?, file: String, line: Int?) {
            self.id = id
            self.value = value
            self.file = file
            self.line = line
        }
    }

    public init(directory: String = PluginSettings.defaultDirectory, digests: Set<String> = [], enabled: [Section] = [])
    {
        self.directory = directory
        self.digests = digests
        self.enabled = enabled
    }

    /// `lib/swiftlet/plugins` beside the executable's `bin` directory: `/usr/lib/swiftlet/plugins` for
    /// `/usr/bin/swiftlet`, `/usr/local/lib/...` for `/usr/local/bin/...`, and for a build tree
    /// `.build/<triple>/lib/swiftlet/plugins` (where `scripts/stage-plugins` puts them).
    public static var defaultDirectory: String {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first ?? "/usr/bin/swiftlet"
        let bin = (executable as NSString).deletingLastPathComponent
        return
            (((bin as NSString).deletingLastPathComponent as NSString).appendingPathComponent("lib/swiftlet/plugins")
            as NSString).standardizingPath
    }

    /// The `plugins.d` directory beside a configuration file.
    public static func dropInDirectory(besides configurationFile: String) -> String {
        ((configurationFile as NSString).deletingLastPathComponent as NSString).appendingPathComponent("plugins.d")
    }
}

/// A plugin that passed the catalog's checks and whose configuration matches its schema.
public struct PreparedPlugin: Sendable {
    public var entry: PluginCatalog.Entry
    public var manifest: PluginManifest
    /// The checked configuration, defaults filled in, as JSON.
    public var configuration: Data

    public init(entry: PluginCatalog.Entry, manifest: PluginManifest, configuration: Data) {
        self.entry = entry
        self.manifest = manifest
        self.configuration = configuration
    }
}

/// A plugin section that does not match its plugin's schema.
public struct PluginConfigurationError: Error, Sendable {
    public var file: String
    public var line: Int?
    public var key: String
    public var reason: String
}

extension PluginSettings {
    /// Finds each enabled plugin in the directory and checks its section against its schema.
    /// Plugins that cannot be used (missing, refused by a check) are returned with the reason, for
    /// the caller to report; a section that does not match its schema throws, like any other
    /// configuration error.
    public func prepare() throws(PluginConfigurationError) -> (
        ready: [PreparedPlugin], refused: [(id: String, reason: String)]
    ) {
        guard !enabled.isEmpty else { return ([], []) }
        let catalog = PluginCatalog(directory: directory, allowedDigests: digests)
        var ready: [PreparedPlugin] = []
        var refused: [(String, String)] = []
        for section in enabled {
            let found: PluginCatalog.Entry?
            do {
                found = try catalog.entry(id: section.id)
            } catch {
                return ([], enabled.map { ($0.id, error.description) })
            }
            guard let entry = found else {
                refused.append((section.id, "no plugin '\(section.id)' in \(directory) (no \(section.id).plugin.json)"))
                continue
            }
            guard entry.problem == nil, let manifest = entry.manifest else {
                refused.append((section.id, entry.problem ?? "unusable"))
                continue
            }
            let configuration = try section.configuration(checkedAgainst: manifest)
            ready.append(PreparedPlugin(entry: entry, manifest: manifest, configuration: configuration))
        }
        return (ready, refused)
    }
}

extension PluginSettings.Section {
    /// The section as JSON once it matches the manifest's schema, defaults filled in.
    public func configuration(checkedAgainst manifest: PluginManifest) throws(PluginConfigurationError) -> Data {
        do {
            return try (manifest.configuration ?? ConfigurationSchema.any)
                .validate(value, key: "plugins.\(id)", parentLine: line).json
        } catch {
            throw PluginConfigurationError(file: file, line: error.line, key: error.key, reason: error.reason)
        }
    }
}

extension PluginConfigurationError: CustomStringConvertible {
    public var description: String {
        "\(line.map { "\(file):\($0)" } ?? file): \(key): \(reason)"
    }
}
