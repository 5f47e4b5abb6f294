import Foundation
import TestSupport
import Testing

@Suite("End to end: API users, tokens, permissions and failed logins")
struct UsersAndAccessTests {
    func swiftlet(
        _ gateway: GatewayProcess,
        _ arguments: [String],
        input: String? = nil
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        try GatewayProcess.run(arguments + ["--data-dir", gateway.dataDirectory], input: input)
    }

    @Test func aUserMayCallOnlyItsMethodsAndARevokedTokenIsRefused() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        #expect(try swiftlet(gateway, ["user", "add", "nagios", "--methods", "send_sms,get_queue_length"]).status == 0)
        let duplicate = try swiftlet(gateway, ["user", "add", "nagios"])
        #expect(duplicate.status != 0 && duplicate.stderr.contains("a user called 'nagios' exists"))
        let bogus = try swiftlet(gateway, ["permissions", "set", "nagios", "send_sms,launch_rocket"])
        #expect(bogus.status != 0 && bogus.stderr.contains("not APIv1 methods: launch_rocket"))

        let token = try swiftlet(gateway, ["token", "create", "--user", "nagios"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines
        )
        let api = APIv1Client(gateway: gateway, token: token)
        #expect(try await api("send_sms", [("to", "+46701234567"), ("message", "disk full")]).hasPrefix("OK; ID="))
        #expect(try await api("read_sms", [("folder", "inbox")]) == "No permission to use this method")
        #expect(try swiftlet(gateway, ["permissions", "set", "nagios", "read_sms"]).status == 0)
        // Now it may read: its message, once sent, is what it reads.
        _ = try await eventually("the sent message read back") {
            parseRows(try await api("read_sms", [("folder", "sentitems")])).map { $0["TextDecoded"] } == ["disk full"]
                ? true : nil
        }
        #expect(
            try await api("send_sms", [("to", "+46701234567"), ("message", "x")]) == "No permission to use this method"
        )
        #expect(try swiftlet(gateway, ["permissions", "show", "nagios"]).stdout == "read_sms\n")

        let users = try swiftlet(gateway, ["user", "list"]).stdout
        #expect(users.contains("nagios\tuser\t1 token(s)\tno password\tread_sms"))
        let listed = try swiftlet(gateway, ["token", "list", "--user", "nagios"]).stdout
        let id = try #require(listed.split(separator: "\t").first.map(String.init))
        #expect(id.count == 8)
        #expect(!listed.contains(token))
        #expect(try swiftlet(gateway, ["token", "revoke", id]).status == 0)
        #expect(try await api("read_sms", [("folder", "sentitems")]) == "Invalid access token")
        #expect(try swiftlet(gateway, ["token", "revoke", id]).status != 0)
        #expect(try swiftlet(gateway, ["user", "remove", "nagios"]).status == 0)
        #expect(!gateway.log.contains(token))
    }

    @Test func aTokenSetByHandWorksLikeAGeneratedOne() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let legacy = "0005gOjCOlMH8F2BP8xyz"
        #expect(
            try swiftlet(gateway, ["token", "create", "--user", "legacy", "--stdin"], input: legacy + "\n").status == 0
        )
        let short = try swiftlet(gateway, ["token", "create", "--stdin"], input: "0005gOj\n")
        #expect(short.status != 0 && short.stderr.contains("16 to 256"))
        let again = try swiftlet(gateway, ["token", "create", "--stdin"], input: legacy + "\n")
        #expect(again.status != 0 && again.stderr.contains("exists already"))
        let api = APIv1Client(gateway: gateway, token: legacy)
        #expect(try await api("get_queue_length") == "0")
        #expect(!gateway.log.contains(legacy))
    }

    @Test func repeatedFailedLoginsFromOneAddressAreRefusedForAWhile() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let good = APIv1Client(gateway: gateway, token: try gateway.createToken())
        #expect(try await good("get_queue_length") == "0")
        for attempt in 0..<9 {
            let wrong = APIv1Client(gateway: gateway, token: "guess-\(attempt)-aaaaaaaaaaaa")
            #expect(try await wrong("get_queue_length") == "Invalid access token")
        }
        // The tenth blocks the address: a wrong token is now told so ...
        let wrong = APIv1Client(gateway: gateway, token: "guess-9-aaaaaaaaaaaa")
        #expect(try await wrong("get_queue_length") == "Too many failed attempts; try again later")
        #expect(try await wrong("get_queue_length") == "Too many failed attempts; try again later")
        // ... while the right one still passes: an attacker must not lock out clients behind the same address.
        #expect(try await good("get_queue_length") == "0")
        #expect(gateway.log.contains("too many failed authentications; refusing for one window"))
        #expect(!gateway.log.contains("guess-"))
    }

    @Test func anAdminSeesEveryUsersPrivateEntries() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        #expect(try swiftlet(gateway, ["user", "add", "boss", "--admin"]).status == 0)
        let boss = APIv1Client(gateway: gateway, token: try gateway.createToken(user: "boss"))
        let ann = try gateway.apiv1(user: "ann")
        _ = try await ann("contact_create", [("contactname", "mum"), ("number", "+46709990001"), ("public", "0")])
        #expect(parseRows(try await boss("contact_read", [("public", "0")])).map { $0["Name"] } == ["mum"])
    }

    @Test func messagesFiledInACustomFolderAreReadFromItAndLeaveTheInbox() async throws {
        let gateway = try GatewayProcess()
        try await gateway.start()
        defer { gateway.stop() }
        let api = try gateway.apiv1()
        for text in ["ALARM boiler", "hello"] {
            _ = try await gateway.post("/simulator/incoming", form: [("from", "+46701234567"), ("text", text)])
        }
        let inbox = try await eventually("two messages") {
            let rows = parseRows(try await api("read_sms", [("folder", "inbox")]))
            return rows.count == 2 ? rows : nil
        }
        let alarm = try #require(inbox.first { $0["TextDecoded"] == "ALARM boiler" }?["ID"])
        #expect(try swiftlet(gateway, ["folder", "add", "alarms"]).status == 0)
        #expect(try swiftlet(gateway, ["folder", "add", "Alarms"]).stderr.contains("exists"))
        #expect(try swiftlet(gateway, ["folder", "file", alarm, "alarms"]).status == 0)
        #expect(try swiftlet(gateway, ["folder", "file", "999", "alarms"]).stderr.contains("no received message 999"))
        let filed = parseRows(try await api("read_sms", [("custom", "alarms")]))
        #expect(filed.map { $0["TextDecoded"] } == ["ALARM boiler"])
        #expect(filed.first?["id_folder"] == "101")
        #expect(parseRows(try await api("read_sms", [("folder", "inbox")])).map { $0["TextDecoded"] } == ["hello"])
        #expect(try await api("read_sms", [("folder", "inbox"), ("custom", "nosuch")]) == "No data to display")
        #expect(try await api("read_sms", [("folder", "sentitems"), ("custom", "alarms")]) == "Wrong parameters")
        #expect(try swiftlet(gateway, ["folder", "list"]).stdout == "alarms\t1 message(s)\n")
        #expect(try swiftlet(gateway, ["folder", "file", alarm]).status == 0)
        #expect(parseRows(try await api("read_sms", [("folder", "inbox")])).count == 2)
    }
}
