import ArgumentParser
import Foundation
import SwiftletAPI
import SwiftletDomain
import SwiftletGateway
import SwiftletStore

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage API access tokens.",
        discussion: "Tokens are stored only as SHA-256 hashes; a token is shown once, when it is created.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an access token and print it.",
            discussion: """
                Creates the API user if it does not exist (allowed every APIv1 method) and adds a new \
                token to it. Only the token is printed, so it can be captured: TOKEN=$(swiftlet token create). \
                With --stdin, the token is the first line of standard input instead (e.g. the token an \
                existing SMSEagle client is configured with; 16 characters or more).
                """
        )

        @OptionGroup var data: DataOptions

        @Option(help: "The API user the token belongs to.")
        var user = "api"

        @Flag(help: "Read the token from standard input instead of generating one.")
        var stdin = false

        func run() async throws {
            let store = try data.openStore()
            guard stdin else { return print(try await store.createAccessToken(user: user)) }
            guard let token = readLine(strippingNewline: true) else {
                throw CommandFailure("no token on standard input")
            }
            try await CommandFailure.reporting { try await store.addAccessToken(token, user: user) }
            print("token added for \(user)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List access tokens: their id (for revoke), user and creation time — never the token."
        )

        @OptionGroup var data: DataOptions

        @Option(help: "Only this user's tokens.")
        var user: String?

        func run() async throws {
            let tokens = try await data.openStore().tokens(user: user)
            if tokens.isEmpty { print("no tokens") }
            for token in tokens {
                print("\(token.id)\t\(token.user)\t\(token.createdAt.formatted(.iso8601))")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an access token by its id (see 'token list')."
        )

        @OptionGroup var data: DataOptions

        @Argument(help: "The token's id: 8 hex digits as 'token list' shows them.")
        var id: String

        func run() async throws {
            guard try await data.openStore().revokeToken(id: id) else {
                throw CommandFailure("no token has the id \(id); 'swiftlet token list' shows them")
            }
            print("token \(id) revoked")
        }
    }
}

struct User: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage API users.",
        subcommands: [Add.self, List.self, Remove.self, SetPassword.self, Access.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an API user.",
            discussion:
                "Give it a token with 'swiftlet token create --user NAME' or a password with 'swiftlet user set-password NAME'."
        )

        @OptionGroup var data: DataOptions

        @Argument(help: "The user's name.")
        var name: String

        @Flag(help: "An admin sees every user's private phonebook entries and messages, and manages users.")
        var admin = false

        @Flag(
            help: """
                Access to resources of all users: reads and deletes every user's sent, queued and failed \
                messages, and lists and sends to every user's phonebook entries in APIv2 (a user sees only \
                its own otherwise). Admins have it anyway.
                """
        )
        var allUsers = false

        @Option(help: "The APIv1 methods it may call, comma-separated, or * for all.")
        var methods = "*"

        @Flag(
            help: """
                Read-only: it may read messages, the phonebook and the modems' state, and change nothing (the web interface's read-only role; the same as --methods with every read method).
                """
        )
        var readOnly = false

        /// The APIv1 methods that change nothing.
        static let readMethods = [
            "read_sms", "get_queue_length", "get_inbox_length", "get_sentitems_length", "get_sendingerror_length",
            "get_gsmsignal", "get_modem_state", "call_forward_read", "group_read", "group_members_read",
            "contact_read", "userid_read", "shift_read", "get_contact_vacation_mode",
        ]

        func run() async throws {
            if readOnly, admin || methods != "*" {
                throw ValidationError("--read-only cannot be given with --admin or --methods")
            }
            let permissions = try Permissions.parse(readOnly ? Self.readMethods.joined(separator: ",") : methods)
            try await CommandFailure.reporting {
                try await data.openStore().addUser(name, admin: admin, allUsers: allUsers, permissions: permissions)
            }
            print(
                "user \(name) added\(admin ? " (admin)" : readOnly ? " (read-only)" : allUsers ? " (all users' messages)" : "")"
            )
        }
    }

    struct Access: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Choose whose messages a user reads and deletes: its own, or every user's.",
            discussion: """
                An outgoing message belongs to the user that queued it; received messages belong to the \
                gateway and every user with read_sms reads them. 'all' is SMSEagle's "Access to resources \
                of all users" (e.g. for a monitoring or archiving account); admins have it anyway.
                """
        )

        @OptionGroup var data: DataOptions

        @Argument(help: "The user's name.")
        var name: String

        @Argument(help: "own or all.")
        var scope: String

        func run() async throws {
            guard scope == "own" || scope == "all" else { throw CommandFailure("the scope is 'own' or 'all'") }
            guard try await data.openStore().setAllUsers(name, scope == "all") else {
                throw CommandFailure("no user is called \(name); 'swiftlet user list' shows them")
            }
            print("\(name) now reads and deletes \(scope == "all" ? "every user's" : "only its own") messages")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List API users with their level, methods, tokens and password."
        )

        @OptionGroup var data: DataOptions

        func run() async throws {
            let users = try await data.openStore().users()
            if users.isEmpty { print("no users; 'swiftlet token create' makes one") }
            for user in users {
                let methods = user.permissions.contains("*") ? "*" : user.permissions.sorted().joined(separator: ",")
                print(
                    "\(user.id)\t\(user.name)\t\(user.isAdmin ? "admin" : user.allUsers ? "user (all users)" : "user")\t\(user.tokens) token(s)\t\(user.directory.map { "password of directory \($0)" } ?? (user.hasPassword ? "password" : "no password"))\t\(methods)"
                )
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an API user and its tokens.")

        @OptionGroup var data: DataOptions

        @Argument(help: "The user's name.")
        var name: String

        func run() async throws {
            guard try await data.openStore().removeUser(name) else { throw CommandFailure("there is no user \(name)") }
            print("user \(name) removed")
        }
    }

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password",
            abstract: "Set an API user's password for APIv1 login/pass authentication.",
            discussion: "Reads the password from the first line of standard input, so it stays out of the process list."
        )

        @OptionGroup var data: DataOptions

        @Argument(help: "The API user (created if it does not exist).")
        var user: String

        func run() async throws {
            guard let password = readLine(strippingNewline: true), !password.isEmpty else {
                throw ValidationError("no password on standard input")
            }
            try await data.openStore().setPassword(user: user, password: password)
            print("password set for \(user)")
        }
    }
}

struct Permissions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show or set the APIv1 methods a user may call.",
        subcommands: [Show.self, Set.self, Methods.self]
    )

    /// `*` or a comma-separated list of APIv1 method names, each checked.
    static func parse(_ text: String) throws -> Swift.Set<String> {
        let names = Swift.Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        guard !names.isEmpty else { throw ValidationError("no methods given; use * for all") }
        if names == ["*"] { return names }
        let unknown = names.subtracting(APIv1.methodNames)
        guard unknown.isEmpty else {
            throw ValidationError(
                "not APIv1 methods: \(unknown.sorted().joined(separator: ", ")) ('swiftlet permissions methods' lists them)"
            )
        }
        return names
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the methods a user may call.")

        @OptionGroup var data: DataOptions

        @Argument(help: "The user's name.")
        var name: String

        func run() async throws {
            guard let user = try await data.openStore().users().first(where: { $0.name == name }) else {
                throw CommandFailure("there is no user \(name)")
            }
            print(
                user.permissions.contains("*") ? "* (every method)" : user.permissions.sorted().joined(separator: "\n")
            )
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the methods a user may call.",
            discussion: "Example: swiftlet permissions set nagios send_sms,get_queue_length"
        )

        @OptionGroup var data: DataOptions

        @Argument(help: "The user's name.")
        var name: String

        @Argument(help: "Comma-separated APIv1 method names, or * for all.")
        var methods: String

        func run() async throws {
            let permissions = try Permissions.parse(methods)
            guard try await data.openStore().setPermissions(name, permissions) else {
                throw CommandFailure("there is no user \(name)")
            }
            print(
                "\(name) may call \(permissions.contains("*") ? "every method" : permissions.sorted().joined(separator: ", "))"
            )
        }
    }

    struct Methods: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the APIv1 methods.")

        func run() async throws {
            for name in APIv1.methodNames { print(name) }
        }
    }
}
