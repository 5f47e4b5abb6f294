import Foundation
import Logging
import SwiftletDomain
import SwiftletEvents
import SwiftletPluginSDK

/// What the host table's functions do, over the domain: queueing through the same `Outbox` as the
/// APIs, the phonebook, the plugins' state, and the same inbox as the modems.
public struct HostServices: Sendable {
    public var outbox: Outbox
    public var phonebook: any Phonebook
    /// Who a plugin's `send_sms` reaches: the gateway's one recipient policy, over every entry.
    public var recipients: RecipientResolver
    public var state: any PluginStateStore
    public var events: EventBus
    /// Where delivered messages are committed; the gateway's publishes them as `sms.incoming`.
    public var inbox: any InboxWriter
    /// Where plugins' rule-engine kinds are registered; nil when no rule engine runs.
    public var ruleKinds: RuleKindRegistry?
    /// Where plugins' health reports are kept for `swiftlet plugins list`; nil: only logged.
    public var health: (any PluginHealthStore)?
    /// The gateway's failed-login limiter, for plugins that check credentials (ABI 1.3
    /// `login_attempt`); nil: nothing is limited.
    public var limiter: (any LoginLimiter)?
    /// Where plugins register as providers (ABI 1.4); nil: register_provider is unsupported.
    public var providers: ProviderRegistry?
    /// Where plugins' metrics go (ABI 1.4 report_metric); nil: unsupported.
    public var metrics: MetricsRegistry?
    /// The gateway's state, assembled by the gateway (ABI 1.4 status_snapshot); nil: unsupported.
    public var status: (@Sendable () async throws -> StatusSnapshot)?
    /// Applies a transport's status report (ABI 1.5 report_delivery) from the plugin of that id;
    /// nil: unsupported.
    public var reportDelivery: (@Sendable (TransportReport, _ plugin: String) async throws -> TransportReport.Outcome?)?

    public init(
        outbox: Outbox,
        phonebook: any Phonebook,
        recipients: RecipientResolver,
        state: any PluginStateStore,
        events: EventBus,
        inbox: any InboxWriter,
        ruleKinds: RuleKindRegistry? = nil,
        health: (any PluginHealthStore)? = nil,
        limiter: (any LoginLimiter)? = nil,
        providers: ProviderRegistry? = nil,
        metrics: MetricsRegistry? = nil,
        status: (@Sendable () async throws -> StatusSnapshot)? = nil
    ) {
        self.providers = providers
        self.metrics = metrics
        self.status = status
        self.limiter = limiter
        self.ruleKinds = ruleKinds
        self.health = health
        self.outbox = outbox
        self.phonebook = phonebook
        self.recipients = recipients
        self.state = state
        self.events = events
        self.inbox = inbox
    }

    /// Commits a message a plugin delivers; its "modem" is the plugin's id (and channel, if given).
    func deliverIncoming(_ sms: IncomingSMS, plugin: String) async throws -> MessageID {
        guard !sms.from.isEmpty else { throw SwiftletError(.invalidParameter, "from: empty") }
        guard !sms.text.isEmpty else { throw SwiftletError(.invalidParameter, "text: empty") }
        let message = NewIncomingMessage(
            sender: sms.from,
            text: sms.text,
            sentAt: sms.sentAt ?? Date(),
            serviceCentre: nil,
            unicode: false,
            modem: sms.channel.map { "\(plugin):\($0)" } ?? plugin,
            part: nil
        )
        guard let id = try await inbox.store(message) else {
            throw SwiftletError(.storage, "the message was not stored")
        }
        return id
    }

    func send(_ sms: OutgoingSMS, plugin: String, logger: Logger) async throws -> [Int] {
        let list = RecipientList(
            numbers: sms.to,
            contacts: sms.contacts.map(PhonebookReference.name),
            groups: sms.groups.map(PhonebookReference.name)
        )
        let delivery: ContactDelivery
        do {
            delivery = try await recipients.resolve(list, scope: .everything, start: max(sms.date ?? Date(), Date()))
        } catch let unknown as UnknownRecipient {
            throw SwiftletError(.notFound, "\(unknown.kind.rawValue)s: \(unknown.description)")
        }
        for note in delivery.notes {
            logger.info(
                "send_sms: recipient policy",
                metadata: ["contact": "\(note.contact)", "policy": "\(note.text)"]
            )
        }
        if delivery.numbers.isEmpty, !sms.groups.isEmpty || !sms.contacts.isEmpty {
            throw SwiftletError(
                .invalidParameter,
                "nobody to send to in \((sms.contacts + sms.groups).joined(separator: ", ")): empty, or all away"
            )
        }
        if let key = sms.key, key.isEmpty || key.utf8.count > 200 {
            throw SwiftletError(.invalidParameter, "key: 1 to 200 bytes")
        }
        var request = SendRequest(
            recipients: delivery.numbers,
            text: sms.text,
            options: SendOptions(
                priority: sms.priority ?? 0,
                unicode: sms.unicode ?? false,
                flash: sms.flash ?? false,
                modemNumber: sms.modemNo
            ),
            scheduledAt: sms.date,
            createdBy: "plugin:" + plugin
        )
        request.key = sms.key.map { "plugin:\(plugin):\($0)" }
        request.heldUntil = delivery.heldUntil
        let ids = try await outbox.send(request)
        return ids.map { Int($0) }
    }

    func lookUp(_ query: PhonebookQuery) async throws -> PhonebookEntries {
        func entry(_ contact: Contact) -> PhonebookEntries.Contact {
            .init(id: Int(contact.id), name: contact.name, number: contact.number.value, groups: contact.groups)
        }
        let given = [query.number, query.contact, query.group].compactMap { $0 }
        guard given.count == 1 else {
            throw SwiftletError(.invalidParameter, "give exactly one of number, contact and group")
        }
        if let text = query.number {
            let number = try Self.number(text)
            return PhonebookEntries(contacts: try await phonebook.contacts(withNumber: number).map(entry))
        }
        if let name = query.contact {
            return PhonebookEntries(contacts: try await phonebook.contact(named: name).map { [entry($0)] } ?? [])
        }
        guard let group = try await phonebook.group(named: query.group ?? "") else { return PhonebookEntries() }
        return PhonebookEntries(
            contacts: group.members.map(entry),
            groups: [.init(id: Int(group.id), name: group.name, members: group.members.count)]
        )
    }

    struct GroupChange: Decodable {
        var op: String
        var group: String
        var number: String
        var name: String?
        var createGroup: Bool?
    }

    func update(_ change: GroupChange) async throws -> Bool {
        let number = try Self.number(change.number)
        guard !change.group.isEmpty else { throw SwiftletError(.invalidParameter, "group: empty") }
        switch change.op {
        case "add_to_group":
            return try await phonebook.addToGroup(
                change.group,
                number: number,
                contactName: change.name,
                createGroup: change.createGroup ?? false
            )
        case "remove_from_group":
            return try await phonebook.removeFromGroup(change.group, number: number)
        default:
            throw SwiftletError(.invalidParameter, "op: '\(change.op)' is not add_to_group or remove_from_group")
        }
    }

    func resolve(name: String) async throws -> (numbers: [String], source: String) {
        if let contact = try await phonebook.contact(named: name) {
            return ([contact.number.value], "phonebook-contact")
        }
        if let group = try await phonebook.group(named: name) {
            return (group.members.map(\.number.value), "phonebook-group")
        }
        if let numbers = try await recipients.external?.numbers(named: name) {
            return (numbers, "directory")
        }
        throw SwiftletError(.notFound, "nothing is called '\(name)' in the phonebook")
    }

    static func number(_ text: String) throws -> PhoneNumber {
        guard let number = PhoneNumber(text) else {
            throw SwiftletError(.invalidParameter, "number: '\(text)' is not a telephone number")
        }
        return number
    }
}
