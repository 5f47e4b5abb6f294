import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SwiftletAPI
import SwiftletDomain
import SwiftletRules

/// The phonebook, the rules and their escalations, and the plugins.
extension WebRoutes {
    // MARK: Phonebook

    struct Entry {
        var id: Int64
        var name: String
        var number: String
        var visibility: String
        var vacation: Bool
        var members: String
    }

    struct PhonebookModel {
        var base: String
        var csrf: String
        var contacts: [Entry]
        var groups: [Entry]
        /// Groups of the directories (LDAP), read-only.
        var directoryGroups: [DirectoryGroup]
        var hasDirectoryGroups: Bool
        var mayContacts: Bool
        var mayGroups: Bool
    }

    struct DirectoryGroup: Sendable {
        var name: String
        var directory: String
        var members: Int
    }

    func phonebookPage(
        _ request: Request,
        context: WebRequestContext,
        problem: String? = nil
    ) async throws
        -> Response
    {
        let user = try signedIn(context)
        try require("contact_read", user, to: "read the phonebook")
        let filter = PhonebookScope.of(user).filter
        let contacts = try await gui.phonebook.contacts(filter)
        var groups: [Entry] = []
        for group in try await gui.phonebook.groups(filter) {
            let members = try await gui.phonebook.members(ofGroup: group.id, filter)
            groups.append(
                Entry(
                    id: group.id,
                    name: group.name,
                    number: "",
                    visibility: group.visibility.isPublic ? "public" : "private",
                    vacation: false,
                    members: members.map(\.name).joined(separator: ", ")
                )
            )
        }
        let directoryGroups =
            await gui.recipients.external?.groups()
            .map { DirectoryGroup(name: $0.name, directory: $0.directory, members: $0.members) } ?? []
        let model = PhonebookModel(
            base: base,
            csrf: context.csrf,
            contacts: contacts.map {
                Entry(
                    id: $0.id,
                    name: $0.name,
                    number: $0.number ?? "",
                    visibility: $0.visibility.isPublic ? "public" : "private",
                    vacation: $0.vacation,
                    members: ""
                )
            },
            groups: groups,
            directoryGroups: directoryGroups,
            hasDirectoryGroups: !directoryGroups.isEmpty,
            mayContacts: user.may("contact_create"),
            mayGroups: user.may("group_create")
        )
        return try page(
            "Phonebook",
            template: "phonebook",
            model: model,
            context: context,
            problem: problem,
            status: problem == nil ? .ok : .badRequest
        )
    }

    /// `add-contact`, `delete-contact`, `add-group`, `delete-group`, `add-member`, `vacation`.
    func changePhonebook(_ request: Request, context: WebRequestContext) async throws -> Response {
        let user = try signedIn(context)
        var request = request
        let form = try await WebForm.read(&request)
        let visibility = Visibility(isPublic: form["public"] != nil, ownerID: user.id)
        let viewer = PhonebookScope.of(user).filter.viewerID
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        let id = form["id"].flatMap(Int64.init)
        func again(_ problem: String) async throws -> Response {
            try await phonebookPage(request, context: context, problem: problem)
        }
        do {
            switch context.parameters.get("action") {
            case "add-contact":
                try require("contact_create", user, to: "add contacts")
                guard !name.isEmpty, PhonebookEntry.isAcceptableName(name) else {
                    return try await again("Give the contact a name.")
                }
                guard let number = PhoneNumber(form["number"] ?? "") else {
                    return try await again("'\(form["number"] ?? "")' is not a phone number (e.g. +46701234567).")
                }
                _ = try await gui.phonebook.createContact(name: name, number: number, visibility: visibility)
                return done("Contact \(name) added.", then: "phonebook", context: context)
            case "delete-contact":
                try require("contact_delete", user, to: "delete contacts")
                guard let id else { return try await again("Which contact? The form names none.") }
                try await gui.phonebook.deleteContact(id: id, name: name, viewerID: viewer)
                return done("Contact \(name) deleted.", then: "phonebook", context: context)
            case "add-group":
                try require("group_create", user, to: "add groups")
                guard !name.isEmpty, PhonebookEntry.isAcceptableName(name) else {
                    return try await again("Give the group a name.")
                }
                _ = try await gui.phonebook.createGroup(name: name, visibility: visibility)
                return done("Group \(name) added.", then: "phonebook", context: context)
            case "delete-group":
                try require("group_delete", user, to: "delete groups")
                guard let id else { return try await again("Which group? The form names none.") }
                try await gui.phonebook.deleteGroup(id: id, name: name, viewerID: viewer)
                return done("Group \(name) deleted.", then: "phonebook", context: context)
            case "add-member":
                try require("group_addcontact", user, to: "change groups")
                guard let id, let contact = form["contact"].flatMap(Int64.init) else {
                    return try await again("Choose a contact to add to the group.")
                }
                try await gui.phonebook.setMembership(
                    contactID: contact,
                    groupIDs: [id],
                    member: true,
                    viewerID: viewer
                )
                return done("Contact added to the group.", then: "phonebook", context: context)
            case "vacation":
                try require("set_contact_vacation_mode", user, to: "change vacations")
                guard let id else { return try await again("Which contact? The form names none.") }
                let on = form["vacation"] == "on"
                try await gui.phonebook.setVacation(contactID: id, name: name, enabled: on, viewerID: viewer)
                return done(
                    "\(name) is \(on ? "on vacation" : "back from vacation").",
                    then: "phonebook",
                    context: context
                )
            default:
                throw WebError(.notFound, "There is no such phonebook action.")
            }
        } catch let error as SwiftletError {
            return try await again(error.detail)
        }
    }

    // MARK: Rules and escalations

    struct RuleRow {
        var name: String
        var enabled: Bool
        var status: String
        var source: String
        var trigger: String
        var definition: String
    }

    struct RulesModel {
        var base: String
        var csrf: String
        var rules: [RuleRow]
        var escalations: [Escalation]
        var history: [Dashboard.Event]
    }

    func rulesPage(_ request: Request, context: WebRequestContext) async throws -> Response {
        let user = try signedIn(context)
        try requireAdmin(user)
        let model = RulesModel(
            base: base,
            csrf: context.csrf,
            rules: await gui.rules.list().map {
                RuleRow(
                    name: $0.name,
                    enabled: $0.enabled,
                    status: "\($0.status)",
                    source: "\($0.source)",
                    trigger: $0.trigger,
                    definition: $0.definition
                )
            },
            escalations: try await activeEscalations(user),
            history: try await gui.rules.history(rule: nil, limit: 30).map {
                .init(
                    time: time($0.at),
                    text: "\($0.rule) (\($0.trigger)): \($0.outcomes.joined(separator: "; "))"
                )
            }
        )
        return try page("Rules", template: "rules", model: model, context: context)
    }

    func changeRule(_ request: Request, context: WebRequestContext) async throws -> Response {
        let user = try signedIn(context)
        try requireAdmin(user)
        guard let name = context.parameters.get("name"), let action = context.parameters.get("action"),
            action == "enable" || action == "disable"
        else { throw WebError(.notFound, "There is no such rule action: enable and disable are.") }
        do {
            try await gui.rules.setEnabled(name, action == "enable")
        } catch {
            throw WebError(.notFound, "Rule \(name): \(error)")
        }
        gui.logger.notice("web: rule \(action)d", metadata: ["user": "\(user.name)", "rule": "\(name)"])
        return done("Rule \(name) \(action)d.", then: "rules", context: context)
    }

    func acknowledge(_ request: Request, context: WebRequestContext) async throws -> Response {
        let user = try signedIn(context)
        try requireAdmin(user)
        guard let id = context.parameters.get("id").flatMap(Int64.init) else {
            throw WebError(.notFound, "There is no such escalation.")
        }
        do {
            _ = try await gui.rules.acknowledge(escalation: id, by: user.name)
        } catch {
            return done("Escalation \(id) was not acknowledged: \(error)", then: "rules", context: context)
        }
        gui.logger.notice("web: escalation acknowledged", metadata: ["user": "\(user.name)", "escalation": "\(id)"])
        return done("Escalation \(id) acknowledged; its alerts stop.", then: "rules", context: context)
    }

    // MARK: Plugins

    struct PluginsModel {
        var base: String
        var csrf: String
        var plugins: [PluginListing]
        var available: Bool
    }

    func pluginsPage(_ request: Request, context: WebRequestContext) async throws -> Response {
        try requireAdmin(try signedIn(context))
        let plugins = await gui.plugins?.plugins() ?? []
        let model = PluginsModel(base: base, csrf: context.csrf, plugins: plugins, available: gui.plugins != nil)
        return try page("Plugins", template: "plugins", model: model, context: context)
    }

    struct PluginModel {
        var base: String
        var csrf: String
        var plugin: PluginListing
        var fields: [Field]
        var fileOnly: String
        /// Nil while the plugin has reported none (not enabled).
        var health: String?
    }

    /// A field as the template shows it: one flag per kind of input.
    struct Field {
        var key: String
        var label: String
        var description: String
        var value: String
        var required: Bool
        var checked: Bool
        var text: Bool
        var number: Bool
        var checkbox: Bool
        var lines: Bool
        var password: Bool
        var options: [Option]
        var select: Bool
        var invalid: Bool
    }

    struct Option {
        var value: String
        var selected: Bool
    }

    func pluginPage(
        _ request: Request,
        context: WebRequestContext,
        values: [String: String]? = nil,
        problem: PluginFormError? = nil
    ) async throws -> Response {
        try requireAdmin(try signedIn(context))
        guard let id = context.parameters.get("id"),
            let plugin = await gui.plugins?.plugins().first(where: { $0.id == id })
        else { throw WebError(.notFound, "There is no such plugin in the plugin directory.") }
        let fields = plugin.fields.map { field in
            let value = values.map { $0[field.key] ?? "" } ?? field.value
            return Field(
                key: field.key,
                label: field.key.replacingOccurrences(of: "_", with: " "),
                description: field.description,
                value: field.kind == .checkbox || field.kind == .password ? "" : value,
                required: field.required,
                checked: field.kind == .checkbox && (value == "true" || value == "on"),
                text: field.kind == .text,
                number: field.kind == .number,
                checkbox: field.kind == .checkbox,
                lines: field.kind == .lines,
                password: field.kind == .password,
                options: field.options.map { Option(value: $0, selected: $0 == value) },
                select: field.kind == .select,
                invalid: problem?.key.map { $0 == field.key || $0.hasPrefix(field.key + ".") } ?? false
            )
        }
        let model = PluginModel(
            base: base,
            csrf: context.csrf,
            plugin: plugin,
            fields: fields,
            fileOnly: plugin.fileOnly.joined(separator: ", "),
            health: plugin.health.isEmpty
                ? nil : plugin.health + (plugin.healthDetail.isEmpty ? "" : ": " + plugin.healthDetail)
        )
        return try page(
            "Plugins",
            template: "plugin",
            model: model,
            context: context,
            problem: problem.map { "Not saved: \($0.description)" },
            status: problem == nil ? .ok : .badRequest
        )
    }

    func changePlugin(_ request: Request, context: WebRequestContext) async throws -> Response {
        let user = try signedIn(context)
        try requireAdmin(user)
        guard let administration = gui.plugins, let id = context.parameters.get("id") else {
            throw WebError(.notFound, "There is no such plugin.")
        }
        var request = request
        let form = try await WebForm.read(&request)
        do {
            switch context.parameters.get("action") {
            case "enable":
                var values: [String: String] = [:]
                for (key, value) in form.values where key.hasPrefix("field.") {
                    values[String(key.dropFirst(6))] = value
                }
                let outcome = try await administration.enable(id, values: values, by: user.name)
                return done(outcome, then: "plugins", context: context)
            case "disable":
                let outcome = try await administration.disable(id, by: user.name)
                return done(outcome, then: "plugins", context: context)
            default:
                throw WebError(.notFound, "There is no such plugin action: enable and disable are.")
            }
        } catch let problem as PluginFormError {
            var values: [String: String] = [:]
            for (key, value) in form.values where key.hasPrefix("field.") { values[String(key.dropFirst(6))] = value }
            return try await pluginPage(request, context: context, values: values, problem: problem)
        }
    }
}
