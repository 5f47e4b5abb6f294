import ArgumentParser
import Foundation
import SwiftletDomain
import SwiftletEvents
import SwiftletGateway
import SwiftletPluginHost
import SwiftletStore

struct Plugins: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, inspect, enable and disable plugins.",
        discussion: """
            Plugins are shared libraries in the plugin directory (configuration key plugin_directory), each with a \
            manifest <id>.plugin.json beside it. A plugin is enabled by its section under 'plugins:' in the \
            configuration file, or by a drop-in file plugins.d/<id>.yaml beside it, which 'enable' writes. \
            Changes take effect when the gateway restarts. Listing reads manifests only: no plugin code runs.
            """,
        subcommands: [List.self, Info.self, Enable.self, Disable.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the plugins in the plugin directory, which are enabled, and how the running ones are.",
            discussion: """
                ABI is the range of plugin ABI versions a plugin's manifest names; for a plugin the running gateway \
                loaded, the version they agreed on comes first ("1.5 (1.0–1.5)"). HEALTH is what each enabled plugin \
                of the running gateway last reported (e.g. the MQTT plugin's connection to its broker), with the \
                time it entered that state.
                """
        )

        @OptionGroup var data: DataOptions

        func run() async throws {
            let configuration = try data.load()
            let health = await Self.health(configuration)
            let settings = configuration.plugins
            print("plugin directory: \(settings.directory)")
            let catalog = PluginCatalog(directory: settings.directory, allowedDigests: settings.digests)
            let entries: [PluginCatalog.Entry]
            do {
                entries = try catalog.scan()
            } catch {
                print("  \(error)")
                entries = []
            }
            var rows: [[String]] = [["ID", "VERSION", "ABI", "STATUS", "NAME", "HEALTH"]]
            for entry in entries {
                let section = settings.enabled.first { $0.id == entry.id }
                var status = section.map { "enabled (\(Self.shortPath($0.file)))" } ?? "available"
                if let problem = entry.problem {
                    status = (section == nil ? "refused: " : "enabled but refused: ") + problem
                } else if let section, let manifest = entry.manifest {
                    do {
                        _ = try section.configuration(checkedAgainst: manifest)
                    } catch {
                        status = "enabled, configuration error: \(error)"
                    }
                }
                let running = section == nil ? nil : health?[entry.id]
                rows.append([
                    entry.id, entry.manifest?.version ?? "-", Self.abi(entry.manifest, running), status,
                    entry.manifest?.name ?? "-", section == nil ? "" : Self.describe(running),
                ])
            }
            for section in settings.enabled where !entries.contains(where: { $0.id == section.id }) {
                rows.append([
                    section.id, "-", "-", "enabled but not installed (no \(section.id).plugin.json)", "-", "-",
                ])
            }
            if rows.count == 1 {
                print("no plugins installed")
                return
            }
            Table.print(rows)
            if health == nil, !settings.enabled.isEmpty {
                print(
                    "the gateway is not running with data directory \(configuration.dataDirectory): no health to show"
                )
            }
        }

        /// What the running gateway's plugins last reported; nil when no gateway runs.
        static func health(_ configuration: GatewayConfiguration) async -> [String: PluginHealthReport]? {
            guard DataDirectoryLock.isHeld(directory: configuration.dataDirectory),
                let store = try? SQLiteStore(
                    directory: configuration.dataDirectory,
                    synchronous: configuration.synchronous
                ),
                let reports = try? await store.pluginHealth()
            else { return nil }
            return Dictionary(reports.map { ($0.plugin, $0) }, uniquingKeysWith: { $1 })
        }

        /// The manifest's ABI range, after the version the running plugin speaks when it was loaded.
        static func abi(_ manifest: PluginManifest?, _ running: PluginHealthReport?) -> String {
            guard let manifest else { return "-" }
            guard let agreed = running?.abi else { return "\(manifest.abi)" }
            return "\(agreed) (\(manifest.abi))"
        }

        static func describe(_ report: PluginHealthReport?) -> String {
            guard let report else { return "-" }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = Calendar.current.isDateInToday(report.since) ? "HH:mm:ss" : "yyyy-MM-dd HH:mm"
            let detail = report.detail.isEmpty ? "" : ": \(report.detail)"
            return "\(report.state)\(detail) (since \(formatter.string(from: report.since)))"
        }

        static func shortPath(_ path: String) -> String {
            let parts = path.split(separator: "/")
            return parts.count >= 2 ? parts.suffix(2).joined(separator: "/") : path
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Show a plugin's manifest (what it does, its capabilities and its configuration keys) and how it runs."
        )

        @OptionGroup var plugin: PluginArgument

        func run() async throws {
            let (data, id) = (plugin.data, plugin.id)
            let configuration = try data.load()
            let entry = try Plugins.entry(id, in: configuration)
            guard let manifest = entry.manifest else {
                throw CommandFailure("\(id): \(entry.problem ?? "no manifest")")
            }
            print("\(manifest.id) \(manifest.version) — \(manifest.name)")
            if let description = manifest.description { print(description) }
            print("")
            print("  manifest:     \(entry.manifestPath)")
            let library = entry.libraryPath ?? (configuration.plugins.directory + "/" + manifest.library)
            print("  library:      \(library)")
            if let digest = PluginCatalog.sha256(ofFile: library) { print("  sha256:       \(digest)") }
            print("  plugin ABI:   \(manifest.abi)")
            let capabilities = manifest.capabilities.map(\.rawValue).joined(separator: ", ")
            print("  capabilities: \(capabilities.isEmpty ? "none (log only)" : capabilities)")
            let section = configuration.plugins.enabled.first { $0.id == manifest.id }
            print(
                "  status:       \(entry.problem.map { "refused: \($0)" } ?? (section == nil ? "available" : "enabled in \(section!.file)"))"
            )
            // What the running plugin says of itself (a sensors plugin: what it found).
            if section != nil, let health = await List.health(configuration) {
                print("  running:      \(List.describe(health[manifest.id]))")
                if let agreed = health[manifest.id]?.abi { print("  running ABI:  \(agreed)") }
            }
            print("")
            var rows: [[String]] = [["KEY", "TYPE", "DEFAULT", "DESCRIPTION"]]
            if let schema = manifest.configuration { Self.describe(schema, prefix: "", into: &rows) }
            if rows.count == 1 {
                print("configuration: none")
            } else {
                print("configuration:")
                Table.print(rows, indent: "  ")
            }
            if let example = manifest.example {
                print("")
                print("example (under plugins.\(manifest.id), or in plugins.d/\(manifest.id).yaml):")
                for line in example.split(separator: "\n", omittingEmptySubsequences: false) { print("  " + line) }
            }
        }

        static func describe(_ schema: ConfigurationSchema, prefix: String, into rows: inout [[String]]) {
            let required = Set(schema.required ?? [])
            for (name, property) in (schema.properties ?? [:]).sorted(by: { $0.key < $1.key }) {
                let key = prefix + name
                var type = property.type ?? "any"
                if type == "array", let item = property.items?.type { type = "list of \(item)" }
                if let values = property.enumValues { type = values.map(\.yaml).joined(separator: "|") }
                let fallback = required.contains(name) ? "(required)" : "-"
                rows.append([key, type, property.defaultValue?.yaml ?? fallback, property.description ?? ""])
                if property.type == "object" {
                    describe(property, prefix: key + ".", into: &rows)
                } else if property.type == "array", let items = property.items, items.type == "object" {
                    describe(items, prefix: key + "[].", into: &rows)
                }
            }
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enable a plugin: write plugins.d/<id>.yaml beside the configuration file.",
            discussion: """
                The file holds the plugin's configuration, with every key's default and an example as comments. \
                Edit it, check it with 'swiftlet config check', then restart the gateway. A file that 'disable' \
                set aside is put back as it was.
                """
        )

        @OptionGroup var plugin: PluginArgument

        func run() throws {
            let (data, id) = (plugin.data, plugin.id)
            let file = try Plugins.configurationFile(data)
            let configuration = try data.load()
            let entry = try Plugins.entry(id, in: configuration)
            if let problem = entry.problem { throw CommandFailure("\(id) cannot be enabled: \(problem)") }
            guard let manifest = entry.manifest else { throw CommandFailure("\(id): no manifest") }
            if let section = configuration.plugins.enabled.first(where: { $0.id == id }) {
                print("\(id) is enabled already, in \(section.file)\(section.line.map { ":\($0)" } ?? "")")
                return
            }
            let directory = PluginSettings.dropInDirectory(besides: file)
            let path = (directory as NSString).appendingPathComponent(id + ".yaml")
            let setAside = path + ".disabled"
            let manager = FileManager.default
            do {
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
                if manager.fileExists(atPath: setAside) {
                    try manager.moveItem(atPath: setAside, toPath: path)
                    print("enabled \(id) with the configuration it had before: \(path)")
                } else {
                    try Self.template(manifest).write(toFile: path, atomically: true, encoding: .utf8)
                    print("enabled \(id): its configuration is in \(path)")
                }
            } catch {
                throw CommandFailure("cannot write \(path): \(error.localizedDescription)")
            }
            do {
                _ = try ConfigurationLoader.load(file: file).preparePlugins()
            } catch {
                print("its configuration needs attention before the gateway will start: \(error)")
            }
            print("restart the gateway for it to take effect (e.g. systemctl restart swiftlet)")
        }

        /// Every key's default and description, and the manifest's example, as comments.
        static func template(_ manifest: PluginManifest) -> String {
            var lines = [
                "# Plugin \(manifest.id) \(manifest.version): \(manifest.name)",
                "# Written by 'swiftlet plugins enable \(manifest.id)'; 'swiftlet plugins disable \(manifest.id)' sets it aside.",
                "# This file is the plugin's configuration. The gateway reads it when it starts.",
                "#",
            ]
            var rows: [[String]] = []
            if let schema = manifest.configuration { Info.describe(schema, prefix: "", into: &rows) }
            for row in rows where !row[0].contains(".") && !row[0].contains("[]") {
                lines.append("# \(row[0]): \(row[3]) (default: \(row[2]))")
            }
            if let example = manifest.example {
                lines.append("#")
                lines.append("# For example:")
                lines += example.split(separator: "\n").map { "#   " + $0 }
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a plugin: set its plugins.d/<id>.yaml aside (as <id>.yaml.disabled)."
        )

        @OptionGroup var plugin: PluginArgument

        func run() throws {
            let (data, id) = (plugin.data, plugin.id)
            let file = try Plugins.configurationFile(data)
            let configuration = try data.load()
            guard let section = configuration.plugins.enabled.first(where: { $0.id == id }) else {
                print("\(id) is not enabled")
                return
            }
            let dropIn = (PluginSettings.dropInDirectory(besides: file) as NSString).appendingPathComponent(
                id + ".yaml"
            )
            guard section.file == dropIn else {
                throw CommandFailure(
                    "\(id) is enabled in \(section.file)\(section.line.map { ":\($0)" } ?? ""); remove its section 'plugins.\(id)' there"
                )
            }
            do {
                let setAside = dropIn + ".disabled"
                if FileManager.default.fileExists(atPath: setAside) {
                    try FileManager.default.removeItem(atPath: setAside)
                }
                try FileManager.default.moveItem(atPath: dropIn, toPath: setAside)
            } catch {
                throw CommandFailure("cannot move \(dropIn) aside: \(error.localizedDescription)")
            }
            print("disabled \(id) (its configuration is kept in \(dropIn).disabled)")
            print("restart the gateway for it to take effect (e.g. systemctl restart swiftlet)")
        }
    }

    /// The configuration file `enable`/`disable` change: --config, or /etc/swiftlet/swiftlet.yaml.
    static func configurationFile(_ data: DataOptions) throws -> String {
        if let file = data.config { return file }
        let standard = "/etc/swiftlet/swiftlet.yaml"
        guard FileManager.default.fileExists(atPath: standard) else {
            throw CommandFailure("which configuration file? Give --config FILE (\(standard) does not exist)")
        }
        return standard
    }

    static func entry(_ id: String, in configuration: GatewayConfiguration) throws -> PluginCatalog.Entry {
        let catalog = PluginCatalog(
            directory: configuration.plugins.directory,
            allowedDigests: configuration.plugins.digests
        )
        do {
            guard let entry = try catalog.entry(id: id) else {
                throw CommandFailure(
                    "there is no plugin '\(id)' in \(catalog.directory) ('swiftlet plugins list' shows what there is)"
                )
            }
            return entry
        } catch let error as PluginCatalog.DirectoryProblem {
            throw CommandFailure(error.description)
        }
    }
}

/// The configuration options and a plugin's id, taken by `info`, `enable` and `disable`.
struct PluginArgument: ParsableArguments {
    @OptionGroup var data: DataOptions

    @Argument(help: "The plugin's id.")
    var id: String
}

/// Left-aligned columns.
enum Table {
    static func print(_ rows: [[String]], indent: String = "") {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }
            Swift.print(indent + cells.joined(separator: "  "))
        }
    }
}
