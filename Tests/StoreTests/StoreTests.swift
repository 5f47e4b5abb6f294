import Foundation
import GRDB
import SwiftletDomain
import Synchronization
import Testing

@testable import SwiftletStore

@Suite("The SQLite store")
struct StoreTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-store-\(UUID())").path

    func message(
        _ to: String,
        priority: Int = 0,
        notBefore: Date = Date(timeIntervalSince1970: 0)
    ) -> NewOutgoingMessage {
        NewOutgoingMessage(
            recipient: PhoneNumber(to)!,
            payload: .text("text for \(to)"),
            options: SendOptions(priority: priority),
            createdBy: "test",
            notBefore: notBefore
        )
    }

    /// Old events go, except those a webhook still has to deliver.
    @Test func pruningTheEventLogKeepsWhatWebhooksOwe() async throws {
        let store = try SQLiteStore(directory: directory)
        try await store.addUser("test", admin: false, permissions: ["*"])
        _ = try await store.addWebhook(
            Webhook(
                id: 0,
                user: "test",
                url: URL(string: "http://127.0.0.1:9/")!,
                events: [.queued],
                format: .json,
                method: "POST",
                secret: "0123456789abcdef",
                apiKey: nil,
                createdAt: Date()
            )
        )
        let ids = try await store.enqueue([message("+46700000001"), message("+46700000002")])
        #expect(try await store.queueWebhookDeliveries(limit: 100, now: Date()) == 2)
        let due = try await store.dueWebhookDeliveries(now: Date(), limit: 10)
        try await store.markWebhookDelivered(try #require(due.first { $0.event.messageID == ids[0] }).id, at: Date())
        let old = Date().addingTimeInterval(-40 * 86400).storeValue
        try await store.pool.write { db in
            try db.execute(sql: "UPDATE event SET at = ?", arguments: [old])
            try db.execute(sql: "UPDATE webhook_delivery SET created_at = ?", arguments: [old])
        }
        #expect(try await store.pruneEvents(before: Date().addingTimeInterval(-30 * 86400)) == 1)
        let left = try await store.pool.read { db in try Int64.fetchAll(db, sql: "SELECT message_id FROM event") }
        #expect(left == [ids[1]], "the event still owed to the webhook must stay")
    }

    /// A webhook tells what its user may see now: another user's messages only while its user is an
    /// admin, nothing once it may not read messages, and it goes with its user.
    @Test func aWebhookFollowsItsUser() async throws {
        let store = try SQLiteStore(directory: directory)
        try await store.addUser("ann", admin: false, permissions: ["read_sms"])
        let hook = try await store.addWebhook(
            Webhook(
                id: 0,
                user: "ann",
                url: URL(string: "http://127.0.0.1:9/")!,
                events: [.queued],
                format: .json,
                method: "POST",
                secret: "0123456789abcdef",
                apiKey: nil,
                createdAt: Date()
            )
        )
        _ = try await store.enqueue([message("+46700000001")])  // queued by "test", not ann
        #expect(try await store.queueWebhookDeliveries(limit: 100, now: Date()) == 0)
        #expect(try await store.webhooks(user: "ann").first?.allUsers == false)
        _ = try await store.setAdmin("ann", true)
        #expect(try await store.webhooks(user: "ann").first?.allUsers == true)
        _ = try await store.enqueue([message("+46700000002")])
        #expect(try await store.queueWebhookDeliveries(limit: 100, now: Date()) == 1)
        _ = try await store.setPermissions("ann", ["send_sms"])
        _ = try await store.enqueue([message("+46700000003")])
        #expect(try await store.queueWebhookDeliveries(limit: 100, now: Date()) == 0)
        #expect(try await store.removeUser("ann"))
        #expect(try await store.webhooks(user: nil).isEmpty)
        #expect(try await store.webhookCounts(id: hook.id) == WebhookCounts())
    }

    @Test func commitsAreDurableWithWALAndFullSync() async throws {
        let store = try SQLiteStore(directory: directory)
        let pragmas = try await store.pragmas()
        #expect(pragmas.journalMode == "wal")
        #expect(pragmas.synchronous == 2)
        let ids = try await store.enqueue([message("111111")])
        let reopened = try SQLiteStore(directory: directory)
        #expect(try await reopened.outgoing(matching: MessageQuery(folder: .outbox)).map(\.id) == ids)
    }

    /// Concurrent writes share commits; one that throws is undone alone and the others keep theirs.
    @Test func groupCommitUndoesOnlyTheWriteThatFailed() async throws {
        struct Refused: Error {}
        let store = try SQLiteStore(directory: directory)
        let commits = CommitCounter()
        store.pool.add(transactionObserver: commits)
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for index in 0..<60 {
                group.addTask {
                    do {
                        _ = try await store.write { db in
                            try db.execute(
                                sql: "INSERT INTO custom_folder (name, created_at) VALUES (?, 0)",
                                arguments: ["folder \(index)"]
                            )
                            if index % 3 == 0 { throw Refused() }  // after its insert: the insert must go
                        }
                        return (index, true)
                    } catch {
                        return (index, false)
                    }
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(outcomes.count == 60)
        #expect(outcomes.filter { !$0.value }.keys.allSatisfy { $0 % 3 == 0 })
        let names = Set(try await store.folders().map(\.name))
        #expect(names == Set((0..<60).filter { $0 % 3 != 0 }.map { "folder \($0)" }))
        // Shared: far fewer commits (and so fsyncs) than the 40 writes that committed.
        let count = commits.count.withLock { $0 }
        #expect(count >= 1 && count < 30, "\(count) commits for 60 concurrent writes")
    }

    @Test func claimsTakeTheHighestPriorityThenTheOldestDueMessage() async throws {
        let store = try SQLiteStore(directory: directory)
        let now = Date()
        let ids = try await store.enqueue([
            message("111111"), message("222222", priority: 5), message("333333"),
            message("444444", priority: 9, notBefore: now.addingTimeInterval(600)),
        ])
        var order: [MessageID] = []
        while let claimed = try await store.claimNext(
            owner: "node",
            leaseUntil: now.addingTimeInterval(60),
            now: now,
            modemNumber: 1
        ) {
            order.append(claimed.id)
            #expect(claimed.state == .claimed)
        }
        #expect(order == [ids[1], ids[0], ids[2]])
        let next = try await store.nextScheduled(after: now)
        #expect(abs((next?.timeIntervalSince1970 ?? 0) - now.addingTimeInterval(600).timeIntervalSince1970) < 0.001)
    }

    @Test func aMessageForOneModemIsClaimedOnlyByThatModem() async throws {
        let store = try SQLiteStore(directory: directory)
        let now = Date()
        var forTwo = message("222222")
        forTwo.options.modemNumber = 2
        let ids = try await store.enqueue([forTwo, message("111111")])
        let lease = now.addingTimeInterval(60)
        #expect(try await store.claimNext(owner: "n", leaseUntil: lease, now: now, modemNumber: 1)?.id == ids[1])
        #expect(try await store.claimNext(owner: "n", leaseUntil: lease, now: now, modemNumber: 1) == nil)
        let claimed = try await store.claimNext(owner: "n", leaseUntil: lease, now: now, modemNumber: 2)
        #expect(claimed?.id == ids[0])
        #expect(claimed?.options.modemNumber == 2)
    }

    @Test func queuedMessagesOfOneModemAreMovedToAnotherButNotThoseInFlight() async throws {
        let store = try SQLiteStore(directory: directory)
        let now = Date()
        var forOne = message("111111")
        forOne.options.modemNumber = 1
        var forThree = message("333333")
        forThree.options.modemNumber = 3
        let ids = try await store.enqueue([forOne, forOne, forThree, message("000000")])
        let claimed = try await store.claimNext(
            owner: "n",
            leaseUntil: now.addingTimeInterval(60),
            now: now,
            modemNumber: 1
        )
        #expect(claimed?.id == ids[0])
        #expect(try await store.moveQueued(fromModem: 1, toModem: 2) == 1)
        let outbox = try await store.outgoing(matching: MessageQuery(folder: .outbox))
        #expect(outbox.map(\.options.modemNumber) == [1, 2, 3, nil])
    }

    @Test func aDisabledModemStaysDisabledAcrossARestart() async throws {
        let store = try SQLiteStore(directory: directory)
        #expect(try await store.disabledModems().isEmpty)
        try await store.setModem("modem2", enabled: false)
        try await store.setModem("modem1", enabled: false)
        try await store.setModem("modem1", enabled: true)
        #expect(try await SQLiteStore(directory: directory).disabledModems() == ["modem2"])
    }

    @Test func eachKindOfPayloadReadsBackAsStored() async throws {
        let store = try SQLiteStore(directory: directory)
        var ussd = message("111111")
        ussd.recipient = nil
        ussd.payload = .ussd(code: "*101#")
        var binary = message("333333")
        binary.payload = .binary(
            BinaryContent(data: [0x00, 0xFF, 0x41], header: [0x03, 0x00, 0x01, 0x02], messageClass: 1)
        )
        var mms = message("444444")
        mms.payload = .mms(text: "see the picture")
        mms.attachments = [Attachment(contentType: "image/png", content: [1, 2, 3])]
        var ring = message("555555")
        ring.payload = .ring(seconds: 42)
        let written = [ussd, message("222222"), binary, mms, ring]
        _ = try await store.enqueue(written)
        let outbox = try await store.outgoing(matching: MessageQuery(folder: .outbox))
        #expect(outbox.map(\.payload) == written.map(\.payload))
        #expect(outbox.map(\.recipient) == written.map(\.recipient))
        #expect(outbox.map(\.address) == ["*101#"] + written.dropFirst().map { $0.recipient?.value ?? "" })
        #expect(outbox.map(\.payload.listedText) == ["*101#", "text for 222222", "00FF41", "see the picture", "42"])
    }

    @Test func onlyTheOwnerOfAClaimMovesTheMessageOn() async throws {
        let store = try SQLiteStore(directory: directory)
        let now = Date()
        let id = try await store.enqueue([message("111111")])[0]
        _ = try await store.claimNext(owner: "a", leaseUntil: now.addingTimeInterval(60), now: now, modemNumber: 1)
        #expect(try await store.markSubmitting(id, owner: "b", modem: "m") == false)
        #expect(try await store.markSubmitting(id, owner: "a", modem: "m") == true)
        try await store.markSent(id, owner: "b", references: [1], parts: 1, at: now, reportRequested: false)
        #expect(try await store.outgoing(matching: MessageQuery(folder: .sentitems)).isEmpty)
        try await store.markSent(id, owner: "a", references: [7, 8], parts: 2, at: now, reportRequested: false)
        let sent = try await store.outgoing(matching: MessageQuery(folder: .sentitems))
        #expect(sent.map(\.messageReferences) == [[7, 8]])
        #expect(sent.first?.attempts == 1)
    }

    @Test func aRestartTakesBackItsOwnClaimsAndSaysWhichWereBeingSubmitted() async throws {
        let store = try SQLiteStore(directory: directory)
        let now = Date()
        let ids = try await store.enqueue([message("111111"), message("222222"), message("333333")])
        for _ in 0..<2 {
            _ = try await store.claimNext(
                owner: "gw1",
                leaseUntil: now.addingTimeInterval(300),
                now: now,
                modemNumber: 1
            )
        }
        _ = try await store.markSubmitting(ids[1], owner: "gw1", modem: "m")
        _ = try await store.claimNext(owner: "gw2", leaseUntil: now.addingTimeInterval(-1), now: now, modemNumber: 1)

        let own = try await store.reclaimAll(ownedBy: "gw1", now: now)
        #expect(own == ReclaimedClaims(count: 2, wereSubmitting: [ids[1]]))
        let expired = try await store.reclaimExpired(before: now, sparing: "gw1")
        #expect(expired.count == 1)
        let queued = try await store.outgoing(matching: MessageQuery(folder: .outbox))
        #expect(queued.allSatisfy { $0.state == .queued })
        #expect(queued.first { $0.id == ids[1] }?.lastError == "interrupted while submitting; sent again")
    }

    @Test func aLiveClaimOfThisNodeIsNotTakenByTheSweep() async throws {
        let store = try SQLiteStore(directory: directory)
        let now = Date()
        _ = try await store.enqueue([message("111111")])
        _ = try await store.claimNext(owner: "gw1", leaseUntil: now.addingTimeInterval(-5), now: now, modemNumber: 1)
        #expect(try await store.reclaimExpired(before: now, sparing: "gw1").count == 0)
    }

    @Test func failedAttemptsAreRetriedThenGivenUp() async throws {
        let store = try SQLiteStore(directory: directory)
        let now = Date()
        let id = try await store.enqueue([message("111111")])[0]
        _ = try await store.claimNext(owner: "n", leaseUntil: now.addingTimeInterval(60), now: now, modemNumber: 1)
        try await store.markAttemptFailed(id, owner: "n", error: "+CMS ERROR: 38", retryAt: now.addingTimeInterval(30))
        #expect(
            try await store.claimNext(owner: "n", leaseUntil: now.addingTimeInterval(60), now: now, modemNumber: 1)
                == nil
        )
        let retry = try await store.claimNext(
            owner: "n",
            leaseUntil: now.addingTimeInterval(90),
            now: now.addingTimeInterval(31),
            modemNumber: 1
        )
        #expect(retry?.id == id)
        try await store.markAttemptFailed(id, owner: "n", error: "+CMS ERROR: 38", retryAt: nil)
        let failed = try await store.outgoing(matching: MessageQuery(folder: .sendingerror))
        #expect(failed.map(\.lastError) == ["+CMS ERROR: 38"])
        #expect(try await store.queueLength(createdFrom: nil, createdTo: nil) == 0)
    }

    @Test func accessTokensAreStoredOnlyAsHashes() async throws {
        let store = try SQLiteStore(directory: directory)
        let token = try await store.createAccessToken(user: "zabbix")
        #expect(token.count == 32)
        #expect(try await store.user(forAccessToken: token)?.name == "zabbix")
        #expect(try await store.user(forAccessToken: token + "x") == nil)
        #expect(try await store.user(forAccessToken: "") == nil)
        // Neither the database nor its write-ahead log holds the token itself.
        for file in ["swiftlet.sqlite", "swiftlet.sqlite-wal"] {
            let bytes = FileManager.default.contents(atPath: directory + "/" + file) ?? Data()
            #expect(bytes.range(of: Data(token.utf8)) == nil, "\(file) contains the token")
        }
        let second = try await store.createAccessToken(user: "zabbix")
        #expect(second != token)
        #expect(try await store.user(forAccessToken: token)?.name == "zabbix")
    }

    @Test func passwordsAreCheckedWithBcrypt() async throws {
        let store = try SQLiteStore(directory: directory)
        try await store.setPassword(user: "john", password: "doe")
        #expect(try await store.user(login: "john", password: "doe")?.name == "john")
        #expect(try await store.user(login: "john", password: "Doe") == nil)
        #expect(try await store.user(login: "jane", password: "doe") == nil)
        _ = try await store.createAccessToken(user: "tokenonly")
        #expect(try await store.user(login: "tokenonly", password: "") == nil)
    }

    @Test("sensor readings: kept, read back by time, the latest per sensor; compacted into span averages, then gone")
    func sensorHistory() async throws {
        let store = try SQLiteStore(directory: directory)
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)  // a multiple of 900 s
        var readings: [SensorReading] = []
        for minute in 0..<60 {
            readings.append(SensorReading(sensor: "Temp1", at: t0 + Double(minute * 60), value: Double(minute)))
        }
        try await store.recordSensorReadings(readings, units: ["Temp1": "°C"])
        try await store.recordSensorReadings(
            [SensorReading(sensor: "Humidity", at: t0, value: 40)],
            units: ["Humidity": "%"]
        )
        #expect(try await store.sensorHistory("Temp1", from: t0, to: t0 + 120).map(\.value) == [0, 1, 2])
        let latest = try await store.latestSensorReadings()
        #expect(
            latest == [
                SensorSummary(sensor: "Humidity", unit: "%", value: 40, at: t0),
                SensorSummary(sensor: "Temp1", unit: "°C", value: 59, at: t0 + 3540),
            ]
        )
        // Readings before t0 + 40 min go into 15-minute averages; the cut-off goes down to a span's
        // start (t0 + 30 min), so the span 30–45 stays raw until it is whole.
        _ = try await store.compactSensorReadings(rawBefore: t0 + 2400, bucket: 900, deleteBefore: t0 - 1)
        let compacted = try await store.sensorHistory("Temp1", from: t0, to: t0 + 3600)
        #expect(compacted.prefix(2).map(\.value) == [7, 22])  // averages of 0…14 and 15…29
        #expect(compacted.prefix(2).map(\.at) == [t0, t0 + 900])
        #expect(compacted.count == 2 + 30)
        // Compacting again changes nothing; what is older than deleteBefore goes.
        _ = try await store.compactSensorReadings(rawBefore: t0 + 2400, bucket: 900, deleteBefore: t0 - 1)
        #expect(try await store.sensorHistory("Temp1", from: t0, to: t0 + 3600).count == 32)
        _ = try await store.compactSensorReadings(rawBefore: t0, bucket: 900, deleteBefore: t0 + 1000)
        #expect(try await store.sensorHistory("Temp1", from: t0, to: t0 + 3600).first?.at == t0 + 1800)
        #expect(try await store.sensorHistory("Humidity", from: t0 - 1, to: t0 + 1).isEmpty)
    }

    @Test("a directory's sign-in makes its user and sets its role again; it never takes a local user's name")
    func directoryUsers() async throws {
        let store = try SQLiteStore(directory: directory)
        let admin = DirectoryLogin(directory: "ldap", role: .admin, groups: ["admins"])
        let made = try #require(try await store.directoryUser("anna", login: admin, permissions: ["*"]))
        #expect(made.isAdmin && made.may("send_sms"))
        #expect(try await store.isLocalUser("anna") == false)
        let reader = DirectoryLogin(directory: "ldap", role: .readOnly, groups: [])
        let demoted = try #require(try await store.directoryUser("anna", login: reader, permissions: ["read_sms"]))
        #expect(demoted.id == made.id && !demoted.isAdmin && !demoted.may("send_sms") && demoted.may("read_sms"))
        #expect(try await store.users().first { $0.name == "anna" }?.directory == "ldap")

        _ = try await store.createAccessToken(user: "erik")
        #expect(try await store.isLocalUser("erik"))
        #expect(try await store.directoryUser("erik", login: admin, permissions: ["*"]) == nil)
        #expect(try await store.users().first { $0.name == "erik" }.map { !$0.isAdmin && $0.directory == nil } == true)
    }
}

@Suite("Reassembling concatenated incoming messages")
struct ReassemblyTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-parts-\(UUID())").path

    func part(
        _ sequence: Int,
        of total: Int,
        _ text: String,
        reference: Int = 9,
        sender: String = "+4670111"
    )
        -> NewIncomingMessage
    {
        NewIncomingMessage(
            sender: sender,
            text: text,
            sentAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(sequence)),
            serviceCentre: "+15550100000",
            unicode: false,
            modem: "m",
            part: MessagePart(reference: reference, total: total, sequence: sequence)
        )
    }

    @Test func partsInAnyOrderBecomeOneMessageOnceAllArrived() async throws {
        let store = try SQLiteStore(directory: directory)
        #expect(try await store.store(part(3, of: 3, "three")) == nil)
        #expect(try await store.store(part(1, of: 3, "one ")) == nil)
        #expect(try await store.store(part(1, of: 3, "one ")) == nil)  // read twice from the SIM
        #expect(try await store.store(part(2, of: 3, "two ", sender: "+4670222")) == nil)  // another sender's
        let id = try #require(try await store.store(part(2, of: 3, "two ")))
        let inbox = try await store.incoming(matching: MessageQuery(folder: .inbox))
        #expect(inbox.map(\.id) == [id])
        #expect(inbox.first?.text == "one two three")
        #expect(inbox.first?.sentAt == Date(timeIntervalSince1970: 1_800_000_001))
    }

    @Test func setsThatNeverCompleteGoToTheInboxMarkedAfterTheTimeout() async throws {
        let store = try SQLiteStore(directory: directory)
        _ = try await store.store(part(1, of: 3, "start "))
        _ = try await store.store(part(3, of: 3, " end"))
        #expect(try await store.deliverIncomplete(receivedBefore: Date().addingTimeInterval(-60)).isEmpty)
        let ids = try await store.deliverIncomplete(receivedBefore: Date().addingTimeInterval(1))
        #expect(ids.count == 1)
        let inbox = try await store.incoming(matching: MessageQuery(folder: .inbox))
        #expect(inbox.map(\.text) == ["start [part 2 of 3 missing] end"])
        // The late part then starts a new set rather than reviving the delivered one.
        #expect(try await store.store(part(2, of: 3, "middle")) == nil)
    }
}

@Suite("Matching status reports to sent messages")
struct DeliveryReportTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-reports-\(UUID())").path
    let now = Date()

    /// Queues, claims and marks sent one message per recipient, with the given references.
    func sent(
        _ store: SQLiteStore,
        _ recipient: String,
        references: [Int],
        modem: String = "m1"
    ) async throws
        -> MessageID
    {
        let id = try await store.enqueue([
            NewOutgoingMessage(
                recipient: PhoneNumber(recipient)!,
                payload: .text("x"),
                options: SendOptions(),
                createdBy: "t",
                notBefore: Date(timeIntervalSince1970: 0)
            )
        ])[0]
        _ = try await store.claimNext(owner: "n", leaseUntil: now.addingTimeInterval(60), now: now, modemNumber: 1)
        _ = try await store.markSubmitting(id, owner: "n", modem: modem)
        try await store.markSent(
            id,
            owner: "n",
            references: references,
            parts: references.count,
            at: now,
            reportRequested: true
        )
        return id
    }

    func report(_ reference: Int, _ recipient: String, status: Int = 0, modem: String = "m1") -> DeliveryReport {
        DeliveryReport(modem: modem, reference: reference, recipient: recipient, status: status, at: now)
    }

    @Test func aReportMarksTheMatchingMessageDeliveredWithItsTime() async throws {
        let store = try SQLiteStore(directory: directory)
        let id = try await sent(store, "0701234567", references: [12])
        let result = try await store.recordDeliveryReport(report(12, "+46701234567"))
        #expect(result?.id == id && result?.delivery == .delivered)
        let message = try await store.outgoing(matching: MessageQuery(folder: .sentitems)).first
        #expect(message?.delivery == .delivered)
        #expect(abs((message?.deliveredAt ?? .distantPast).timeIntervalSince(now)) < 0.01)
    }

    @Test func reportsMatchOnlyTheirModemReferenceAndRecipient() async throws {
        let store = try SQLiteStore(directory: directory)
        _ = try await sent(store, "+46701111111", references: [5])
        #expect(try await store.recordDeliveryReport(report(6, "+46701111111")) == nil)
        #expect(try await store.recordDeliveryReport(report(5, "+46702222222")) == nil)
        #expect(try await store.recordDeliveryReport(report(5, "+46701111111", modem: "m2")) == nil)
        #expect(try await store.outgoing(matching: MessageQuery(folder: .sentitems)).first?.delivery == .pending)
    }

    @Test func aLongMessageIsDeliveredWhenEveryPartIsAndFailedWhenOneFails() async throws {
        let store = try SQLiteStore(directory: directory)
        let ok = try await sent(store, "+46701111111", references: [20, 21, 22])
        #expect(try await store.recordDeliveryReport(report(21, "+46701111111"))?.delivery == .pending)
        #expect(try await store.recordDeliveryReport(report(20, "+46701111111", status: 0x20))?.delivery == .pending)
        #expect(try await store.recordDeliveryReport(report(22, "+46701111111"))?.delivery == .pending)
        #expect(try await store.recordDeliveryReport(report(20, "+46701111111"))! == (ok, .delivered))
        let bad = try await sent(store, "+46702222222", references: [30, 31])
        #expect(try await store.recordDeliveryReport(report(31, "+46702222222", status: 0x41))! == (bad, .failed))
    }

    @Test func aReusedReferenceMatchesTheNewestMessage() async throws {
        let store = try SQLiteStore(directory: directory)
        _ = try await sent(store, "+46701111111", references: [7])
        try await Task.sleep(for: .milliseconds(10))
        let newer = try await sent(store, "+46701111111", references: [7])
        #expect(try await store.recordDeliveryReport(report(7, "+46701111111"))?.id == newer)
    }
}

/// Counts the transactions committed on a database.
final class CommitCounter: TransactionObserver, Sendable {
    let count = Mutex(0)
    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { count.withLock { $0 += 1 } }
    func databaseDidRollback(_ db: Database) {}
}
