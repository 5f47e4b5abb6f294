import CLDAP
import Foundation
import Synchronization

/// The directory as the plugin asks it: a service connection (bound as `bind_dn`, made again when
/// it drops) for syncs and live lookups, and a connection of its own for each login's bind. Every
/// method blocks: call them off the concurrency pool (``LDAPPlugin`` uses `PluginThreads.detached`).
final class LDAPDirectory: Sendable {
    let settings: Settings
    private let service = Mutex<LDAPConnection?>(nil)

    init(settings: Settings) { self.settings = settings }

    /// Runs `body` on the service connection, connecting (and binding) first if there is none; a
    /// connection found dead is made again once.
    func withService<T: Sendable>(_ body: (LDAPConnection) throws(LDAPError) -> T) throws(LDAPError) -> T {
        try service.withLock { (current: inout LDAPConnection?) throws(LDAPError) -> T in
            for attempt in 1...2 {
                let connection: LDAPConnection
                if let current { connection = current } else { connection = try connect() }
                current = connection
                do throws(LDAPError) {
                    return try body(connection)
                } catch {
                    guard error.isConnectionLost else { throw error }
                    current = nil
                    if attempt == 2 { throw error }
                }
            }
            throw LDAPError(code: LDAP_SERVER_DOWN, operation: "reconnect", diagnostic: "")
        }
    }

    /// Drops the service connection (the plugin stops).
    func close() { service.withLock { $0 = nil } }

    private func connect() throws(LDAPError) -> LDAPConnection {
        do throws(LDAPError) {
            let connection = try LDAPConnection(settings.connection)
            if let dn = settings.bindDN, let password = settings.bindPassword {
                try connection.bind(dn: dn, password: password)
            }
            return connection
        } catch {
            throw explained(error)
        }
    }

    /// `error` with a hint when the servers answer TCP but the connection failed: then TLS did.
    func explained(_ error: LDAPError) -> LDAPError {
        let options = settings.connection
        guard error.isConnectionLost, options.security != .none else { return error }
        let addresses = Reachability.addresses(options.urls)
        guard !addresses.isEmpty,
            addresses.allSatisfy({ Reachability.answers(host: $0.host, port: $0.port, timeout: options.timeout) })
        else { return error }
        var explained = error
        let hosts = addresses.map(\.host).joined(separator: ", ")
        explained.hint =
            "the server answers, but the TLS handshake failed: its certificate must be signed by "
            + (options.caFile.map { "the CA in \($0)" } ?? "a CA the system trusts") + " and name \(hosts)"
        return explained
    }

    // MARK: Sync

    /// Reads every person and group the filters select.
    func sync() throws(LDAPError) -> DirectorySnapshot {
        try withService { (connection) throws(LDAPError) -> DirectorySnapshot in
            let people = try connection.search(
                base: settings.userBase,
                filter: settings.userFilter,
                attributes: settings.personAttributes,
                pageSize: settings.pageSize,
                sizeLimit: settings.sizeLimit
            )
            .map { SnapshotBuilder.person($0, settings: settings) }
            let groupEntries = try connection.search(
                base: settings.groupBase,
                filter: settings.groupFilter,
                attributes: settings.groupAttributes,
                pageSize: settings.pageSize,
                sizeLimit: settings.sizeLimit
            )
            var transitive: [String: [String]]?
            if settings.flavor == .activeDirectory {
                var members: [String: [String]] = [:]
                for group in groupEntries { members[group.dn] = try self.transitiveMembers(of: group.dn, connection) }
                transitive = members
            }
            let groups = SnapshotBuilder.groups(
                groupEntries,
                people: people,
                settings: settings,
                transitive: transitive
            )
            return DirectorySnapshot(syncedAt: Date(), people: people, groups: groups)
        }
    }

    /// Active Directory: everyone in `group` and the groups nested in it, by the in-chain rule.
    private func transitiveMembers(of group: String, _ connection: LDAPConnection) throws(LDAPError) -> [String] {
        let filter = "(&\(settings.userFilter)(memberOf:\(Settings.inChain):=\(LDAPEscaping.filterValue(group))))"
        return try connection.search(
            base: settings.userBase,
            filter: filter,
            attributes: ["1.1"],
            pageSize: settings.pageSize,
            sizeLimit: settings.sizeLimit
        )
        .map(\.dn)
    }

    // MARK: Live lookup

    /// A name the last sync did not have, asked of the directory now: the group of that name with
    /// its members, or the person with that login or mail address. Nil if there is neither.
    func lookUp(_ name: String) throws(LDAPError) -> DirectorySnapshot? {
        let value = LDAPEscaping.filterValue(name)
        return try withService { (connection) throws(LDAPError) -> DirectorySnapshot? in
            let groupFilter = "(&\(settings.groupFilter)(\(settings.groupNameAttribute)=\(value)))"
            if let group = try connection.search(
                base: settings.groupBase,
                filter: groupFilter,
                attributes: settings.groupAttributes,
                pageSize: 0,
                sizeLimit: 1
            ).first {
                return try members(of: group, connection)
            }
            let logins = (settings.loginAttributes + ["mail"]).map { "(\($0)=\(value))" }.joined()
            let people = try connection.search(
                base: settings.userBase,
                filter: "(&\(settings.userFilter)(|\(logins)))",
                attributes: settings.personAttributes,
                pageSize: 0,
                sizeLimit: 2
            )
            guard people.count == 1 else { return nil }  // none, or a name that is not one person's
            return DirectorySnapshot(
                syncedAt: Date(),
                people: [SnapshotBuilder.person(people[0], settings: settings)],
                groups: []
            )
        }
    }

    /// One group and its members, read entry by entry (nested groups to a depth of 8).
    private func members(of group: LDAPEntry, _ connection: LDAPConnection) throws(LDAPError) -> DirectorySnapshot {
        var people: [LDAPEntry] = []
        var groups: [LDAPEntry] = [group]
        if settings.flavor == .activeDirectory {
            for dn in try transitiveMembers(of: group.dn, connection) {
                if let person = try read(dn, filter: settings.userFilter, settings.personAttributes, connection) {
                    people.append(person)
                }
            }
        } else {
            var pending = group.values("member") + group.values("uniqueMember")
            var seen: Set<String> = [group.dn.lowercased()]
            var depth = 0
            while !pending.isEmpty, depth < 8, people.count < 5_000 {
                var next: [String] = []
                for dn in pending where seen.insert(dn.lowercased()).inserted {
                    if let person = try read(dn, filter: settings.userFilter, settings.personAttributes, connection) {
                        people.append(person)
                    } else if let nested = try read(
                        dn,
                        filter: settings.groupFilter,
                        settings.groupAttributes,
                        connection
                    ) {
                        groups.append(nested)
                        next += nested.values("member") + nested.values("uniqueMember")
                    }
                }
                pending = next
                depth += 1
            }
            for uid in group.values("memberUid") {
                let filter =
                    "(&\(settings.userFilter)(\(settings.loginAttributes[0])=\(LDAPEscaping.filterValue(uid))))"
                people += try connection.search(
                    base: settings.userBase,
                    filter: filter,
                    attributes: settings.personAttributes,
                    pageSize: 0,
                    sizeLimit: 1
                )
            }
        }
        let persons = people.map { SnapshotBuilder.person($0, settings: settings) }
        var built = SnapshotBuilder.groups(groups, people: persons, settings: settings)
        if settings.flavor == .activeDirectory, !built.isEmpty { built[0].members = persons.map(\.dn) }
        return DirectorySnapshot(syncedAt: Date(), people: persons, groups: Array(built.prefix(1)))
    }

    /// The entry at `dn` if `filter` matches it; nil if it does not or there is none.
    private func read(
        _ dn: String,
        filter: String,
        _ attributes: [String],
        _ connection: LDAPConnection
    ) throws(LDAPError) -> LDAPEntry? {
        do {
            return try connection.search(
                base: dn,
                scope: LDAP_SCOPE_BASE,
                filter: filter,
                attributes: attributes,
                pageSize: 0
            )
            .first
        } catch  where error.code == LDAP_NO_SUCH_OBJECT {
            return nil
        }
    }

    // MARK: Logins

    /// Who `login` is, if `password` is theirs: their DN and direct groups. Nil for a wrong login or
    /// password; throws when the directory cannot say.
    func verify(login: String, password: String) throws(LDAPError) -> (dn: String, memberOf: [String])? {
        guard let logins = settings.logins, !password.isEmpty, !login.isEmpty else { return nil }
        let dn: String
        var memberOf: [String] = []
        if let template = logins.userDN {
            dn = template.replacingOccurrences(of: "{login}", with: LDAPEscaping.dnValue(login))
        } else {
            let value = LDAPEscaping.filterValue(login)
            let filter = "(&\(settings.userFilter)(|\(settings.loginAttributes.map { "(\($0)=\(value))" }.joined())))"
            let found = try withService { (connection) throws(LDAPError) -> [LDAPEntry] in
                try connection.search(
                    base: settings.userBase,
                    filter: filter,
                    attributes: ["memberOf"],
                    pageSize: 0,
                    sizeLimit: 2
                )
            }
            guard found.count == 1 else { return nil }  // nobody, or a login that is not one person's
            dn = found[0].dn
            memberOf = found[0].values("memberOf")
        }
        let connection: LDAPConnection
        do throws(LDAPError) {
            connection = try LDAPConnection(settings.connection)
        } catch {
            throw explained(error)
        }
        do {
            try connection.bind(dn: dn, password: password)
        } catch  where error.isInvalidCredentials || error.code == LDAP_INVALID_DN_SYNTAX {
            return nil
        }
        if logins.userDN != nil {
            // Bound as the user: read its own groups, as far as the directory lets it.
            let own = try? connection.search(
                base: dn,
                scope: LDAP_SCOPE_BASE,
                filter: "(objectClass=*)",
                attributes: ["memberOf"],
                pageSize: 0
            )
            memberOf = own?.first?.values("memberOf") ?? []
        }
        return (dn, memberOf)
    }
}
