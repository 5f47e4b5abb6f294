import Foundation
import SwiftletStore
import Testing

@testable import SwiftletDomain

/// The gateway's one recipient policy, as every sender meets it: APIv1, APIv2, brevis.one, rules,
/// a plugin's `send_sms` and the e-mail plugin (which sends by name through `send_sms`) name their
/// recipients as a `RecipientList` in their scope, and `RecipientResolver` decides, over the real store.
@Suite("Recipients: one policy for every sender")
struct RecipientPolicyTests {
    /// Monday 2026-11-23 12:00 in Stockholm; the night shift starts at 22:00.
    static let noon = Date(timeIntervalSince1970: 1_795_431_600)
    static let night = Date(timeIntervalSince1970: 1_795_467_600)
    static let (alice, bob): (Int64, Int64) = (1, 2)

    static let anna = "+46700000001"
    static let nils = "+46700000003"
    static let pia = "+46700000004"

    struct Phonebook {
        let resolver: RecipientResolver
        let ops: Int64
        let alices: Int64
        let piaID: Int64
    }

    /// Anna (public), Vera (public, on vacation), Nils (public, on the night shift), Pia (Alice's
    /// private contact) and Dup (public, Anna's number written another way) in the public group
    /// `ops`; Pia alone in Alice's private group `alices`.
    static func phonebook() async throws -> Phonebook {
        let store = try SQLiteStore(
            directory: FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-rcpt-\(UUID())").path
        )
        let everyone = Visibility(isPublic: true, ownerID: nil)
        let anna = try await store.createContact(name: "Anna", number: PhoneNumber(Self.anna)!, visibility: everyone)
        let vera = try await store.createContact(
            name: "Vera",
            number: PhoneNumber("+46700000002")!,
            visibility: everyone
        )
        try await store.setVacation(contactID: vera, name: "Vera", enabled: true, viewerID: nil)
        let nils = try await store.createContact(name: "Nils", number: PhoneNumber(Self.nils)!, visibility: everyone)
        let pia = try await store.createContact(
            name: "Pia",
            number: PhoneNumber(Self.pia)!,
            visibility: Visibility(isPublic: false, ownerID: alice)
        )
        let dup = try await store.createContact(
            name: "Dup",
            number: PhoneNumber("+46 70 000 00 01")!,
            visibility: everyone
        )
        let ops = try await store.createGroup(name: "ops", visibility: everyone)
        for contact in [anna, vera, nils, pia, dup] {
            try await store.setMembership(contactID: contact, groupIDs: [ops], member: true, viewerID: nil)
        }
        let alices = try await store.createGroup(
            name: "alices",
            visibility: Visibility(isPublic: false, ownerID: alice)
        )
        try await store.setMembership(contactID: pia, groupIDs: [alices], member: true, viewerID: nil)
        let shift = try await store.createShift(
            Shift(
                id: 0,
                name: "night",
                enabled: true,
                days: Array(repeating: DayHours(from: 22 * 60, to: 6 * 60), count: 7)
            )
        )
        try await store.setShiftMembership(contactID: nils, shiftIDs: [shift], member: true, viewerID: nil)
        return Phonebook(
            resolver: RecipientResolver(directory: store, timeZone: TimeZone(identifier: "Europe/Stockholm")!),
            ops: ops,
            alices: alices,
            piaID: pia
        )
    }

    enum Outcome: Equatable {
        /// The numbers, in order, and those held until the night shift starts.
        case sent([String], held: Set<String>)
        case unknown(UnknownRecipient.Kind)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var sender: String
        var concern: String
        var list: @Sendable (Phonebook) -> RecipientList
        var scope: PhonebookScope
        var outcome: Outcome
        var testDescription: String { "\(sender) × \(concern)" }
    }

    /// `ops` as everyone gets it: Anna, Nils held for the night, Pia; Vera on vacation; Dup is Anna.
    static let ops = Outcome.sent([anna, nils, pia], held: [nils])

    static let cases: [Case] = [
        // APIv1: send_togroup / send_tocontact name public entries.
        Case(
            sender: "APIv1",
            concern: "vacation, shift, duplicate",
            list: { _ in RecipientList(groups: [.name("ops")]) },
            scope: .publicEntries,
            outcome: ops
        ),
        Case(
            sender: "APIv1",
            concern: "vacation (contact)",
            list: { _ in RecipientList(contacts: [.name("vera")]) },
            scope: .publicEntries,
            outcome: .sent([], held: [])
        ),
        Case(
            sender: "APIv1",
            concern: "private entry",
            list: { _ in RecipientList(contacts: [.name("Pia")]) },
            scope: .publicEntries,
            outcome: .unknown(.contact)
        ),
        Case(
            sender: "APIv1",
            concern: "private group",
            list: { _ in RecipientList(groups: [.name("alices")]) },
            scope: .publicEntries,
            outcome: .unknown(.group)
        ),
        // APIv2: ids, the user's own entries (all for admins and the all-users grant).
        Case(
            sender: "APIv2",
            concern: "private entry (own)",
            list: { RecipientList(groups: [.id($0.alices)]) },
            scope: .ownedBy(alice),
            outcome: .sent([pia], held: [])
        ),
        Case(
            sender: "APIv2",
            concern: "private entry (another's)",
            list: { RecipientList(contacts: [.id($0.piaID)]) },
            scope: .ownedBy(bob),
            outcome: .unknown(.contact)
        ),
        Case(
            sender: "APIv2",
            concern: "private entry (all-users grant)",
            list: { RecipientList(groups: [.id($0.alices)]) },
            scope: .of(APIUser(id: bob, name: "bob", permissions: ["*"], allUsers: true)),
            outcome: .sent([pia], held: [])
        ),
        Case(
            sender: "APIv2",
            concern: "duplicate number",
            list: { RecipientList(numbers: [pia], contacts: [.id($0.piaID)]) },
            scope: .ownedBy(alice),
            outcome: .sent([pia], held: [])
        ),
        Case(
            sender: "APIv2",
            concern: "vacation, shift (admin)",
            list: { RecipientList(groups: [.id($0.ops)]) },
            scope: .everything,
            outcome: ops
        ),
        // brevis.one: public groups by id or name, public contacts by name.
        Case(
            sender: "brevis.one",
            concern: "vacation, shift, duplicate",
            list: { RecipientList(groups: [.id($0.ops)]) },
            scope: .publicEntries,
            outcome: ops
        ),
        Case(
            sender: "brevis.one",
            concern: "shift (contact)",
            list: { _ in RecipientList(contacts: [.name("Nils")]) },
            scope: .publicEntries,
            outcome: .sent([nils], held: [nils])
        ),
        Case(
            sender: "brevis.one",
            concern: "private group",
            list: { RecipientList(groups: [.id($0.alices)]) },
            scope: .publicEntries,
            outcome: .unknown(.group)
        ),
        // Rules: names, every entry, shifts.
        Case(
            sender: "rules",
            concern: "shift",
            list: { _ in RecipientList(shifts: [.name("night")]) },
            scope: .everything,
            outcome: .sent([nils], held: [nils])
        ),
        Case(
            sender: "rules",
            concern: "duplicate (group and shift)",
            list: { _ in RecipientList(groups: [.name("ops")], shifts: [.name("night")]) },
            scope: .everything,
            outcome: ops
        ),
        Case(
            sender: "rules",
            concern: "private entry",
            list: { _ in RecipientList(contacts: [.name("Pia")]) },
            scope: .everything,
            outcome: .sent([pia], held: [])
        ),
        Case(
            sender: "rules",
            concern: "unknown shift",
            list: { _ in RecipientList(shifts: [.name("day")]) },
            scope: .everything,
            outcome: .unknown(.shift)
        ),
        // Plugins' send_sms: numbers as given, names of every entry.
        Case(
            sender: "plugin send_sms",
            concern: "duplicate number written another way",
            list: { _ in RecipientList(numbers: ["+46 70 000 00 01"], groups: [.name("ops")]) },
            scope: .everything,
            outcome: .sent(["+46 70 000 00 01", nils, pia], held: [nils])
        ),
        Case(
            sender: "plugin send_sms",
            concern: "vacation (contact)",
            list: { _ in RecipientList(contacts: [.name("Vera")]) },
            scope: .everything,
            outcome: .sent([], held: [])
        ),
        // E-mail: NAME@domain goes to send_sms by name.
        Case(
            sender: "e-mail",
            concern: "vacation, shift, duplicate",
            list: { _ in RecipientList(groups: [.name("OPS")]) },
            scope: .everything,
            outcome: ops
        ),
        Case(
            sender: "e-mail",
            concern: "private entry",
            list: { _ in RecipientList(groups: [.name("alices")]) },
            scope: .everything,
            outcome: .sent([pia], held: [])
        ),
    ]

    @Test(arguments: cases)
    func policy(_ row: Case) async throws {
        let phonebook = try await Self.phonebook()
        let outcome: Outcome
        do {
            let delivery = try await phonebook.resolver.resolve(row.list(phonebook), scope: row.scope, start: Self.noon)
            #expect(delivery.heldUntil.values.allSatisfy { $0 == Self.night })
            outcome = .sent(delivery.numbers, held: Set(delivery.heldUntil.keys.map { delivery.numbers[$0] }))
        } catch let unknown as UnknownRecipient {
            outcome = .unknown(unknown.kind)
        }
        #expect(outcome == row.outcome)
    }

    @Test("vacations and shifts are noted for the log, by contact")
    func notes() async throws {
        let phonebook = try await Self.phonebook()
        let delivery = try await phonebook.resolver.resolve(
            RecipientList(groups: [.name("ops")]),
            scope: .everything,
            start: Self.noon
        )
        #expect(
            delivery.notes.map(\.text) == [
                "Vera is on vacation; not sent to", "Nils is off duty; held until \(Self.night)",
            ]
        )
    }

    @Test("one rule for the same subscriber: equal digits, or the last eight of two numbers of eight digits or more")
    func sameSubscriber() {
        let table: [(String, String, Bool)] = [
            ("+46701234567", "0701234567", true),
            ("+46701234567", "46701234567", true),
            ("+4712345678", "12345678", true),  // Norway: eight digits, no trunk prefix
            ("+46701234567", "+46731234567", false),
            ("+46701234567", "+46701234568", false),
            ("72456", "72456", true),  // a short code
            ("72456", "172456", false),
            ("1234567", "+461234567", false),  // fewer than eight digits: all must agree
            ("", "", false),
            ("abc", "abc", false),
        ]
        for (a, b, same) in table {
            #expect(PhoneNumber.sameSubscriber(a, b) == same, "\(a) vs \(b)")
            #expect(PhoneNumber.sameSubscriber(b, a) == same, "\(b) vs \(a)")
        }
    }
}
