import Foundation
import Logging
import SwiftletDomain
import SwiftletEvents
import SwiftletPluginHost
import SwiftletStore
import SwiftletWeb

/// The plugins page's work: the catalog and each plugin's form from its manifest, and enabling a
/// plugin as `swiftlet plugins enable` does (a drop-in `plugins.d/<id>.yaml` beside the
/// configuration file), checked as `swiftlet config check` checks it, then started at once.
struct WebPlugins: PluginAdministration {
    /// The configuration file; drop-ins are written beside it and it is read anew for each page.
    let file: String
    let service: PluginService
    let health: SQLiteStore
    let logger: Logger

    func plugins() async -> [PluginListing] {
        guard let configuration = try? ConfigurationLoader.load(file: file) else { return [] }
        let settings = configuration.plugins
        let catalog = PluginCatalog(directory: settings.directory, allowedDigests: settings.digests)
        let reports = Dictionary(
            ((try? await health.pluginHealth()) ?? []).map { ($0.plugin, $0) },
            uniquingKeysWith: { $1 }
        )
        return ((try? catalog.scan()) ?? []).map { entry in
            let section = settings.enabled.first { $0.id == entry.id }
            let (fields, fileOnly) = entry.manifest.map { Self.form($0, section: section) } ?? ([], [])
            let report = section == nil ? nil : reports[entry.id]
            return PluginListing(
                id: entry.id,
                name: entry.manifest?.name ?? entry.id,
                version: entry.manifest?.version ?? "",
                description: entry.manifest?.description ?? "",
                status: entry.problem.map { "cannot be used: \($0)" } ?? (section == nil ? "available" : "enabled"),
                enabled: section != nil,
                health: report?.state ?? "",
                healthDetail: report?.detail ?? "",
                fields: fields,
                fileOnly: fileOnly
            )
        }
    }

    func enable(_ id: String, values: [String: String], by user: String) async throws -> String {
        let configuration = try loadConfiguration()
        let entry = try catalogEntry(id, configuration)
        guard let manifest = entry.manifest else { throw PluginFormError(key: nil, reason: "\(id) has no manifest") }
        let dropIn = dropInPath(id)
        let old = configuration.plugins.enabled.first { $0.id == id }
        if let old, old.file != dropIn {
            throw PluginFormError(
                key: nil,
                reason: "\(id) is configured in \(old.file)\(old.line.map { ":\($0)" } ?? ""); change it there"
            )
        }
        let value = try Self.value(of: values, manifest: manifest, keeping: old?.value)
        let section = PluginSettings.Section(id: id, value: value, file: dropIn, line: nil)
        let checked: Data
        do {
            checked = try section.configuration(checkedAgainst: manifest)
        } catch {
            let prefix = "plugins.\(id)."
            let key = error.key.hasPrefix(prefix) ? String(error.key.dropFirst(prefix.count)) : nil
            throw PluginFormError(key: key, reason: error.reason)
        }
        let yaml = "# Plugin \(id): written from the web interface by \(user).\n" + Self.yaml(value, indent: "")
        do {
            try FileManager.default.createDirectory(
                atPath: (dropIn as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
            // Settings may hold passwords: readable by the gateway's user only.
            _ = FileManager.default.createFile(
                atPath: dropIn + ".new",
                contents: Data(yaml.utf8),
                attributes: [
                    .posixPermissions: 0o600
                ]
            )
            // rename(2) replaces the file whole: the gateway never reads half of one.
            guard rename(dropIn + ".new", dropIn) == 0 else {
                throw PluginFormError(key: nil, reason: "cannot write \(dropIn): \(String(cString: strerror(errno)))")
            }
        } catch let error as PluginFormError {
            throw error
        } catch {
            throw PluginFormError(key: nil, reason: "cannot write \(dropIn): \(error.localizedDescription)")
        }
        logger.notice("web: plugin enabled", metadata: ["plugin": "\(id)", "user": "\(user)", "file": "\(dropIn)"])
        service.start(PreparedPlugin(entry: entry, manifest: manifest, configuration: checked))
        return
            "\(manifest.name) \(old == nil ? "enabled" : "saved") (\(dropIn)); it is starting — its health shows here."
    }

    func disable(_ id: String, by user: String) async throws -> String {
        let configuration = try loadConfiguration()
        guard let section = configuration.plugins.enabled.first(where: { $0.id == id }) else {
            return "\(id) is not enabled."
        }
        let dropIn = dropInPath(id)
        guard section.file == dropIn else {
            throw PluginFormError(
                key: nil,
                reason:
                    "\(id) is enabled in \(section.file)\(section.line.map { ":\($0)" } ?? ""); remove its section there"
            )
        }
        do {
            let aside = dropIn + ".disabled"
            if FileManager.default.fileExists(atPath: aside) { try FileManager.default.removeItem(atPath: aside) }
            try FileManager.default.moveItem(atPath: dropIn, toPath: aside)
        } catch {
            throw PluginFormError(key: nil, reason: "cannot move \(dropIn) aside: \(error.localizedDescription)")
        }
        service.stop(id)
        logger.notice("web: plugin disabled", metadata: ["plugin": "\(id)", "user": "\(user)"])
        return "\(id) disabled; its settings are kept in \(dropIn).disabled."
    }

    func loadConfiguration() throws -> GatewayConfiguration {
        do {
            return try ConfigurationLoader.load(file: file)
        } catch {
            throw PluginFormError(key: nil, reason: "the configuration file has an error: \(error)")
        }
    }

    func catalogEntry(_ id: String, _ configuration: GatewayConfiguration) throws -> PluginCatalog.Entry {
        let catalog = PluginCatalog(
            directory: configuration.plugins.directory,
            allowedDigests: configuration.plugins.digests
        )
        guard let entry = try? catalog.entry(id: id) else {
            throw PluginFormError(key: nil, reason: "there is no plugin '\(id)' in \(catalog.directory)")
        }
        if let problem = entry.problem { throw PluginFormError(key: nil, reason: "\(id) cannot be used: \(problem)") }
        return entry
    }

    func dropInPath(_ id: String) -> String {
        (PluginSettings.dropInDirectory(besides: file) as NSString).appendingPathComponent(id + ".yaml")
    }
}
