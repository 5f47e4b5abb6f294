import Foundation
import TestSupport
import Testing

@Suite("End to end: shifts and vacation mode through APIv1")
struct ShiftAPITests {
    func id(_ answer: String) throws -> String {
        String(try #require(answer.firstMatch(of: /^OK; ID=(\d+)$/), "\(answer)").output.1)
    }

    /// The group `operators`: `always` (no shift), `away` (on vacation), `onduty` (a shift on duty all
    /// day), `offduty` (a shift from 03:00 to 04:00 the day after tomorrow, UTC). Answers when
    /// `offduty`'s shift starts.
    func operators(_ api: APIv1Client) async throws -> Date {
        let always = try id(try await api("contact_create", [("contactname", "always"), ("number", "+46701110001")]))
        let away = try id(try await api("contact_create", [("contactname", "away"), ("number", "+46701110002")]))
        let onDuty = try id(try await api("contact_create", [("contactname", "onduty"), ("number", "+46701110003")]))
        let offDuty = try id(try await api("contact_create", [("contactname", "offduty"), ("number", "+46701110004")]))
        let group = try id(try await api("group_create", [("groupname", "operators")]))
        for contact in [always, away, onDuty, offDuty] {
            #expect(try await api("group_addcontact", [("group_id", group), ("contact_id", contact)]) == "OK")
        }
        #expect(
            try await api(
                "set_contact_vacation_mode",
                [("contact_id", away), ("contactname", "away"), ("status", "enabled")]
            ) == "OK"
        )
        let allDay = shiftDayNames.flatMap { [("\($0)_from", "00:00"), ("\($0)_to", "00:00")] }
        let everyDay = try id(try await api("shift_create", [("name", "round the clock"), ("enabled", "1")] + allDay))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let later = calendar.date(byAdding: .day, value: 2, to: calendar.startOfDay(for: Date()))!
        let weekday = shiftDayNames[(calendar.component(.weekday, from: later) + 5) % 7]
        let night = try id(
            try await api(
                "shift_create",
                [("name", "night"), ("\(weekday)_from", "03:00"), ("\(weekday)_to", "04:00")]
            )
        )
        #expect(try await api("shift_addcontact", [("shift_id", everyDay), ("contact_id", onDuty)]) == "OK")
        #expect(try await api("shift_addcontact", [("shift_id", night), ("contact_id", offDuty)]) == "OK")
        return later.addingTimeInterval(3 * 3600)
    }

    /// What every sender to `operators` must see: `always` and `onduty` now, `offduty` held in the
    /// outbox until its shift starts, `away` not at all.
    func expectOperatorsPolicy(_ gateway: GatewayProcess, _ api: APIv1Client, heldUntil: Date) async throws {
        let received = try await eventually("two messages sent now") {
            let list = try gateway.simulatorReceived()
            return list.count == 2 ? list : nil
        }
        #expect(Set(received.compactMap { $0["recipient"] as? String }) == ["+46701110001", "+46701110003"])
        let outbox = try await api("read_sms", [("folder", "outbox")])
        let held = parseRows(outbox)
        // (A mail's text has a line break, which the text answer does not escape: compactMap.)
        #expect(held.compactMap { $0["DestinationNumber"] } == ["+46701110004"], "\(outbox)")
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        formatter.timeZone = TimeZone(identifier: "UTC")!
        #expect(held.first?["SendingDateTime"] == formatter.string(from: heldUntil))
        #expect(gateway.log.contains("away is on vacation; not sent to"))
    }

    @Test func aGroupSendSkipsVacationAndHoldsOffDutyContactsUntilTheirShift() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start(config: "time_zone: UTC\n")
        defer { gateway.stop() }
        let api = try gateway.apiv1()
        let heldUntil = try await operators(api)
        #expect(
            try await api("get_contact_vacation_mode", [("contact_id", "2"), ("contactname", "away")]) == "enabled"
        )
        #expect(
            try await api("get_contact_vacation_mode", [("contact_id", "1"), ("contactname", "always")])
                == "disabled"
        )
        #expect(
            try await api(
                "set_contact_vacation_mode",
                [("contact_id", "2"), ("contactname", "away"), ("status", "on")]
            ) == "Wrong parameters"
        )
        let answer = try await api("send_togroup", [("groupname", "operators"), ("message", "Boiler pressure low")])
        #expect(answer.split(separator: "\n").count == 3, "\(answer)")
        try await expectOperatorsPolicy(gateway, api, heldUntil: heldUntil)
    }

    /// A plugin's `send_sms` follows the same policy: mail to the group through the e-mail plugin.
    @Test func aPluginSendToTheGroupFollowsTheSamePolicy() async throws {
        let plugins = try stagedPluginDirectory()
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        let port = MosquittoBroker.freePort()
        let gateway = try GatewayProcess()
        try await gateway.start(
            config: """
                time_zone: UTC
                plugin_directory: \(plugins)
                plugins:
                  email:
                    country_code: "46"
                    listener:
                      port: \(port)
                      domains: [sms.test]
                """
        )
        defer { gateway.stop() }
        try await gateway.waitForLog("SMTP listener on 127.0.0.1:\(port)")
        // An admin reads the plugin's messages in the outbox (they are not the API user's).
        let added = try GatewayProcess.run(["user", "add", "boss", "--admin", "--data-dir", gateway.dataDirectory])
        #expect(added.status == 0, "\(added.stderr)")
        let api = try gateway.apiv1(user: "boss")
        let heldUntil = try await operators(api)
        let sent = try await Swaks.send(
            port: port,
            ["--from", "noc@corp.test", "--to", "operators@sms.test", "--header", "Subject: ALARM", "--body", "low"]
        )
        #expect(sent.status == 0, "\(sent.transcript)")
        try await expectOperatorsPolicy(gateway, api, heldUntil: heldUntil)
    }

    @Test func shiftsAreReadUpdatedAndDeleted() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let api = try gateway.apiv1()
        let shift = try id(
            try await api(
                "shift_create",
                [
                    ("name", "myshift"), ("mon_from", "08:00"), ("mon_to", "16:00"), ("wed_from", "09:00"),
                    ("wed_to", "20:00"), ("enabled", "1"),
                ]
            )
        )
        #expect(try await api("shift_create", [("mon_from", "08:00")]) == "Wrong or missing >>name<< parameter")
        #expect(
            try await api("shift_create", [("name", "x"), ("tue_from", "25:00"), ("tue_to", "26:00")])
                == "Wrong or missing >>tue_from<< parameter"
        )
        #expect(
            try await api("shift_create", [("name", "x"), ("tue_from", "08:00")])
                == "Wrong or missing >>tue_to<< parameter"
        )

        let rows = parseRows(try await api("shift_read", [("name", "myshift")]))
        #expect(rows.count == 1)
        #expect(rows.first?["mon_from"] == "08:00")
        #expect(rows.first?["wed_to"] == "20:00")
        #expect(rows.first?["tue_from"] == "")
        #expect(rows.first?["enabled"] == "true")
        let xml = try await api("shift_read", [("shift_id", shift), ("responsetype", "xml")])
        #expect(
            xml.contains(
                "<shifts>\n<shift>\n<id_shift>\(shift)</id_shift>\n<name>myshift</name>\n<mon_from>08:00</mon_from>"
            )
        )
        #expect(try await api("shift_read", [("shift_id", "x")]) == "Wrong >>shift_id<< parameter")
        #expect(try await api("shift_read", [("name", "nope")]) == "No data to display")

        #expect(
            try await api(
                "shift_update",
                [("shift_id", shift), ("name", "updatedshift"), ("enabled", "0"), ("mon_from", ""), ("mon_to", "")]
            ) == "OK"
        )
        let updated = parseRows(try await api("shift_read", [("shift_id", shift)]))
        #expect(updated.first?["name"] == "updatedshift")
        #expect(updated.first?["enabled"] == "false")
        #expect(updated.first?["mon_from"] == "")
        #expect(updated.first?["wed_from"] == "09:00")
        #expect(
            try await api("shift_update", [("shift_id", "999"), ("name", "x")])
                == "Shift with the given id does not exists"
        )
        #expect(
            try await api("shift_addcontact", [("shift_id", shift), ("contact_id", "999")])
                == "Contact with the given id does not exists"
        )
        #expect(
            try await api("shift_addcontact", [("shift_id", "999"), ("contact_id", "1")])
                == "Shift with the given id does not exists"
        )
        #expect(try await api("shift_delete", [("shift_id", shift)]) == "OK")
        #expect(try await api("shift_delete", [("shift_id", shift)]) == "Shift with the given id does not exist")
    }
}

/// The weekday names of the shift parameters, Monday first.
let shiftDayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
