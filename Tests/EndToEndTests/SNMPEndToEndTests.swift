import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// The SNMP plugin in a running gateway, as a subagent of a real snmpd: read with net-snmp's own
/// tools as the published SMSEagle checks read it (check_smseagle's `snmpwalk -OQne` and its
/// text handling; Checkmk's decoding of the extend index), with SNMPv3, the own MIB by its names,
/// and notifications received by a real snmptrapd.
@Suite("SNMP agent in a running gateway", .serialized)
struct SNMPEndToEndTests {
    /// nsExtendOutputFull, the column SMSEagle's monitoring plugins read.
    static let extendOutput = ".1.3.6.1.4.1.8072.1.3.2.3.1.2"
    static let mibRoot = ".1.3.6.1.4.1.8072.9999.9999.7765"

    /// A gateway with the snmp plugin pointed at `peers`' snmpd.
    func start(_ peers: SNMPPeers, extra: String = "") async throws -> GatewayProcess {
        let gateway = try GatewayProcess()
        try await gateway.start(
            config: """
                plugin_directory: \(try stagedPluginDirectory())
                plugins:
                  snmp:
                    agentx_socket: \(peers.agentXSocket)
                    refresh: 1
                    ping_interval: 1
                    sys_descr: Swiftlet SMS gateway (smseagle-compatible)
                \(extra)
                """
        )
        try await gateway.waitForLog("serving snmpd as an AgentX subagent")
        return gateway
    }

    /// The extend entries as check_smseagle reads them (`snmpwalk -OQne`, the value after " = "
    /// with its quotes removed), keyed as Checkmk keys them (the index decoded as a
    /// length-prefixed ASCII name).
    func smseagleValues(_ peers: SNMPPeers) async throws -> [String: String] {
        let walk = try await peers.walk(Self.extendOutput, options: ["-OQne"])
        #expect(walk.status == 0, "\(walk.output)")
        var values: [String: String] = [:]
        for line in walk.output.split(separator: "\n") {
            guard let separator = line.range(of: " = ") else { continue }
            let oid = line[..<separator.lowerBound]
            let value = line[separator.upperBound...].replacingOccurrences(of: "\"", with: "")
            // "No Such Object available on this agent at this OID" while snmpd has no entry there.
            guard oid.hasPrefix(Self.extendOutput + ".") else { continue }
            let index = oid.dropFirst(Self.extendOutput.count + 1).split(separator: ".").compactMap { UInt8($0) }
            guard let length = index.first, index.count == Int(length) + 1 else {
                Issue.record("an index that is not a length-prefixed name: \(oid)")
                continue
            }
            values[String(decoding: index.dropFirst(), as: UTF8.self)] = value
        }
        return values
    }

    /// The status `swiftlet status --json` prints for `gateway`.
    func status(_ gateway: GatewayProcess) throws -> [String: Any] {
        let result = try GatewayProcess.run([
            "status", "--json", "--data-dir", gateway.dataDirectory, "--url", gateway.baseURL,
        ])
        #expect(result.status == 0, "swiftlet status: \(result.stderr)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
    }

    @Test func servesSMSEagleNamesOwnMIBAndSysDescrOverV2cAndV3() async throws {
        let peers = try SNMPPeers()
        try await peers.start()
        let gateway = try await start(peers)
        defer { gateway.stop() }
        let api = try gateway.apiv1()
        for text in ["first", "second"] { _ = try await api("send_sms", [("to", "+46701234567"), ("message", text)]) }
        try gateway.inject(from: "+46709876543", "a reply")

        let modem = try await eventually("both messages sent and the reply in, by the status") {
            let status = try status(gateway)
            let modem = (status["modems"] as? [[String: Any]])?.first
            return modem?["sent"] as? Int == 2 && modem?["received"] as? Int == 1 ? modem : nil
        }
        let signal = try #require(modem["signal"] as? Int)
        #expect(signal > 0)
        let expected = [
            "GSM_Signal1": "\(signal)", "GSM_NetName1": "Swiftlet Sim", "GSM_ModemState1": "on",
            "SIM_State1": "READY", "SIM_RegState1": "Registered Home", "SMSCountIn1": "1", "SMSCountOut1": "2",
            "FolderInbox_Total": "1", "FolderOutbox_Total": "0", "FolderSent_Last24H": "2", "FolderSent_Last1M": "2",
            "FolderSent_Last24HSendErr": "0", "Temp": "-1", "Temp1": "-1", "Temp2": "-1", "Temp3": "-1",
            "Temp4": "-1", "Humidity": "-1",
        ]
        // The plugin refreshes every second: the walk shows the counts once it has.
        let values = try await eventually("the SMSEagle names with the gateway's figures") {
            let values = try await smseagleValues(peers)
            return values["SMSCountOut1"] == "2" && values["SMSCountIn1"] == "1" ? values : nil
        }
        #expect(values == expected)

        // check_smseagle's single gets, and the temperature as line 1 of nsExtendOutLine.
        let signalOID = Self.extendOutput + ".11.71.83.77.95.83.105.103.110.97.108.49"
        let get = try await peers.get([signalOID], options: ["-OQne"])
        #expect(get.output.trimmingCharacters(in: .whitespacesAndNewlines) == "\(signalOID) = \"\(signal)\"")
        let temperatureLine = try await peers.get(
            [".1.3.6.1.4.1.8072.1.3.2.4.1.2.4.84.101.109.112.1"],
            options: ["-Oqv"]
        )
        #expect(temperatureLine.output.trimmingCharacters(in: .whitespacesAndNewlines) == "\"-1\"")
        // GETBULK (snmpbulkwalk, as Checkmk walks) sees the same entries in the same order.
        let walk = try await peers.walk(Self.extendOutput)
        let bulk = try await peers.walk(Self.extendOutput, bulk: true)
        #expect(bulk.output == walk.output)

        // Checkmk finds an SMSEagle by "smseagle" in sysDescr.
        let description = try await peers.get([".1.3.6.1.2.1.1.1.0"], options: ["-Oqv"])
        #expect(description.output.contains("smseagle-compatible"))

        // SNMPv3 with authentication and privacy reads the same; a wrong privacy password reads nothing.
        let v3 = try await peers.get([signalOID], v3: true, options: ["-Oqv"])
        #expect(v3.status == 0 && v3.output.contains("\"\(signal)\""), "\(v3.output)")
        let user = SNMPPeers.v3User
        let wrong = try await MosquittoBroker.runDetached(
            "/usr/bin/snmpget",
            [
                "-v3", "-l", "authPriv", "-u", user.name, "-a", "SHA", "-A", user.auth, "-x", "AES", "-X",
                "wrong-pass-0000",
                "-t", "1", "-r", "0", "-M", "/nonexistent", "-m", "", "127.0.0.1:\(peers.port)", signalOID,
            ]
        )
        #expect(wrong.status != 0 && !wrong.output.contains("\"\(signal)\""))

        // The own MIB, walked by its names: the MIB file and the values the plugin serves agree.
        let root = GatewayProcess.packageRoot.path
        let mib = try await peers.walk(
            Self.mibRoot,
            options: [
                "-M", "\(root)/Tests/Fixtures/ietf-mibs:/usr/share/snmp/mibs:\(root)/Plugins/SNMP", "-m",
                "SWIFTLET-MIB",
            ]
        )
        #expect(mib.status == 0, "\(mib.output)")
        for line in [
            "SWIFTLET-MIB::swNode.0 = STRING:", "SWIFTLET-MIB::swModemName.1 = STRING: simulator",
            "SWIFTLET-MIB::swModemState.1 = INTEGER: ready(1)",
            "SWIFTLET-MIB::swModemSignal.1 = INTEGER: \(signal) percent",
            "SWIFTLET-MIB::swModemRegistration.1 = INTEGER: home(1)",
            "SWIFTLET-MIB::swModemOperator.1 = STRING: Swiftlet Sim", "SWIFTLET-MIB::swModemSent.1 = Gauge32: 2",
            "SWIFTLET-MIB::swModemReceived.1 = Gauge32: 1", "SWIFTLET-MIB::swQueueSent.0 = Gauge32: 2",
            "SWIFTLET-MIB::swInbox.0 = Gauge32: 1", "SWIFTLET-MIB::swSentLastDay.0 = Gauge32: 2",
            "SWIFTLET-MIB::swPluginName.1 = STRING: snmp", "SWIFTLET-MIB::swPluginHealth.1 = INTEGER: ok(1)",
        ] {
            #expect(mib.output.contains(line), "\(line)\n--- walk ---\n\(mib.output)")
        }
        #expect(!mib.output.contains(Self.mibRoot), "an OID the MIB does not name:\n\(mib.output)")
    }

    @Test func notifiesModemDownAndUpThroughSnmpdAndSurvivesItsRestart() async throws {
        let peers = try SNMPPeers()
        try await peers.start()
        let gateway = try await start(peers)
        defer { gateway.stop() }
        let token = try gateway.createToken()
        let down = try await gateway.request(
            "/api/v2/modem/state/1",
            method: .PUT,
            token: token,
            body: #"{"state": "disabled"}"#
        )
        #expect(down.status == 200, "\(down.body)")
        let trap = try await eventually("swModemDown at snmptrapd") {
            peers.trapLog.split(separator: "\n").first { $0.contains(Self.mibRoot + ".0.1") }
        }
        #expect(trap.contains(Self.mibRoot + ".1.2.1.2.1 = STRING: \"simulator\""), "\(trap)")
        #expect(trap.contains(Self.mibRoot + ".1.2.1.3.1 = INTEGER: 3"), "\(trap)")
        // A walk is read one value at a time, so a refresh may fall between two values of one
        // walk (snmpd orders the names by length: SIM_State1 is read before GSM_ModemState1).
        // The walk that reads the modem off in all three values is waited for; one that never
        // comes fails here.
        var last: [String: String] = [:]
        _ = try await eventually("GSM_ModemState1 off, GSM_Signal1 0 and SIM_State1 NOT READY in one walk: \(last)") {
            let values = try await smseagleValues(peers)
            last = values
            let off = values["GSM_ModemState1"] == "off" && values["GSM_Signal1"] == "0"
            return off && values["SIM_State1"] == "NOT READY" ? values : nil
        }

        _ = try await gateway.request(
            "/api/v2/modem/state/1",
            method: .PUT,
            token: token,
            body: #"{"state": "enabled"}"#
        )
        _ = try await eventually("swModemUp at snmpd's trap receiver") {
            peers.trapLog.split(separator: "\n").first { $0.contains(Self.mibRoot + ".0.2") }
        }

        // snmpd restarted: the subagent connects again and registers everything again.
        peers.stopAgent()
        try await Task.sleep(for: .seconds(2))
        try await peers.startAgent()
        let again = try await eventually(timeout: .seconds(30), "the names served again after snmpd's restart") {
            let values = try await smseagleValues(peers)
            return values["GSM_ModemState1"] == "on" && values["SIM_RegState1"] == "Registered Home" ? values : nil
        }
        #expect(again["SIM_State1"] == "READY")
        #expect(gateway.process?.isRunning == true)
    }

    @Test func notifiesAStuckQueueAndAPluginDown() async throws {
        let peers = try SNMPPeers()
        try await peers.start()
        // An MQTT broker nobody listens for: the mqtt plugin reports itself down.
        let gateway = try await start(
            peers,
            extra: """
                    queue_stuck_after: 2
                  mqtt:
                    port: \(MosquittoBroker.freePort())
                """
        )
        defer { gateway.stop() }
        let trap = try await eventually("swPluginDown at snmptrapd") {
            peers.trapLog.split(separator: "\n").first { $0.contains(Self.mibRoot + ".0.4") }
        }
        #expect(trap.contains("= STRING: \"mqtt\""), "\(trap)")

        let token = try gateway.createToken()
        _ = try await gateway.request(
            "/api/v2/modem/state/1",
            method: .PUT,
            token: token,
            body: #"{"state": "disabled"}"#
        )
        _ = try await gateway.apiv1()("send_sms", [("to", "+46701234567"), ("message", "waits")])
        let stuck = try await eventually("swQueueStuck at snmptrapd") {
            peers.trapLog.split(separator: "\n").first { $0.contains(Self.mibRoot + ".0.3") }
        }
        #expect(stuck.contains(Self.mibRoot + ".1.3.1.0 = Gauge32: 1"), "\(stuck)")
        try await Task.sleep(for: .seconds(3))
        let stuckTraps = peers.trapLog.split(separator: "\n").filter { $0.contains(Self.mibRoot + ".0.3") }
        #expect(stuckTraps.count == 1, "notified once while it stays stuck:\n\(peers.trapLog)")
    }
}
