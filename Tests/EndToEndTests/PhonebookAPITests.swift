import Foundation
import TestSupport
import Testing

@Suite("End to end: the phonebook through APIv1")
struct PhonebookAPITests {
    @Test func groupsAndContactsAreManagedAndSentTo() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let api = try gateway.apiv1()

        let alice = try #require(
            try await api("contact_create", [("contactname", "alice"), ("number", "+46701110001")]).firstMatch(
                of: /^OK; ID=(\d+)$/
            )
        ).output.1
        let bob = try #require(
            try await api("contact_create", [("contactname", "bob"), ("number", "0701110002"), ("public", "1")])
                .firstMatch(of: /^OK; ID=(\d+)$/)
        ).output.1
        let group = try #require(
            try await api("group_create", [("groupname", "oncall")]).firstMatch(of: /^OK; ID=(\d+)$/)
        ).output.1
        #expect(try await api("group_create", [("groupname", "OnCall")]) == "Wrong or missing >>groupname<< parameter")
        #expect(
            try await api("group_addcontact", [("group_id", String(group)), ("contact_id", String(alice))]) == "OK"
        )
        #expect(try await api("group_addcontact", [("group_id", String(group)), ("contact_id", String(bob))]) == "OK")
        #expect(
            try await api("group_addcontact", [("group_id", "999"), ("contact_id", String(bob))])
                == "Group with the given id does not exists"
        )
        #expect(
            try await api("group_addcontact", [("group_id", String(group)), ("contact_id", "999")])
                == "Contact with the given id does not exists"
        )
        #expect(
            try await api("group_addcontact", [("group_id", "x"), ("contact_id", "1")])
                == "Wrong or missing >>group_id<< parameter"
        )

        let members = parseRows(try await api("group_members_read", [("group_id", String(group))]))
        #expect(members.map { $0["Name"] } == ["alice", "bob"])
        #expect(members.map { $0["Number"] } == ["+46701110001", "0701110002"])
        #expect(members.allSatisfy { $0["is_public"] == "true" })
        let xml = try await api("group_members_read", [("group_id", String(group)), ("responsetype", "xml")])
        #expect(xml.contains("<contacts>\n<contact>\n<ID>\(alice)</ID>\n<Name>alice</Name>"))

        let sent = try await api("send_togroup", [("groupname", "oncall"), ("message", "Pump 3 stopped")])
        #expect(sent.split(separator: "\n").count == 2)
        #expect(
            try await api("send_tocontact", [("contactname", "bob"), ("message", "only bob")]).hasPrefix("OK; ID=")
        )
        #expect(try await api("send_togroup", [("groupname", "nobody"), ("message", "x")]) == "Wrong parameters")
        #expect(try await api("send_tocontact", [("contactname", "carol"), ("message", "x")]) == "Wrong parameters")
        let received = try await eventually("three messages at the network") {
            let list = try gateway.simulatorReceived()
            return list.count == 3 ? list : nil
        }
        #expect(
            Set(received.map { "\($0["recipient"]!) \($0["text"]!)" }) == [
                "+46701110001 Pump 3 stopped", "0701110002 Pump 3 stopped", "0701110002 only bob",
            ]
        )

        #expect(
            try await api("group_removecontact", [("group_id", String(group)), ("contact_id", String(alice))]) == "OK"
        )
        #expect(
            parseRows(try await api("group_members_read", [("group_id", String(group))])).map { $0["Name"] } == ["bob"]
        )
        #expect(
            try await api(
                "contact_update",
                [("contact_id", String(bob)), ("contactname", "robert"), ("number", "+46701110003")]
            ) == "OK"
        )
        #expect(
            try await api("contact_update", [("contact_id", "999"), ("contactname", "x"), ("number", "123")])
                == "Contact with the given id does not exists"
        )
        #expect(
            try await api("contact_delete", [("contact_id", String(bob)), ("contactname", "bob")])
                == "Contact with the given id and name does not exists"
        )
        #expect(try await api("contact_delete", [("contact_id", String(bob)), ("contactname", "robert")]) == "OK")
        #expect(try await api("group_update", [("group_id", String(group)), ("groupname", "night shift")]) == "OK")
        #expect(
            try await api("group_delete", [("group_id", String(group)), ("groupname", "oncall")])
                == "Group with the given id and name does not exist"
        )
        #expect(try await api("group_delete", [("group_id", String(group)), ("groupname", "night shift")]) == "OK")
        #expect(try await api("group_read", [("public", "1")]) == "No data to display")
    }

    @Test func privateEntriesAreSeenOnlyByTheirOwner() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let ann = try gateway.apiv1(user: "ann")
        let ben = try gateway.apiv1(user: "ben")
        let annID = try await ann("userid_read", [("username", "ann")])
        #expect(Int(annID) != nil)
        #expect(try await ben("userid_read", [("username", "ann")]) == annID)
        #expect(try await ben("userid_read", [("username", "nobody")]) == "Wrong >>username<< parameter")
        #expect(try await ben("userid_read") == "Missing >>username<< parameter")

        _ = try await ann("group_create", [("groupname", "ann-private"), ("public", "0")])
        _ = try await ann("group_create", [("groupname", "shared"), ("public", "1")])
        let mine = try #require(
            try await ann("contact_create", [("contactname", "mum"), ("number", "+46709990001"), ("public", "0")])
                .firstMatch(of: /^OK; ID=(\d+)$/)
        ).output.1

        // group_read without public lists private groups (the documented default): each user its own.
        #expect(parseRows(try await ann("group_read")).map { $0["Name"] } == ["ann-private"])
        #expect(try await ben("group_read") == "No data to display")
        let publicGroups = parseRows(try await ben("group_read", [("public", "1")]))
        #expect(publicGroups.map { $0["Name"] } == ["shared"])
        #expect(publicGroups.first?["id_user"] == annID)
        #expect(parseRows(try await ben("group_read", [("public", "1"), ("uid", annID)])).count == 1)
        #expect(try await ben("group_read", [("public", "1"), ("uid", "x")]) == "Wrong or missing >>uid<< parameter")
        #expect(try await ben("group_read", [("public", "2")]) == "Wrong or missing >>public<< parameter")

        #expect(parseRows(try await ann("contact_read")).map { $0["Name"] } == ["mum"])
        #expect(try await ben("contact_read") == "No data to display")
        // Ben can neither change nor delete Ann's private contact, nor send to it.
        #expect(
            try await ben("contact_update", [("contact_id", String(mine)), ("contactname", "x"), ("number", "123")])
                == "Contact with the given id does not exists"
        )
        #expect(
            try await ben("contact_delete", [("contact_id", String(mine)), ("contactname", "mum")])
                == "Contact with the given id and name does not exists"
        )
        #expect(try await ben("send_tocontact", [("contactname", "mum"), ("message", "x")]) == "Wrong parameters")
        #expect(try await ben("get_queue_length") == "0")
        #expect(parseRows(try await ann("contact_read")).map { $0["Name"] } == ["mum"])
    }

    @Test func thePhonebookOverJSONRPC() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let token = try gateway.createToken()
        func rpc(_ method: String, _ params: [String: String]) async throws -> Any? {
            var params = params
            params["access_token"] = token
            let body = try JSONSerialization.data(withJSONObject: ["method": "phonebook.\(method)", "params": params])
            let answer = try await gateway.post("/jsonrpc/sms", json: String(decoding: body, as: UTF8.self))
            return (try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])?["result"]
        }
        let created = try #require(
            try await rpc("group_create", ["groupname": "myusers", "public": "1", "responsetype": "extended"])
                as? [String: String]
        )
        #expect(created["status"] == "ok")
        let groupID = try #require(created["group_id"])
        let contact = try #require(
            try await rpc("contact_create", ["contactname": "johndoe", "number": "12345678"]) as? String
        )
        let contactID = String(try #require(contact.firstMatch(of: /^OK; ID=(\d+)$/)).output.1)
        #expect(try await rpc("group_addcontact", ["group_id": groupID, "contact_id": contactID]) as? String == "OK")
        let groups = try #require(try await rpc("group_read", ["public": "1"]) as? [[String: String]])
        #expect(groups.map { $0["Name"] } == ["myusers"])
        let members = try #require(
            try await rpc("group_members_read", ["group_id": groupID, "responsetype": "extended"]) as? [String: Any]
        )
        #expect((members["contacts"] as? [[String: String]])?.map { $0["Name"] } == ["johndoe"])
        #expect(members["status"] as? String == "ok")
        let missing = try await rpc("group_create", ["responsetype": "extended"]) as? [String: String]
        #expect(missing == ["error_text": "Wrong or missing >>groupname<< parameter", "status": "error"])
    }
}
