import Foundation
import SwiftletPluginSDK

/// What a sync read of the directory: people with their numbers and groups with their members
/// (nested groups expanded). Kept in the plugin's state, so the gateway sends to the last synced
/// members while the directory cannot be reached, across restarts too.
struct DirectorySnapshot: Codable, Sendable, Equatable {
    struct Person: Codable, Sendable, Equatable {
        var dn: String
        var name: String
        /// E.164, or nil when the entry has no usable number.
        var number: String?
        /// What the entry's phone attribute said when it was not a number.
        var unusable: String?
        var logins: [String]
        var mail: String?
        /// Direct groups by DN (`memberOf`), where the server keeps it.
        var memberOf: [String]
    }

    struct Group: Codable, Sendable, Equatable {
        var dn: String
        var name: String
        /// People's DNs, nested groups expanded, each once.
        var members: [String]
    }

    var syncedAt: Date
    var people: [Person]
    var groups: [Group]

    /// Lower-cased DN → person (built at each call: take it once for many look-ups).
    private var peopleByDN: [String: Person] {
        Dictionary(people.map { ($0.dn.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The people of `group` (those the sync has).
    func members(of group: Group) -> [Person] {
        let byDN = peopleByDN
        return group.members.compactMap { byDN[$0.lowercased()] }
    }

    /// The group called `name`, compared without case.
    func group(named name: String) -> Group? {
        groups.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// The person whose login, mail address or mail address's local part is `name`.
    func person(named name: String) -> Person? {
        let key = name.lowercased()
        return people.first { $0.logins.contains { $0.lowercased() == key } }
            ?? people.first { $0.mail?.lowercased() == key }
            ?? people.first { $0.mail?.lowercased().split(separator: "@").first.map(String.init) == key }
    }

    /// The entry the gateway sends to for `name`: a group first, then a person; nil if neither.
    func entry(named name: String) -> DirectoryEntry? {
        if let group = group(named: name) {
            let members = members(of: group)
            return DirectoryEntry(
                numbers: members.compactMap(\.number),
                members: members.compactMap { person in person.number.map { .init(name: person.name, number: $0) } }
            )
        }
        if let person = person(named: name) {
            return DirectoryEntry(
                numbers: person.number.map { [$0] } ?? [],
                members: person.number.map { [.init(name: person.name, number: $0)] } ?? []
            )
        }
        return nil
    }

    /// The names of the groups `dn` is a member of, nested ones included, and of its direct
    /// `memberOf` groups.
    func groupNames(of dn: String, memberOf: [String]) -> [String] {
        let key = dn.lowercased()
        let direct = Set(memberOf.map { $0.lowercased() })
        return groups.filter { group in
            direct.contains(group.dn.lowercased()) || group.members.contains { $0.lowercased() == key }
        }
        .map(\.name)
    }

    /// People in a group without a usable number: the sync reports them, and so does each send.
    var membersWithoutNumber: [Person] {
        let inGroups = Set(groups.flatMap(\.members).map { $0.lowercased() })
        return people.filter { $0.number == nil && inGroups.contains($0.dn.lowercased()) }
    }
}

/// Builds a snapshot from what the searches returned.
enum SnapshotBuilder {
    static func person(_ entry: LDAPEntry, settings: Settings) -> DirectorySnapshot.Person {
        let raw = settings.phoneAttributes.lazy.compactMap { entry.values($0).first(where: { !$0.isEmpty }) }.first
        let number = settings.phoneAttributes.lazy
            .flatMap { entry.values($0) }
            .compactMap { PhoneNumbers.normalise($0, countryCode: settings.countryCode) }
            .first
        return DirectorySnapshot.Person(
            dn: entry.dn,
            name: entry.first(settings.nameAttributes) ?? entry.dn,
            number: number,
            unusable: number == nil ? raw : nil,
            logins: settings.loginAttributes.flatMap { entry.values($0) },
            mail: entry.values("mail").first,
            memberOf: entry.values("memberOf")
        )
    }

    /// Groups with their members: `member`/`uniqueMember` DNs (a member that is itself a group is
    /// expanded, once, whatever the cycles) and `memberUid` logins (posixGroup). DNs that are
    /// neither a synced person nor a group (a disabled account the filter left out) are skipped.
    /// `transitive` gives the members of each group (by DN) from the server instead (Active
    /// Directory's in-chain rule).
    static func groups(
        _ entries: [LDAPEntry],
        people: [DirectorySnapshot.Person],
        settings: Settings,
        transitive: [String: [String]]? = nil
    ) -> [DirectorySnapshot.Group] {
        let personDNs = Set(people.map { $0.dn.lowercased() })
        var byLogin: [String: String] = [:]
        for person in people { for login in person.logins { byLogin[login.lowercased()] = person.dn } }
        let groupsByDN = Dictionary(entries.map { ($0.dn.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })

        func members(of entry: LDAPEntry, visited: inout Set<String>) -> [String] {
            var result: [String] = []
            for dn in entry.values("member") + entry.values("uniqueMember") {
                let key = dn.lowercased()
                if personDNs.contains(key) {
                    result.append(dn)
                } else if let nested = groupsByDN[key], visited.insert(key).inserted {
                    result += members(of: nested, visited: &visited)
                }
            }
            result += entry.values("memberUid").compactMap { byLogin[$0.lowercased()] }
            return result
        }
        return entries.compactMap { entry in
            guard let name = entry.values(settings.groupNameAttribute).first else { return nil }
            var list: [String]
            if let transitive {
                list = (transitive[entry.dn] ?? []).filter { personDNs.contains($0.lowercased()) }
            } else {
                var visited: Set<String> = [entry.dn.lowercased()]
                list = members(of: entry, visited: &visited)
            }
            var seen: Set<String> = []
            list = list.filter { seen.insert($0.lowercased()).inserted }
            return DirectorySnapshot.Group(dn: entry.dn, name: name, members: list)
        }
    }

    /// What changed between two syncs, for the log: groups added and removed, members that came
    /// and went.
    static func changes(from old: DirectorySnapshot?, to new: DirectorySnapshot) -> [String] {
        guard let old else { return [] }
        var lines: [String] = []
        let oldGroups = Dictionary(old.groups.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        let newGroups = Dictionary(new.groups.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        for group in new.groups where oldGroups[group.name.lowercased()] == nil {
            lines.append("group \(group.name) added (\(group.members.count) members)")
        }
        for group in old.groups where newGroups[group.name.lowercased()] == nil {
            lines.append("group \(group.name) removed")
        }
        for group in new.groups {
            guard let before = oldGroups[group.name.lowercased()] else { continue }
            let was = Set(before.members.map { $0.lowercased() })
            let now = Set(group.members.map { $0.lowercased() })
            let added = group.members.filter { !was.contains($0.lowercased()) }
            let removed = before.members.filter { !now.contains($0.lowercased()) }
            if !added.isEmpty { lines.append("group \(group.name): joined \(added.joined(separator: "; "))") }
            if !removed.isEmpty { lines.append("group \(group.name): left \(removed.joined(separator: "; "))") }
        }
        let oldNumbers = Dictionary(old.people.map { ($0.dn.lowercased(), $0.number) }, uniquingKeysWith: { a, _ in a })
        for person in new.people {
            if let was = oldNumbers[person.dn.lowercased()], was != person.number {
                lines.append("\(person.dn): number \(was ?? "none") → \(person.number ?? "none")")
            }
        }
        return lines
    }
}
