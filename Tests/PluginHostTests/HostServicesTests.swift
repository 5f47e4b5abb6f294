import CSwiftletPlugin
import Foundation
import Logging
import SwiftletAPI
import SwiftletDomain
import SwiftletStore
import Synchronization
import Testing

@testable import SwiftletPluginHost
@testable import SwiftletPluginSDK

/// Every host service, called as a Swift plugin calls it (the SDK's `CHost` over the C table) on the
/// gateway's real table, against a real store.
@Suite("host services through the C table")
struct HostServicesTests {
    final class Recorder: Sendable {
        let kinds = Mutex<[String]>([])
    }

    struct Setup {
        let plugin: HostedPlugin
        let host: any PluginHost
        let store: SQLiteStore
        let events: EventBus
        let directory: PluginDirectory
        let metrics: MetricsRegistry
    }

    func setUp(
        capabilities: [String] = PluginManifest.Capability.allCases.map(\.rawValue),
        limiter: (any LoginLimiter)? = nil,
        status: (@Sendable () async throws -> StatusSnapshot)? = nil
    ) async throws -> Setup {
        let metrics = MetricsRegistry()
        let directory = try PluginDirectory()
        try await directory.addFixture(id: "svc", capabilities: capabilities)
        let store = try SQLiteStore(
            directory: FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-host-\(UUID())").path
        )
        let events = EventBus()
        let services = HostServices(
            outbox: Outbox(store: store),
            phonebook: store,
            recipients: RecipientResolver(directory: store, timeZone: .current),
            state: store,
            events: events,
            inbox: store,
            health: store,
            limiter: limiter,
            providers: ProviderRegistry(),
            metrics: metrics,
            status: status
        )
        let entry = try #require(try PluginCatalog(directory: directory.path).entry(id: "svc"))
        let plugin = HostedPlugin(
            manifest: try #require(entry.manifest),
            library: try PluginLibrary.load(entry, allowedDigests: []),
            services: services,
            logger: Logger(label: "test")
        )
        try await plugin.create(configuration: Data(#"{"number":"+46700000001"}"#.utf8))
        return Setup(
            plugin: plugin,
            host: CHost(api: UnsafePointer(plugin.api), host: plugin.handle),
            store: store,
            events: events,
            directory: directory,
            metrics: metrics
        )
    }

    @Test("phonebook: groups are made and changed, looked up by group, number and contact, and names resolve")
    func phonebook() async throws {
        let setup = try await setUp()
        let host = setup.host
        #expect(try await host.addToGroup("oncall", number: "+46700000011", contactName: "Anna", createGroup: true))
        #expect(try await !host.addToGroup("oncall", number: "+46700000011", contactName: nil, createGroup: false))
        await #expect(throws: PluginError(.notFound, "there is no group 'nosuch'")) {
            try await host.addToGroup("nosuch", number: "+46700000011", contactName: nil, createGroup: false)
        }
        let group = try await host.lookUpPhonebook(.group("oncall"))
        #expect(group.groups.map(\.name) == ["oncall"])
        #expect(group.contacts.map(\.name) == ["Anna"])
        #expect(try await host.lookUpPhonebook(.number("+46700000011")).contacts.map(\.groups) == [["oncall"]])
        #expect(try await host.lookUpPhonebook(.contact("anna")).contacts.map(\.number) == ["+46700000011"])
        #expect(try await host.lookUpPhonebook(.group("nosuch")) == PhonebookEntries())
        #expect(try await host.resolve(name: "oncall") == ["+46700000011"])
        #expect(try await host.resolve(name: "Anna") == ["+46700000011"])
        await #expect(throws: PluginError(.notFound, "nothing is called 'nobody' in the phonebook")) {
            try await host.resolve(name: "nobody")
        }
        #expect(try await host.removeFromGroup("oncall", number: "+46700000011"))
        #expect(try await !host.removeFromGroup("oncall", number: "+46700000011"))
    }

    @Test("send_sms: numbers, contacts and groups, one message per distinct number, refusals with the reason")
    func sendSMS() async throws {
        let setup = try await setUp()
        let host = setup.host
        _ = try await host.addToGroup("oncall", number: "+46700000011", contactName: "Anna", createGroup: true)
        _ = try await host.addToGroup("oncall", number: "+46700000012", contactName: "Bo", createGroup: false)
        let ids = try await host.send(
            OutgoingSMS(
                to: ["+46700000013", "+46 70 000 00 11"],
                contacts: ["Anna"],
                groups: ["oncall"],
                text: "Alarm",
                priority: 5
            )
        )
        #expect(ids.count == 3)
        let queued = try await setup.store.outgoing(matching: MessageQuery(folder: .outbox))
        #expect(Set(queued.map(\.address)) == ["+46700000011", "+46700000012", "+46700000013"])
        #expect(Set(queued.map(\.options.priority)) == [5])
        #expect(Set(queued.map(\.createdBy)) == ["plugin:svc"])

        await #expect(throws: PluginError(.notFound, "groups: there is no group 'nosuch'")) {
            try await host.send(OutgoingSMS(groups: ["nosuch"], text: "x"))
        }
        await #expect(throws: PluginError(.invalid, "to: 'not a number' is not a telephone number")) {
            try await host.send(OutgoingSMS(to: ["not a number"], text: "x"))
        }
        await #expect(throws: PluginError(.invalid, "message: empty")) {
            try await host.send(OutgoingSMS(to: ["+46700000013"], text: ""))
        }
    }

    @Test(
        "send_sms with an idempotency key: the same key again queues nothing and answers the first ids; keys are the plugin's own"
    )
    func sendSMSWithKey() async throws {
        let setup = try await setUp()
        let host = setup.host
        let first = try await host.send(
            OutgoingSMS(to: ["+46700000021", "+46700000022"], text: "Door open", key: "mqtt:41")
        )
        let again = try await host.send(
            OutgoingSMS(to: ["+46700000021", "+46700000022"], text: "Door open", key: "mqtt:41")
        )
        #expect(again == first)
        let other = try await host.send(OutgoingSMS(to: ["+46700000021"], text: "Door open", key: "mqtt:42"))
        #expect(other.count == 1 && !first.contains(other[0]))
        let unkeyed = try await host.send(OutgoingSMS(to: ["+46700000021"], text: "Door open"))
        #expect(unkeyed != other)
        #expect(try await setup.store.outgoing(matching: MessageQuery(folder: .outbox)).count == 4)
        // Another plugin's key of the same text is another key: the store scopes keys by plugin.
        let id = try await setup.store.enqueue(
            [
                NewOutgoingMessage(
                    recipient: PhoneNumber("+46700000021")!,
                    payload: .text("x"),
                    options: SendOptions(),
                    createdBy: "api",
                    notBefore: Date()
                )
            ],
            key: "mqtt:41"
        )
        #expect(!first.map(Int64.init).contains(id[0]))
        await #expect(throws: PluginError(.invalid, "key: 1 to 200 bytes")) {
            try await host.send(OutgoingSMS(to: ["+46700000021"], text: "x", key: ""))
        }
    }

    @Test("deliver_incoming commits to the inbox under the plugin's name; state round-trips durably")
    func incomingAndState() async throws {
        let setup = try await setUp()
        let host = setup.host
        let id = try await host.deliverIncoming(
            IncomingSMS(from: "+46700000021", text: "from the cloud", channel: "relay")
        )
        let inbox = try await setup.store.incoming(matching: MessageQuery(folder: .inbox))
        #expect(inbox.map(\.id) == [Int64(id)])
        #expect(inbox.map(\.modem) == ["svc:relay"])
        await #expect(throws: PluginError(.invalid, "from: empty")) {
            try await host.deliverIncoming(IncomingSMS(from: "", text: "x"))
        }

        #expect(try await host.stateValue(forKey: "cursor") == nil)
        try await host.setState("42 ✓", forKey: "cursor")
        #expect(try await host.stateValue(forKey: "cursor") == "42 ✓")
        #expect(try await setup.store.pluginState(plugin: "svc", key: "cursor") == Array("42 ✓".utf8))
        try await host.removeState(forKey: "cursor")
        #expect(try await host.stateValue(forKey: "cursor") == nil)
        await #expect(throws: PluginError(.invalid, "key: 1 to 256 bytes of UTF-8")) {
            try await host.setState("x", forKey: String(repeating: "k", count: 257))
        }
    }

    @Test(
        "events: a plugin publishes only in its own namespace, JSON objects only; timers fire and stop when cancelled"
    )
    func eventsAndTimers() async throws {
        let setup = try await setUp()
        let host = setup.host
        let recorder = Recorder()
        setup.events.subscribe("listener", to: "*") { kind, _ in recorder.kinds.withLock { $0.append(kind) } }
        try host.publish("svc.alarm", json: Data(#"{"level": 3}"#.utf8))
        #expect(throws: PluginError(.denied, "cannot publish other.alarm")) {
            try host.publish("other.alarm", json: Data("{}".utf8))
        }
        #expect(throws: PluginError(.invalid, "cannot publish svc.alarm")) {
            try host.publish("svc.alarm", json: Data("[1]".utf8))
        }
        #expect(recorder.kinds.withLock { $0 } == ["svc.alarm"])

        let fired = Mutex(0)
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        let timer = try host.startTimer(after: .milliseconds(10), every: .milliseconds(10)) {
            fired.withLock { $0 += 1 }
            continuation.yield()
        }
        var iterator = stream.makeAsyncIterator()
        for _ in 0..<3 { await iterator.next() }
        try host.cancelTimer(timer)
        let afterCancel = fired.withLock { $0 }
        try await Task.sleep(for: .milliseconds(100))
        #expect(fired.withLock { $0 } == afterCancel)
        #expect(throws: PluginError(.notFound, "cannot cancel timer \(timer)")) { try host.cancelTimer(timer) }
    }

    @Test(
        "ABI 1.2: publish_and_wait answers once the handling subscriber is done, passes on its failure; report_health reaches the store"
    )
    func publishAndWaitAndHealth() async throws {
        let setup = try await setUp()
        let host = setup.host
        let recorder = Recorder()
        let handled = Recorder()
        setup.events.subscribe("listener", to: "*") { kind, _ in recorder.kinds.withLock { $0.append(kind) } }
        setup.events.subscribe(
            "rules",
            to: "*",
            deliver: { _, _ in Issue.record("publish_and_wait delivered instead of handling") },
            handle: { kind, json in
                if String(decoding: json, as: UTF8.self).contains("fail") {
                    throw SwiftletError(.unavailable, "rule alarm: send_sms failed: disk full")
                }
                try await Task.sleep(for: .milliseconds(50))
                handled.kinds.withLock { $0.append(kind) }
                return ["alarm"]
            }
        )
        #expect(try await host.publishAndWait("svc.alarm", json: Data(#"{"level": 3}"#.utf8)) == ["alarm"])
        #expect(handled.kinds.withLock { $0 } == ["svc.alarm"])
        #expect(recorder.kinds.withLock { $0 } == ["svc.alarm"])
        await #expect(throws: PluginError(.unavailable, "rule alarm: send_sms failed: disk full")) {
            try await host.publishAndWait("svc.alarm", json: Data(#"{"fail": true}"#.utf8))
        }
        await #expect(throws: PluginError(.denied, "a plugin publishes only 'svc.<name>'")) {
            try await host.publishAndWait("other.alarm", json: Data("{}".utf8))
        }

        host.reportHealth(.down, "not authorised by 127.0.0.1:1883")
        host.reportHealth(.ok, "connected to 127.0.0.1:1883")
        await setup.plugin.healthWritten()
        let reports = try await setup.store.pluginHealth()
        #expect(reports.map { [$0.plugin, $0.state, $0.detail] } == [["svc", "ok", "connected to 127.0.0.1:1883"]])
    }

    @Test("ABI 1.3: login_attempt counts a plugin's failed logins in the gateway's limiter, by address and by login")
    func loginAttempts() async throws {
        let limiter = AuthenticationLimiter(limit: 3, window: 60, logger: Logger(label: "test"))
        let host = try await setUp(limiter: limiter).host
        #expect(host.mayCheckLogin(client: "192.0.2.1", login: "zabbix"))
        #expect(!host.loginFailed(client: "192.0.2.1", login: "zabbix"))
        #expect(!host.loginFailed(client: "192.0.2.1", login: "zabbix"))
        #expect(host.loginFailed(client: "192.0.2.1", login: "zabbix"))
        #expect(!host.mayCheckLogin(client: "192.0.2.1", login: "grafana"), "the address is blocked")
        #expect(!host.mayCheckLogin(client: "192.0.2.99", login: "zabbix"), "the login is blocked")
        #expect(host.mayCheckLogin(client: "192.0.2.99", login: "grafana"))
        // The keys are the HTTP APIs': a client blocked over SMTP is blocked there too.
        #expect(limiter.isBlocked(["address:192.0.2.1"]))
        // A host without a limiter (ABI 1.2 behaviour) limits nothing.
        let unlimited = try await setUp().host
        for _ in 0..<5 { unlimited.loginFailed(client: "192.0.2.1", login: "zabbix") }
        #expect(unlimited.mayCheckLogin(client: "192.0.2.1", login: "zabbix"))
    }

    @Test("an undeclared capability is refused, and a stopped plugin's calls are answered 'unavailable'")
    func refusals() async throws {
        let setup = try await setUp(capabilities: ["send_sms"])
        await #expect(throws: PluginError(.denied, "the manifest of 'svc' does not declare capability 'state'")) {
            try await setup.host.setState("x", forKey: "k")
        }
        #expect(throws: PluginError(.denied, "cannot subscribe to sms.incoming")) {
            try setup.host.subscribe("sms.incoming")
        }
        await setup.plugin.stopAndDestroy(timeout: .seconds(1), started: false)
        await #expect(
            throws: PluginError(.unavailable, "the plugin is not running (stopped, or still being created)")
        ) {
            try await setup.host.send(OutgoingSMS(to: ["+46700000013"], text: "too late"))
        }
    }

    @Test(
        "ABI 1.4: metrics are the plugin's own (prefixed), counters add, gauges are set, and a bad name, a negative count or a changed type is refused"
    )
    func metrics() async throws {
        let setup = try await setUp()
        let host = setup.host
        try host.reportMetric(MetricSample(name: "sent_total", type: .counter, labels: ["result": "ok"], value: 2))
        try host.reportMetric(MetricSample(name: "sent_total", type: .counter, labels: ["result": "ok"], value: 3))
        try host.reportMetric(MetricSample(name: "queue_depth", type: .gauge, value: 7))
        try host.reportMetric(MetricSample(name: "queue_depth", type: .gauge, value: 4))
        #expect(
            setup.metrics.samples == [
                MetricSample(name: "swiftlet_svc_queue_depth", type: .gauge, value: 4),
                MetricSample(name: "swiftlet_svc_sent_total", type: .counter, labels: ["result": "ok"], value: 5),
            ]
        )
        for bad in [
            MetricSample(name: "Sent-Total", type: .counter, value: 1),
            MetricSample(name: "sent_total", type: .counter, labels: ["result": "ok"], value: -1),
            MetricSample(name: "sent_total", type: .gauge, labels: ["result": "ok"], value: 1),
            MetricSample(name: "ok", type: .gauge, labels: ["Bad-Label": "x"], value: 1),
        ] {
            #expect(throws: PluginError(.invalid, "cannot report the metric \(bad.name)")) {
                try host.reportMetric(bad)
            }
        }
        #expect(setup.metrics.samples.count == 2)
        let denied = try await setUp(capabilities: ["send_sms"])
        #expect(throws: PluginError(.denied, "cannot report the metric sent_total")) {
            try denied.host.reportMetric(MetricSample(name: "sent_total", type: .counter, value: 1))
        }
    }

    @Test(
        "ABI 1.4: the status snapshot reaches the plugin as the gateway made it; without the capability it is refused"
    )
    func statusSnapshot() async throws {
        var queue = StatusSnapshot.Queue()
        queue.queued = 3
        queue.sent = 9
        let snapshot = StatusSnapshot(
            version: "0.2.0",
            node: "gw1",
            uptimeSeconds: 42,
            at: Date(timeIntervalSince1970: 1_800_000_000),
            queue: queue,
            inbox: 5,
            modems: [
                .init(
                    no: 1,
                    name: "gsm1",
                    state: "ready",
                    enabled: true,
                    signal: 71,
                    registration: "home",
                    operator: nil
                )
            ],
            plugins: [.init(id: "svc", health: "ok", detail: "running")],
            providers: [.init(role: "transport", name: "relay", plugin: "svc")],
            metrics: []
        )
        let setup = try await setUp(status: { snapshot })
        #expect(try await setup.host.statusSnapshot() == snapshot)
        let denied = try await setUp(capabilities: ["send_sms"], status: { snapshot })
        await #expect(throws: PluginError(.denied, "the manifest of 'svc' does not declare capability 'status'")) {
            try await denied.host.statusSnapshot()
        }
    }

    @Test(
        "ABI 1.4: register_provider is refused without the role's capability, for a plugin without handle_request, and for an unknown role"
    )
    func providerRegistration() async throws {
        let setup = try await setUp()
        // The C fixture has no handle_request: nothing to send requests to.
        #expect(throws: PluginError(.unsupported, "cannot register as transport provider 'spool'")) {
            try setup.host.registerProvider(.transport, name: "spool", schema: nil)
        }
        let denied = try await setUp(capabilities: ["send_sms"])
        #expect(throws: PluginError(.denied, "cannot register as voice provider 'spool'")) {
            try denied.host.registerProvider(.voice, name: "spool", schema: nil)
        }
        let register = try #require(setup.plugin.api.pointee.register_provider)
        let status = "spool".withSwiftletString { name in
            "".withSwiftletString { register(setup.plugin.handle, 9, name, $0) }
        }
        #expect(status == SWIFTLET_ERR_INVALID)
    }
}
