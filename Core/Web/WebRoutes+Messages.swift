import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SMSCodec
import SwiftletAPI
import SwiftletDomain
import SwiftletEvents
import SwiftletRules

/// The dashboard, composing, the folders and a number's conversation.
extension WebRoutes {
    // MARK: Dashboard

    struct Dashboard {
        struct Modem {
            var no: Int
            var name: String
            var state: String
            var ready: Bool
            var signal: String
            var registration: String
        }

        struct Plugin {
            var id: String
            var health: String
            var ok: Bool
            var detail: String
        }

        struct Event {
            var time: String
            var text: String
        }

        var modems: [Modem]
        var queued: Int
        var sending: Int
        var sent: Int
        var failed: Int
        var inbox: Int
        var plugins: [Plugin]
        var chart: String
        var events: [Event]
        var escalations: [Escalation]
        var isAdmin: Bool
    }

    struct Escalation {
        var id: Int64
        var rule: String
        var text: String
        var started: String
        var step: Int
    }

    func dashboard(_ context: WebRequestContext) async throws -> Response {
        let user = try signedIn(context)
        let snapshot = try await gui.status()
        let now = Date()
        var sent: [Int] = []
        var received: [Int] = []
        for hour in (0..<24).reversed() {
            let from = now.addingTimeInterval(Double(-(hour + 1) * 3600))
            let to = now.addingTimeInterval(Double(-hour * 3600))
            sent.append(try await gui.messages.count(in: .sentitems, from: from, to: to, modem: nil))
            received.append(try await gui.messages.count(in: .inbox, from: from, to: to, modem: nil))
        }
        let history = user.isAdmin ? try await gui.rules.history(rule: nil, limit: 8) : []
        let model = Dashboard(
            modems: snapshot.modems.map {
                .init(
                    no: $0.no,
                    name: $0.name,
                    state: $0.enabled ? $0.state : "disabled",
                    ready: $0.state == "ready",
                    signal: $0.signal < 0 ? "–" : "\($0.signal) %",
                    registration: $0.registration
                )
            },
            queued: snapshot.queue.queued,
            sending: snapshot.queue.claimed + snapshot.queue.submitting,
            sent: snapshot.queue.sent,
            failed: snapshot.queue.failed,
            inbox: snapshot.inbox,
            plugins: snapshot.plugins.map {
                .init(id: $0.id, health: $0.health, ok: $0.health == "ok", detail: $0.detail)
            },
            chart: WebChart.hourly(sent: sent, received: received),
            events: history.map {
                .init(
                    time: time($0.at),
                    text: "rule \($0.rule) (\($0.trigger)): \($0.outcomes.joined(separator: "; "))"
                )
            },
            escalations: try await activeEscalations(user),
            isAdmin: user.isAdmin
        )
        return try page("Dashboard", template: "dashboard", model: model, context: context)
    }

    func activeEscalations(_ user: APIUser) async throws -> [Escalation] {
        guard user.isAdmin else { return [] }
        return try await gui.rules.escalations(activeOnly: true, limit: 50).map {
            Escalation(id: $0.id, rule: $0.rule, text: $0.text, started: time($0.startedAt), step: $0.step + 1)
        }
    }

    // MARK: Compose

    struct Choice {
        var id: Int64
        var name: String
        var checked: Bool
    }

    struct Compose {
        var base: String
        var csrf: String
        var to: String
        var text: String
        var unicode: Bool
        var flash: Bool
        var at: String
        var groups: [Choice]
        var contacts: [Choice]
        var parts: Int
        var characters: Int
        var alphabet: String
        var mayGroups: Bool
        var mayContacts: Bool
    }

    func composePage(_ request: Request, context: WebRequestContext) async throws -> Response {
        let user = try signedIn(context)
        try require("send_sms", user, to: "send messages")
        let query = request.uri.queryParameters
        return try await composeForm(
            to: query["to"].map(String.init) ?? "",
            text: "",
            form: nil,
            user: user,
            context: context
        )
    }

    func composeForm(
        to: String,
        text: String,
        form: FormParameters?,
        user: APIUser,
        context: WebRequestContext,
        problem: String? = nil
    ) async throws -> Response {
        let filter = PhonebookScope.of(user).filter
        let unicode = form?["unicode"] != nil
        let split = MessageSplitter.split(text, forceUCS2: unicode)
        let model = Compose(
            base: base,
            csrf: context.csrf,
            to: to,
            text: text,
            unicode: unicode,
            flash: form?["flash"] != nil,
            at: form?["at"] ?? "",
            groups: try await gui.phonebook.groups(filter).map {
                Choice(id: $0.id, name: $0.name, checked: form?["group.\($0.id)"] != nil)
            },
            contacts: try await gui.phonebook.contacts(filter).map {
                Choice(id: $0.id, name: "\($0.name) (\($0.number ?? ""))", checked: form?["contact.\($0.id)"] != nil)
            },
            parts: text.isEmpty ? 0 : split.parts.count,
            characters: text.unicodeScalars.count,
            alphabet: split.alphabet == .gsm7 ? "GSM 7-bit" : "Unicode (UCS-2)",
            mayGroups: user.may("send_togroup"),
            mayContacts: user.may("send_tocontact")
        )
        return try page(
            "Compose",
            template: "compose",
            model: model,
            context: context,
            problem: problem,
            status: problem == nil ? .ok : .badRequest
        )
    }

    /// The part counter's figures for a text, from the codec that will send it (the compose page's
    /// script asks as one types, so it never disagrees with what is sent).
    func parts(_ request: Request) -> Response {
        let query = request.uri.queryParameters
        let text = query["text"].map(String.init) ?? ""
        let split = MessageSplitter.split(text, forceUCS2: query["unicode"] == "1")
        let json = """
            {"alphabet":"\(split.alphabet == .gsm7 ? "GSM 7-bit" : "Unicode (UCS-2)")",\
            "characters":\(text.unicodeScalars.count),"parts":\(text.isEmpty ? 0 : split.parts.count)}
            """
        return Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: json))
        )
    }

    func compose(_ request: Request, context: WebRequestContext) async throws -> Response {
        let user = try signedIn(context)
        try require("send_sms", user, to: "send messages")
        var request = request
        let form = try await WebForm.read(&request)
        let to = form["to"] ?? ""
        let text = form["text"] ?? ""
        func again(_ problem: String) async throws -> Response {
            try await composeForm(to: to, text: text, form: form, user: user, context: context, problem: problem)
        }
        if let problem = form.notUTF8Problem { return try await again(problem) }
        let (numbers, notNumbers) = Self.numbers(in: to)
        if !notNumbers.isEmpty {
            return try await again(
                "Not phone numbers: \(notNumbers.prefix(5).joined(separator: ", ")). Give numbers such as +46701234567, one per line or separated by commas."
            )
        }
        let groups = form.values.keys.compactMap { $0.hasPrefix("group.") ? Int64($0.dropFirst(6)) : nil }.sorted()
        let contacts = form.values.keys.compactMap { $0.hasPrefix("contact.") ? Int64($0.dropFirst(8)) : nil }
            .sorted()
        if !groups.isEmpty { try require("send_togroup", user, to: "send to groups") }
        if !contacts.isEmpty { try require("send_tocontact", user, to: "send to contacts") }
        guard !numbers.isEmpty || !groups.isEmpty || !contacts.isEmpty else {
            return try await again("Give at least one recipient: a number, a group or a contact.")
        }
        guard !text.isEmpty else { return try await again("Write the message's text.") }
        var scheduledAt: Date?
        if let at = form["at"], !at.isEmpty {
            guard let date = scheduled(at) else {
                return try await again("The time to send '\(at)' is not a date and time (YYYY-MM-DD HH:MM).")
            }
            scheduledAt = date
        }
        var options = SendOptions()
        options.unicode = form["unicode"] != nil
        options.flash = form["flash"] != nil
        let delivery: ContactDelivery
        do {
            delivery = try await gui.recipients.resolve(
                RecipientList(
                    numbers: numbers,
                    contacts: contacts.map(PhonebookReference.id),
                    groups: groups.map(PhonebookReference.id)
                ),
                scope: .of(user),
                start: scheduledAt ?? Date()
            )
        } catch let unknown as UnknownRecipient {
            return try await again(unknown.description)
        }
        guard !delivery.numbers.isEmpty else {
            return try await again("No one to send to: the groups are empty, or every contact is on vacation.")
        }
        var send = SendRequest(
            recipients: delivery.numbers,
            text: text,
            options: options,
            scheduledAt: scheduledAt,
            createdBy: user.name
        )
        send.heldUntil = delivery.heldUntil
        let ids: [MessageID]
        do {
            ids = try await gui.outbox.send(send)
        } catch let error as SwiftletError {
            return try await again(error.detail)
        }
        gui.logger.info("web: queued", metadata: ["user": "\(user.name)", "message.ids": "\(ids)"])
        let count = ids.count == 1 ? "1 message" : "\(ids.count) messages"
        return done("Queued \(count).", then: "folders/outbox", context: context)
    }

    /// The numbers in what was typed or pasted (one per line, or separated by commas, semicolons or
    /// spaces, as a CSV export gives them), and the items that are not numbers.
    static func numbers(in text: String) -> (numbers: [String], notNumbers: [String]) {
        var numbers: [String] = []
        var others: [String] = []
        for line in text.split(whereSeparator: \.isNewline) {
            for item in line.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == "\t" }) {
                let candidate = item.trimmingCharacters(in: CharacterSet(charactersIn: " \"'"))
                guard !candidate.isEmpty else { continue }
                if PhoneNumber(candidate) != nil { numbers.append(candidate) } else { others.append(candidate) }
            }
        }
        return (numbers, others)
    }

    /// A `datetime-local` value (`2026-12-06T14:30`) in the site's time zone, read as APIv2 reads
    /// its `date`.
    func scheduled(_ text: String) -> Date? {
        SMSEagleDate(timeZone: gui.timeZone).parseAPIv2(text.replacingOccurrences(of: "T", with: " "))
    }

    // MARK: Folders

    struct Row {
        var id: Int64
        var time: String
        var number: String
        var text: String
        var status: String
        var failed: Bool
        /// The number as a query parameter (set by `folder`).
        var link = ""
    }

    struct FolderModel {
        var base: String
        var csrf: String
        var folder: String
        var title: String
        var search: String
        var rows: [Row]
        var incoming: Bool
        var mayDelete: Bool
        var mayReply: Bool
        var number: String?
    }

    static let folderTitles: [Folder: String] = [
        .inbox: "Inbox", .outbox: "Outbox", .sentitems: "Sent", .sendingerror: "Errors",
    ]

    func folder(_ request: Request, context: WebRequestContext) async throws -> Response {
        let user = try signedIn(context)
        try require("read_sms", user, to: "read messages")
        guard let name = context.parameters.get("folder"), let folder = Folder(rawValue: name) else {
            throw WebError(.notFound, "There is no such folder: inbox, outbox, sentitems and sendingerror are.")
        }
        let search = request.uri.queryParameters["q"].map(String.init) ?? ""
        let number = request.uri.queryParameters["number"].map(String.init)
        var query = MessageQuery(folder: folder, for: user)
        query.limit = 200
        if folder == .inbox { query.sender = number } else { query.recipient = number }
        var rows: [Row]
        if folder == .inbox {
            rows = try await gui.messages.incoming(matching: query).map {
                Row(id: $0.id, time: time($0.receivedAt), number: $0.sender, text: $0.text, status: "", failed: false)
            }
        } else {
            rows = try await gui.messages.outgoing(matching: query).map(outgoingRow)
        }
        rows = rows.reversed().map {
            var row = $0
            row.link = WebForm.percentEncoded(row.number)
            return row
        }
        if !search.isEmpty {
            rows = rows.filter {
                $0.text.localizedCaseInsensitiveContains(search) || $0.number.localizedCaseInsensitiveContains(search)
            }
        }
        let title = Self.folderTitles[folder] ?? folder.rawValue
        let model = FolderModel(
            base: base,
            csrf: context.csrf,
            folder: folder.rawValue,
            title: title,
            search: search,
            rows: rows,
            incoming: folder == .inbox,
            mayDelete: user.may("delete_sms"),
            mayReply: user.may("send_sms"),
            number: number
        )
        return try page(title, template: "folder", model: model, context: context)
    }

    func outgoingRow(_ message: OutgoingMessage) -> Row {
        var text: String
        switch message.payload {
        case .text(let body), .mms(let body): text = body
        case .binary: text = "(binary message)"
        case .ussd(let code): text = "USSD \(code)"
        case .ring(let seconds): text = "(wake-up call, \(seconds) s)"
        case .call(let call): text = "(voice call) \(call.text)"
        }
        var status = message.state.rawValue
        if let delivery = message.delivery { status += ", delivery \(delivery.rawValue)" }
        if let error = message.lastError, message.state == .failed { status += ": \(error)" }
        return Row(
            id: message.id,
            time: time(message.sentAt ?? message.createdAt),
            number: message.recipient?.value ?? "network",
            text: text,
            status: status,
            failed: message.state == .failed || message.delivery == .failed
        )
    }

    func delete(_ request: Request, context: WebRequestContext) async throws -> Response {
        let user = try signedIn(context)
        try require("delete_sms", user, to: "delete messages")
        guard let name = context.parameters.get("folder"), let folder = Folder(rawValue: name) else {
            throw WebError(.notFound, "There is no such folder.")
        }
        var request = request
        let form = try await WebForm.read(&request)
        guard let id = form["id"].flatMap(Int64.init) else {
            throw WebError(.badRequest, "Which message? The form names none.")
        }
        let deleted = try await gui.messages.delete(from: folder, ids: id...id, owner: user.messageOwner)
        gui.logger.info(
            "web: deleted",
            metadata: ["user": "\(user.name)", "message.id": "\(id)", "count": "\(deleted)"]
        )
        return done(
            deleted == 1 ? "Message \(id) deleted." : "Message \(id) was not deleted (already sent, or not yours).",
            then: "folders/\(folder.rawValue)",
            context: context
        )
    }
}
