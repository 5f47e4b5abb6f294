import Foundation
import SwiftletPluginSDK
import Synchronization

/// The company directory (OpenLDAP, Active Directory) as recipients and as logins: its groups and
/// people are names the gateway sends to wherever a phonebook group or contact is named (mail to
/// `oncall@`, the APIs' groups and contacts, rules, plugins), after the local phonebook; and API and
/// web users can sign in with their directory password, with a role from their directory groups.
///
/// A sync every `sync_interval` (and on the rule action `ldap.sync`) reads every person and group
/// into a snapshot kept in the plugin's state: the gateway keeps sending to the last synced members
/// while the directory cannot be reached, across restarts too. A name the snapshot lacks is looked
/// up live.
public final class LDAPPlugin: DirectoryProvider {
    public static let id = "ldap"
    public static let version = "1.0.0"
    /// The rule action that syncs now.
    static let syncKind = "ldap.sync"
    /// How long a name the directory does not have is not asked again.
    static let missMemory: TimeInterval = 60
    /// The state keys of the snapshot, which may be larger than one state value.
    static let snapshotKey = "snapshot"

    let settings: Settings
    let host: any PluginHost
    let directory: LDAPDirectory
    private let snapshot = Mutex<DirectorySnapshot?>(nil)
    /// Names looked up live since the last sync, and names the directory did not have, with when.
    private let looked = Mutex<(found: [String: DirectorySnapshot], missed: [String: Date])>(([:], [:]))
    private let sync = Mutex<(running: Bool, failedAt: Date?)>((false, nil))
    private let timer = Mutex<UInt64?>(nil)

    public init(configuration: Configuration, host: any PluginHost) throws {
        settings = try Settings(configuration) { try String(contentsOfFile: $0, encoding: .utf8) }
        self.host = host
        directory = LDAPDirectory(settings: settings)
    }

    public func start() async throws {
        if let saved = try await loadSnapshot() {
            snapshot.withLock { $0 = saved }
            host.log(.info, "last sync of \(Self.iso(saved.syncedAt)) loaded: \(Self.describe(saved))")
        }
        try host.registerProvider(.directory, name: Self.id, schema: nil)
        try host.registerRuleKind(Self.syncKind, role: .action, schema: nil)
        let tick = min(settings.syncInterval, 60)
        let id = try host.startTimer(after: .seconds(tick), every: .seconds(tick)) { [self] in
            Task { await syncIfDue() }
        }
        timer.withLock { $0 = id }
        Task { await syncNow(reason: "start") }
    }

    public func stop() async {
        if let id = timer.withLock({ $0 }) { try? host.cancelTimer(id) }
        directory.close()
    }

    public func handle(_ event: Event) async {
        if event.kind == Self.syncKind { await syncNow(reason: "rule action \(Self.syncKind)") }
    }

    // MARK: Directory role

    public func resolve(_ name: String) async throws -> DirectoryEntry? {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { return nil }
        let key = name.lowercased()
        let current = snapshot.withLock { $0 }
        if let entry = current?.entry(named: name) { return reported(entry, name: name, in: current) }
        let (live, missed) = looked.withLock { ($0.found[key], $0.missed[key]) }
        if let live, let entry = live.entry(named: name) { return reported(entry, name: name, in: live) }
        if let missed, Date().timeIntervalSince(missed) < Self.missMemory { return nil }
        let directory = directory
        let result = await PluginThreads.detached { Result { () throws(LDAPError) in try directory.lookUp(name) } }
        switch result {
        case .success(let live?):
            looked.withLock { $0.found[key] = live }
            host.log(.info, "'\(name)' looked up in the directory (not in the last sync): \(Self.describe(live))")
            return live.entry(named: name).map { reported($0, name: name, in: live) } ?? nil
        case .success(nil):
            looked.withLock { $0.missed[key] = Date() }
            return nil
        case .failure(let error):
            host.log(.warning, "cannot look '\(name)' up in the directory: \(error)")
            throw PluginError(.unavailable, "the directory cannot be asked for '\(name)' now: \(error)")
        }
    }

    public func groups() async throws -> [DirectoryGroups.Group] {
        guard let snapshot = snapshot.withLock({ $0 }) else { return [] }
        return snapshot.groups.map { group in
            .init(name: group.name, members: snapshot.entry(named: group.name)?.numbers.count ?? 0)
        }
    }

    public func verify(login: String, password: String) async throws -> DirectoryVerification? {
        guard let logins = settings.logins else { return nil }
        let directory = directory
        let result = await PluginThreads.detached {
            Result { () throws(LDAPError) in try directory.verify(login: login, password: password) }
        }
        let found: (dn: String, memberOf: [String])?
        switch result {
        case .success(let value): found = value
        case .failure(let error):
            host.log(.warning, "cannot check a login with the directory: \(error)")
            throw PluginError(.unavailable, "the directory cannot check logins now: \(error)")
        }
        guard let found else { return DirectoryVerification(valid: false) }
        let synced = snapshot.withLock { $0?.groupNames(of: found.dn, memberOf: found.memberOf) } ?? []
        let direct = found.memberOf.compactMap { Self.firstValue(ofDN: $0) }
        var names: [String] = []
        for name in synced + direct where !names.contains(where: { $0.lowercased() == name.lowercased() }) {
            names.append(name)
        }
        let lowered = Set(names.map { $0.lowercased() })
        guard let role = logins.roles.first(where: { !$0.groups.isDisjoint(with: lowered) })?.role ?? logins.defaultRole
        else {
            host.log(.notice, "directory login refused: \(found.dn) is in none of the login groups")
            return DirectoryVerification(valid: false, groups: names)
        }
        return DirectoryVerification(valid: true, groups: names, role: role)
    }

    // MARK: Sync

    func syncIfDue() async {
        let (running, failedAt) = sync.withLock { $0 }
        guard !running else { return }
        let last = snapshot.withLock { $0?.syncedAt }
        let due = last.map { Date().timeIntervalSince($0) >= Double(settings.syncInterval) } ?? true
        if due || failedAt != nil { await syncNow(reason: failedAt != nil ? "retry" : "interval") }
    }

    func syncNow(reason: String) async {
        let started = sync.withLock { state -> Bool in
            if state.running { return false }
            state.running = true
            return true
        }
        guard started else { return }
        defer { sync.withLock { $0.running = false } }
        let directory = directory
        let began = ContinuousClock.now
        let result = await PluginThreads.detached { Result { () throws(LDAPError) in try directory.sync() } }
        let elapsed = (ContinuousClock.now - began).components
        let took = String(format: "%.2f s", Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
        switch result {
        case .success(let new):
            let old = snapshot.withLock { state in
                defer { state = new }
                return state
            }
            looked.withLock { $0 = ([:], [:]) }
            sync.withLock { $0.failedAt = nil }
            for line in SnapshotBuilder.changes(from: old, to: new) { host.log(.info, "directory sync: \(line)") }
            let missing = new.membersWithoutNumber
            if !missing.isEmpty {
                let names = missing.prefix(10).map { "\($0.name) (\($0.unusable.map { "'\($0)'" } ?? "no number"))" }
                host.log(
                    .warning,
                    "\(missing.count) group members have no usable number in \(settings.phoneAttributes.joined(separator: ", ")): "
                        + names.joined(separator: ", ") + (missing.count > 10 ? ", …" : "")
                )
            }
            do {
                try await saveSnapshot(new)
            } catch {
                host.log(.warning, "the sync could not be kept in the plugin's state: \(error)")
            }
            host.log(.info, "directory synced (\(reason)) in \(took): \(Self.describe(new))")
            host.reportHealth(.ok, "last sync \(Self.iso(new.syncedAt)): \(Self.describe(new))")
        case .failure(let error):
            sync.withLock { $0.failedAt = Date() }
            host.log(.error, "directory sync failed (\(reason)) after \(took): \(error)")
            if let last = snapshot.withLock({ $0 }) {
                host.reportHealth(
                    .degraded,
                    "directory unreachable (\(error)); sending to the members of the sync of \(Self.iso(last.syncedAt))"
                )
            } else {
                host.reportHealth(.down, "directory unreachable and never synced: \(error)")
            }
        }
    }

    /// Logs the members of `name` that have no number: reported at each send, never skipped in silence.
    private func reported(_ entry: DirectoryEntry, name: String, in snapshot: DirectorySnapshot?) -> DirectoryEntry {
        if let snapshot, let group = snapshot.group(named: name) {
            let without = snapshot.members(of: group).filter { $0.number == nil }
            if !without.isEmpty {
                host.log(
                    .warning,
                    "directory group \(group.name): \(without.count) of \(group.members.count) members have no number, "
                        + "not sent to: \(without.prefix(10).map(\.name).joined(separator: ", "))"
                )
            }
        }
        return entry
    }

    private func saveSnapshot(_ snapshot: DirectorySnapshot) async throws {
        let text = String(decoding: try JSONCoding.encoder.encode(snapshot), as: UTF8.self)
        // A state value holds up to 1 MiB: 250,000 scalars of at most 4 bytes each per part.
        let scalars = Array(text.unicodeScalars)
        let parts = stride(from: 0, to: max(scalars.count, 1), by: 250_000).map { start in
            String(String.UnicodeScalarView(scalars[start..<min(start + 250_000, scalars.count)]))
        }
        for (index, part) in parts.enumerated() {
            try await host.setState(part, forKey: "\(Self.snapshotKey).\(index)")
        }
        try await host.setState("\(parts.count)", forKey: Self.snapshotKey)
    }

    private func loadSnapshot() async throws -> DirectorySnapshot? {
        guard let count = try await host.stateValue(forKey: Self.snapshotKey).flatMap(Int.init) else { return nil }
        var text = ""
        for index in 0..<count {
            guard let part = try await host.stateValue(forKey: "\(Self.snapshotKey).\(index)") else { return nil }
            text += part
        }
        return try? JSONCoding.decoder.decode(DirectorySnapshot.self, from: Data(text.utf8))
    }

    static func describe(_ snapshot: DirectorySnapshot) -> String {
        let withNumber = snapshot.people.filter { $0.number != nil }.count
        let missing = snapshot.membersWithoutNumber.count
        return "\(snapshot.groups.count) groups, \(snapshot.people.count) people (\(withNumber) with a number)"
            + (missing > 0 ? "; \(missing) group members without a number" : "")
    }

    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    /// `admins` of `cn=admins,ou=groups,dc=example,dc=test`.
    static func firstValue(ofDN dn: String) -> String? {
        guard let equals = dn.firstIndex(of: "=") else { return nil }
        var value = ""
        var escaped = false
        for character in dn[dn.index(after: equals)...] {
            if escaped {
                value.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "," || character == "+" {
                break
            } else {
                value.append(character)
            }
        }
        return value.isEmpty ? nil : value
    }
}
