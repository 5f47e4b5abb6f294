import Foundation
import SwiftletPluginSDK

extension LDAPPlugin {
    /// The plugin's section, as the manifest's schema describes it (defaults filled in by the gateway).
    public struct Configuration: Decodable, Sendable {
        /// One or more `ldap://` or `ldaps://` URLs, separated by spaces: tried in order.
        public var url: String
        /// `ldaps`, `starttls` or `none`; by default `ldaps` for an `ldaps://` URL, else `starttls`.
        public var tls: String?
        public var caFile: String?
        public var allowPlaintext: Bool
        public var bindDn: String?
        public var bindPassword: String?
        public var bindPasswordFile: String?
        public var baseDn: String
        /// `openldap` or `active_directory`: the defaults of the filters and attributes.
        public var flavor: String
        public var userBase: String?
        public var groupBase: String?
        public var userFilter: String?
        public var groupFilter: String?
        public var phoneAttributes: [String]
        public var nameAttributes: [String]?
        public var loginAttributes: [String]?
        public var groupNameAttribute: String
        public var countryCode: String?
        /// Seconds between syncs.
        public var syncInterval: Int
        public var pageSize: Int
        public var sizeLimit: Int
        /// Seconds for connecting and for each search.
        public var timeout: Int
        public var referrals: Bool
        public var logins: Logins?
    }

    /// Verifying API and web users' passwords by a bind, with roles from directory groups.
    public struct Logins: Decodable, Sendable {
        public var enabled: Bool
        /// A DN to bind as, with `{login}` where the login goes (RFC 4514-escaped); without one the
        /// user is found by `login_attributes` with the service account.
        public var userDn: String?
        public var adminGroups: [String]?
        public var userGroups: [String]?
        public var readOnlyGroups: [String]?
        /// The role of a user in none of the groups above; without one such a user is refused.
        public var defaultRole: String?
    }
}

/// The configuration checked and completed: what the directory code works with.
struct Settings: Sendable {
    enum Flavor: String, Sendable {
        case openldap
        case activeDirectory = "active_directory"
    }

    var connection: ConnectionOptions
    var bindDN: String?
    var bindPassword: String?
    var baseDN: String
    var flavor: Flavor
    var userBase: String
    var groupBase: String
    var userFilter: String
    var groupFilter: String
    var phoneAttributes: [String]
    var nameAttributes: [String]
    var loginAttributes: [String]
    var groupNameAttribute: String
    var countryCode: String?
    var syncInterval: Int
    var pageSize: Int
    var sizeLimit: Int
    var logins: LoginSettings?

    struct LoginSettings: Sendable {
        var userDN: String?
        /// Role → group names (lower-cased), in the order roles are tried: admin, user, read-only.
        var roles: [(role: String, groups: Set<String>)]
        var defaultRole: String?
    }

    static let roles = ["admin", "user", "read_only"]

    /// Active Directory: people, not disabled (`userAccountControl` bit 2, ACCOUNTDISABLE).
    static let activeDirectoryUsers =
        "(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"
    /// Active Directory's transitive membership (`LDAP_MATCHING_RULE_IN_CHAIN`).
    static let inChain = "1.2.840.113556.1.4.1941"

    init(_ configuration: LDAPPlugin.Configuration, readFile: (String) throws -> String) throws(PluginError) {
        func invalid(_ text: String) -> PluginError { PluginError(.invalid, text) }
        let urls = configuration.url.split(separator: " ").map(String.init)
        guard !urls.isEmpty else { throw invalid("url: give at least one ldap:// or ldaps:// URL") }
        var hosts: [String] = []
        for url in urls {
            guard let parsed = URL(string: url), ["ldap", "ldaps"].contains(parsed.scheme?.lowercased() ?? ""),
                let host = parsed.host, !host.isEmpty
            else { throw invalid("url: '\(url)' is not an ldap:// or ldaps:// URL with a host") }
            hosts.append(host)
        }
        let ldaps = urls.allSatisfy { $0.lowercased().hasPrefix("ldaps://") }
        let security: ConnectionOptions.Security
        switch configuration.tls ?? (ldaps ? "ldaps" : "starttls") {
        case "ldaps":
            guard ldaps else { throw invalid("tls: ldaps needs ldaps:// URLs") }
            security = .ldaps
        case "starttls":
            guard !urls.contains(where: { $0.lowercased().hasPrefix("ldaps://") }) else {
                throw invalid("tls: starttls needs ldap:// URLs (ldaps:// is TLS already)")
            }
            security = .starttls
        case "none":
            guard configuration.allowPlaintext else {
                throw invalid("tls: none sends the directory's data in clear; set allow_plaintext: true to mean it")
            }
            security = .none
        case let other: throw invalid("tls: '\(other)' is not ldaps, starttls or none")
        }
        var password = configuration.bindPassword
        if let file = configuration.bindPasswordFile {
            guard password == nil else { throw invalid("bind_password and bind_password_file: give one") }
            do {
                password = try readFile(file).trimmingCharacters(in: .newlines)
            } catch {
                throw invalid("bind_password_file: cannot read \(file): \(error)")
            }
        }
        if password != nil, configuration.bindDn == nil { throw invalid("bind_password: given without bind_dn") }
        if configuration.bindDn != nil, password?.isEmpty ?? true {
            throw invalid("bind_dn: needs bind_password or bind_password_file (an empty password is no bind)")
        }
        let loopback = hosts.allSatisfy { ["localhost", "127.0.0.1", "::1", "[::1]"].contains($0.lowercased()) }
        let loginsEnabled = configuration.logins?.enabled ?? false
        if security == .none, !loopback, password != nil || loginsEnabled {
            throw invalid(
                "tls: none would send passwords in clear to \(hosts.joined(separator: ", ")); use ldaps or starttls"
            )
        }
        guard (1...10_000).contains(configuration.pageSize) || configuration.pageSize == 0 else {
            throw invalid("page_size: 0 (no paging) or 1 to 10000")
        }
        if let code = configuration.countryCode, !(1...3).contains(code.count) || !code.allSatisfy(\.isNumber) {
            throw invalid("country_code: '\(code)' is not a country calling code (1 to 3 digits)")
        }
        guard let flavor = Flavor(rawValue: configuration.flavor) else {
            throw invalid("flavor: '\(configuration.flavor)' is not openldap or active_directory")
        }
        connection = ConnectionOptions(
            urls: urls.joined(separator: " "),
            security: security,
            caFile: configuration.caFile,
            timeout: configuration.timeout,
            followReferrals: configuration.referrals
        )
        bindDN = configuration.bindDn
        bindPassword = password
        baseDN = configuration.baseDn
        self.flavor = flavor
        userBase = configuration.userBase ?? configuration.baseDn
        groupBase = configuration.groupBase ?? configuration.baseDn
        switch flavor {
        case .openldap:
            userFilter = configuration.userFilter ?? "(objectClass=inetOrgPerson)"
            groupFilter =
                configuration.groupFilter
                ?? "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))"
            nameAttributes = configuration.nameAttributes ?? ["displayName", "cn"]
            loginAttributes = configuration.loginAttributes ?? ["uid"]
        case .activeDirectory:
            userFilter = configuration.userFilter ?? Self.activeDirectoryUsers
            groupFilter = configuration.groupFilter ?? "(objectClass=group)"
            nameAttributes = configuration.nameAttributes ?? ["displayName", "cn"]
            loginAttributes = configuration.loginAttributes ?? ["sAMAccountName", "userPrincipalName"]
        }
        for filter in [userFilter, groupFilter] where !(filter.hasPrefix("(") && filter.hasSuffix(")")) {
            throw invalid("'\(filter)' is not an LDAP filter: it is written in parentheses, e.g. (objectClass=person)")
        }
        guard !configuration.phoneAttributes.isEmpty else { throw invalid("phone_attributes: name at least one") }
        phoneAttributes = configuration.phoneAttributes
        groupNameAttribute = configuration.groupNameAttribute
        countryCode = configuration.countryCode
        syncInterval = configuration.syncInterval
        pageSize = configuration.pageSize
        sizeLimit = configuration.sizeLimit
        if let logins = configuration.logins, logins.enabled {
            if let template = logins.userDn, !template.contains("{login}") {
                throw invalid("logins.user_dn: put {login} where the login goes, e.g. uid={login},ou=people,...")
            }
            if let role = logins.defaultRole, !Self.roles.contains(role) {
                throw invalid("logins.default_role: '\(role)' is not admin, user or read_only")
            }
            let roles = [
                ("admin", logins.adminGroups), ("user", logins.userGroups), ("read_only", logins.readOnlyGroups),
            ]
            .map { (role: $0.0, groups: Set(($0.1 ?? []).map { $0.lowercased() })) }
            if roles.allSatisfy(\.groups.isEmpty), logins.defaultRole == nil {
                throw invalid(
                    "logins: name the groups of at least one role (admin_groups, user_groups, read_only_groups)"
                )
            }
            self.logins = LoginSettings(userDN: logins.userDn, roles: roles, defaultRole: logins.defaultRole)
        }
    }

    /// What a sync asks for of each person.
    var personAttributes: [String] {
        nameAttributes + phoneAttributes + loginAttributes + ["mail", "memberOf", "entryUUID", "objectGUID"]
    }

    /// What a sync asks for of each group.
    var groupAttributes: [String] { [groupNameAttribute, "member", "uniqueMember", "memberUid"] }
}
