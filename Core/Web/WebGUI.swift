import Foundation
import Hummingbird
import HummingbirdAuth
import Logging
import SwiftletAPI
import SwiftletDomain
import SwiftletEvents
import SwiftletRules
import SwiftletSupport

/// The web interface: server-rendered pages for admins and users on the core's own domain (the
/// outbox, the store, the phonebook, the rules), beside the APIs. Every action works without
/// JavaScript; one small script only updates the compose form's part counter as one types.
///
/// Roles follow the API users: an admin manages plugins, rules and users and sees everything; a
/// user sends and reads its own messages and phonebook entries (as in APIv2); a user without the
/// `send_sms` method reads only (the read-only role). Each action checks the same APIv1 method the
/// API would, so a forged form is refused as the API would refuse it.
public struct WebGUI: Sendable {
    let outbox: Outbox
    let messages: any MessageStore
    let phonebook: any PhonebookAdmin
    let recipients: RecipientResolver
    let users: any UserDirectory
    let userAdmin: any UserAdmin
    let authenticator: Authenticator
    let rules: RuleEngine
    let status: @Sendable () async throws -> StatusSnapshot
    let plugins: (any PluginAdministration)?
    /// Sensors' readings (the sensors page); nil: no such page.
    let sensors: (any SensorHistory)?
    let timeZone: TimeZone
    let logger: Logger
    let renderer: WebRenderer

    public init(
        outbox: Outbox,
        messages: any MessageStore,
        phonebook: any PhonebookAdmin,
        recipients: RecipientResolver,
        users: any UserDirectory,
        userAdmin: any UserAdmin,
        authenticator: Authenticator,
        rules: RuleEngine,
        status: @escaping @Sendable () async throws -> StatusSnapshot,
        plugins: (any PluginAdministration)?,
        sensors: (any SensorHistory)? = nil,
        timeZone: TimeZone,
        logger: Logger
    ) throws {
        self.sensors = sensors
        self.outbox = outbox
        self.messages = messages
        self.phonebook = phonebook
        self.recipients = recipients
        self.users = users
        self.userAdmin = userAdmin
        self.authenticator = authenticator
        self.rules = rules
        self.status = status
        self.plugins = plugins
        self.timeZone = timeZone
        self.logger = logger
        self.renderer = try WebRenderer()
    }

    /// Serves the pages under `path` (starting and ending with `/`). Sessions live in memory: a
    /// restart signs everyone out. `secureCookies` marks the session cookie HTTPS-only.
    public func addRoutes(to router: Router<GatewayRequestContext>, path: String, secureCookies: Bool) {
        let pages = router.group(RouterPath(path), context: WebRequestContext.self)
        pages.add(middleware: WebSecurityHeaders())
        pages.add(
            middleware: SessionMiddleware(
                storage: MemoryPersistDriver(),
                configuration: SessionMiddlewareConfiguration(
                    sessionCookieParameters: SessionCookieParameters(
                        name: "swiftlet_session",
                        path: path,
                        secure: secureCookies,
                        sameSite: .strict
                    ),
                    defaultSessionExpiration: .seconds(8 * 3600)
                )
            )
        )
        pages.add(middleware: WebSignIn(users: users, base: path))
        let web = WebRoutes(gui: self, base: path)
        pages.get("static/:asset") { _, context in try web.asset(context) }
        pages.get("login") { request, context in web.loginPage(request, context: context) }
        pages.post("login") { request, context in try await web.login(request, context: context) }
        pages.post("logout") { _, context in web.logout(context) }
        pages.get("") { _, context in try await web.dashboard(context) }
        pages.get("compose") { request, context in try await web.composePage(request, context: context) }
        pages.post("compose") { request, context in try await web.compose(request, context: context) }
        pages.get("compose/parts") { request, _ in web.parts(request) }
        pages.get("folders/:folder") { request, context in try await web.folder(request, context: context) }
        pages.post("folders/:folder/delete") { request, context in try await web.delete(request, context: context) }
        pages.get("phonebook") { request, context in try await web.phonebookPage(request, context: context) }
        pages.post("phonebook/:action") { request, context in
            try await web.changePhonebook(request, context: context)
        }
        pages.get("rules") { request, context in try await web.rulesPage(request, context: context) }
        pages.post("rules/:name/:action") { request, context in try await web.changeRule(request, context: context) }
        pages.post("escalations/:id/acknowledge") { request, context in
            try await web.acknowledge(request, context: context)
        }
        pages.get("plugins") { request, context in try await web.pluginsPage(request, context: context) }
        pages.get("plugins/:id") { request, context in try await web.pluginPage(request, context: context) }
        pages.post("plugins/:id/:action") { request, context in
            try await web.changePlugin(request, context: context)
        }
        pages.get("users") { request, context in try await web.usersPage(request, context: context) }
        pages.get("sensors") { _, context in try await web.sensorsPage(context: context) }
        pages.get("sensors/:name/csv") { request, context in try await web.sensorCSV(request, context: context) }
    }
}

/// The plugins as the web interface manages them; the gateway implements it over its plugin
/// catalog, configuration files and running plugins.
public protocol PluginAdministration: Sendable {
    /// Every plugin in the plugin directory, with whether it is enabled and how it is.
    func plugins() async -> [PluginListing]
    /// Checks `values` (a form's fields by key path, as typed) against the plugin's schema, as
    /// `swiftlet config check` would; writes the plugin's `plugins.d/<id>.yaml` and starts it.
    /// Throws ``PluginFormError`` naming the field and what is wrong.
    func enable(_ id: String, values: [String: String], by user: String) async throws -> String
    /// Sets the plugin's drop-in aside and stops it.
    func disable(_ id: String, by user: String) async throws -> String
}

/// A plugin as the plugins page lists it, with the fields of its configuration form.
public struct PluginListing: Sendable {
    public var id: String
    public var name: String
    public var version: String
    public var description: String
    /// "enabled", "available" or why it cannot be used.
    public var status: String
    public var enabled: Bool
    public var health: String
    public var healthDetail: String
    public var fields: [PluginField]
    /// Keys the form cannot show (nested sections): edit the file for those.
    public var fileOnly: [String]

    public init(
        id: String,
        name: String,
        version: String,
        description: String,
        status: String,
        enabled: Bool,
        health: String,
        healthDetail: String,
        fields: [PluginField],
        fileOnly: [String]
    ) {
        self.id = id
        self.name = name
        self.version = version
        self.description = description
        self.status = status
        self.enabled = enabled
        self.health = health
        self.healthDetail = healthDetail
        self.fields = fields
        self.fileOnly = fileOnly
    }
}

/// One input of a plugin's configuration form, made from its schema.
public struct PluginField: Sendable {
    public enum Kind: String, Sendable {
        case text, number, checkbox, select, lines, password
    }

    public var key: String
    public var kind: Kind
    public var description: String
    public var value: String
    public var required: Bool
    public var options: [String]

    public init(
        key: String,
        kind: Kind,
        description: String,
        value: String,
        required: Bool,
        options: [String] = []
    ) {
        self.key = key
        self.kind = kind
        self.description = description
        self.value = value
        self.required = required
        self.options = options
    }
}

/// A plugin form that does not match the plugin's schema, or could not be written.
public struct PluginFormError: Error, Sendable, CustomStringConvertible {
    public var key: String?
    public var reason: String

    public init(key: String?, reason: String) {
        self.key = key
        self.reason = reason
    }

    public var description: String { key.map { "\($0): \(reason)" } ?? reason }
}
