// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// How every plugin library in this repository is linked: only the entry symbol is exported (so
/// the C symbols of the packages each plugin carries a copy of cannot bind across images), and the
/// library is never unloaded (`dlclose` of Swift code crashes the host). See PluginSDK/README.md.
let pluginLinkerSettings: [LinkerSetting] = [
    .unsafeFlags([
        "-Xlinker", "--version-script=\(Context.packageDirectory)/PluginSDK/plugin.exports",
        "-Xlinker", "-z", "-Xlinker", "nodelete",
    ])
]

/// A plugin's entry target: the one `@_cdecl` function, in a library that exports nothing else.
func pluginEntry(_ plugin: String, path: String) -> Target {
    .target(
        name: plugin + "Entry",
        dependencies: [.target(name: plugin), .product(name: "SwiftletPluginSDK", package: "PluginSDK")],
        path: path,
        swiftSettings: swiftSettings,
        linkerSettings: pluginLinkerSettings
    )
}

let package = Package(
    name: "swiftlet",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "swiftlet", targets: ["swiftlet"]),
        // The plugins of this repository, one dynamic library each.
        .library(name: "SwiftletKeywords", type: .dynamic, targets: ["KeywordsPluginEntry"]),
        .library(name: "SwiftletMQTT", type: .dynamic, targets: ["MQTTPluginEntry"]),
        .library(name: "SwiftletEmail", type: .dynamic, targets: ["EmailPluginEntry"]),
        .library(name: "SwiftletVoice", type: .dynamic, targets: ["VoicePluginEntry"]),
        .library(name: "SwiftletSNMP", type: .dynamic, targets: ["SNMPPluginEntry"]),
        .library(name: "SwiftletLDAP", type: .dynamic, targets: ["LDAPPluginEntry"]),
        .library(name: "SwiftletSensors", type: .dynamic, targets: ["SensorsPluginEntry"]),
        .library(name: "SwiftletPixieRelay", type: .dynamic, targets: ["PixieRelayPluginEntry"]),
        .library(name: "SwiftletRelayExample", type: .dynamic, targets: ["SwiftRelayEntry"]),
    ],
    dependencies: [
        // The plugin SDK, a package of its own (PluginSDK/Package.swift).
        .package(path: "PluginSDK"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.5.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
    ],
    targets: [
        // The domain: messages, folders, queue states, users. No HTTP, serial, SQL or dlopen here.
        .target(
            name: "SwiftletDomain",
            dependencies: ["SMSCodec", .product(name: "SwiftletEvents", package: "PluginSDK")],
            path: "Core/Domain",
            swiftSettings: swiftSettings
        ),
        // Helpers with no home in one layer: a regex with a time budget, URLs as logs may show them.
        .target(
            name: "SwiftletSupport",
            path: "Core/Support",
            swiftSettings: swiftSettings
        ),
        // The SMS PDU codec (3GPP TS 23.038 / 23.040). Pure functions over bytes.
        .target(
            name: "SMSCodec",
            path: "Core/SMSCodec",
            swiftSettings: swiftSettings
        ),
        // The rule engine: rules read from YAML, triggers, conditions, actions, escalations.
        .target(
            name: "SwiftletRules",
            dependencies: [
                "SwiftletDomain",
                "SwiftletSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Core/Rules",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // The SQLite adapter of the domain's store ports.
        .target(
            name: "SwiftletStore",
            dependencies: [
                "SMSCodec",
                "SwiftletDomain",
                "SwiftletRules",
                "SwiftletSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ],
            path: "Core/Store",
            swiftSettings: swiftSettings
        ),
        // The AT-command modem driver over a serial line.
        .target(
            name: "SwiftletModem",
            dependencies: [
                "SMSCodec",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Core/Modem",
            swiftSettings: swiftSettings
        ),
        // posix_openpt and friends, which glibc only declares for C with _GNU_SOURCE.
        .target(name: "CPseudoTerminal", path: "Core/CPseudoTerminal"),
        // A modem that answers AT commands on a pseudo-terminal.
        .target(
            name: "ModemSimulator",
            dependencies: [
                "CPseudoTerminal",
                "SMSCodec",
                "SwiftletModem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Core/Simulator",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // The host side: manifests, trust checks, dlopen, the host services table, plugin lifecycle.
        .target(
            name: "SwiftletPluginHost",
            dependencies: [
                .product(name: "CSwiftletPlugin", package: "PluginSDK"),
                .product(name: "SwiftletEvents", package: "PluginSDK"),
                .product(name: "SwiftletPluginSDK", package: "PluginSDK"),
                "SwiftletDomain",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Core/Plugins",
            swiftSettings: swiftSettings
        ),
        // The SDK's Swift provider example `swiftrelay` (ABI 1.4), the C example `relay` in Swift.
        .target(
            name: "SwiftRelay",
            dependencies: [.product(name: "SwiftletPluginSDK", package: "PluginSDK")],
            path: "PluginSDK/Examples/SwiftRelay/Sources/SwiftRelay",
            swiftSettings: swiftSettings
        ),
        pluginEntry("SwiftRelay", path: "PluginSDK/Examples/SwiftRelay/Sources/Entry"),
        // Plugin `keywords`: replies, subscriptions and forwarding for incoming SMS by their first word.
        .target(
            name: "KeywordsPlugin",
            dependencies: [.product(name: "SwiftletPluginSDK", package: "PluginSDK")],
            path: "Plugins/Keywords/Sources/KeywordsPlugin",
            swiftSettings: swiftSettings
        ),
        pluginEntry("KeywordsPlugin", path: "Plugins/Keywords/Sources/Entry"),
        // Plugin `mqtt`: MQTT to SMS and SMS to MQTT, through libmosquitto (libmosquitto-dev).
        .systemLibrary(name: "CMosquitto", path: "Plugins/MQTT/Sources/CMosquitto"),
        .target(
            name: "MQTTPlugin",
            dependencies: ["CMosquitto", .product(name: "SwiftletPluginSDK", package: "PluginSDK")],
            path: "Plugins/MQTT/Sources/MQTTPlugin",
            swiftSettings: swiftSettings
        ),
        pluginEntry("MQTTPlugin", path: "Plugins/MQTT/Sources/Entry"),
        // Plugin `email`: Email2SMS (SMTP listener; IMAP/POP3 poller) and SMS2Email. GMime parses
        // mail (libgmime-3.0-dev); libcurl polls mailboxes and sends mail (libcurl4-openssl-dev).
        .systemLibrary(
            name: "CGMime",
            path: "Plugins/Email/Sources/CGMime",
            pkgConfig: "gmime-3.0",
            providers: [.apt(["libgmime-3.0-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            path: "Plugins/Shared/CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // libcurl for the plugins (mail for `email`, HTTPS for `pixie-relay`), linked into each.
        .target(
            name: "PluginCurl",
            dependencies: ["CCurl"],
            path: "Plugins/Shared/Curl",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EmailPlugin",
            dependencies: [
                "CCurl", "CGMime", "PluginCurl", .product(name: "SwiftletPluginSDK", package: "PluginSDK"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Plugins/Email/Sources/EmailPlugin",
            swiftSettings: swiftSettings
        ),
        pluginEntry("EmailPlugin", path: "Plugins/Email/Sources/Entry"),
        // Plugin `snmp`: an AgentX subagent of the system's snmpd on net-snmp's agent library
        // (libsnmp-dev), in C on a thread of its own (net-snmp is not thread-safe).
        .target(
            name: "CSNMPAgent",
            path: "Plugins/SNMP/Sources/CSNMPAgent",
            linkerSettings: [.linkedLibrary("netsnmpagent"), .linkedLibrary("netsnmp")]
        ),
        .target(
            name: "SNMPPlugin",
            dependencies: ["CSNMPAgent", .product(name: "SwiftletPluginSDK", package: "PluginSDK")],
            path: "Plugins/SNMP/Sources/SNMPPlugin",
            swiftSettings: swiftSettings
        ),
        pluginEntry("SNMPPlugin", path: "Plugins/SNMP/Sources/Entry"),
        // Plugin `ldap`: directory groups and people as recipients, and directory logins, on
        // OpenLDAP's client library (libldap-dev), each call on a thread of the plugin's own.
        .systemLibrary(
            name: "CLDAP",
            path: "Plugins/LDAP/Sources/CLDAP",
            providers: [.apt(["libldap-dev"])]
        ),
        .target(
            name: "LDAPPlugin",
            dependencies: ["CLDAP", .product(name: "SwiftletPluginSDK", package: "PluginSDK")],
            path: "Plugins/LDAP/Sources/LDAPPlugin",
            swiftSettings: swiftSettings
        ),
        pluginEntry("LDAPPlugin", path: "Plugins/LDAP/Sources/Entry"),
        // Plugin `sensors`: sysfs sensors (1-Wire, hwmon, IIO), Modbus registers (libmodbus-dev), and
        // digital I/O through libgpiod's v1 API (libgpiod-dev, Debian 12), kept behind a protocol
        // because libgpiod 2 changed it.
        .systemLibrary(
            name: "CGPIOD",
            path: "Plugins/Sensors/Sources/CGPIOD",
            providers: [.apt(["libgpiod-dev"])]
        ),
        .systemLibrary(
            name: "CModbus",
            path: "Plugins/Sensors/Sources/CModbus",
            pkgConfig: "libmodbus",
            providers: [.apt(["libmodbus-dev"])]
        ),
        .target(
            name: "SensorsPlugin",
            dependencies: ["CGPIOD", "CModbus", .product(name: "SwiftletPluginSDK", package: "PluginSDK")],
            path: "Plugins/Sensors/Sources/SensorsPlugin",
            swiftSettings: swiftSettings
        ),
        pluginEntry("SensorsPlugin", path: "Plugins/Sensors/Sources/Entry"),
        // Plugin `pixie-relay`: a transport through a Pixie-compatible cloud API (libcurl).
        .target(
            name: "PixieRelayPlugin",
            dependencies: ["PluginCurl", .product(name: "SwiftletPluginSDK", package: "PluginSDK")],
            path: "Plugins/PixieRelay/Sources/PixieRelayPlugin",
            swiftSettings: swiftSettings
        ),
        pluginEntry("PixieRelayPlugin", path: "Plugins/PixieRelay/Sources/Entry"),
        // Plugin `voice`: SIP calls through a supervised baresip (baresip-core), text-to-speech with
        // eSpeak NG (libespeak-ng-dev).
        .systemLibrary(
            name: "CEspeakNG",
            path: "Plugins/Voice/Sources/CEspeakNG",
            pkgConfig: "espeak-ng",
            providers: [.apt(["libespeak-ng-dev"])]
        ),
        .target(
            name: "VoicePlugin",
            dependencies: ["CEspeakNG", .product(name: "SwiftletPluginSDK", package: "PluginSDK")],
            path: "Plugins/Voice/Sources/VoicePlugin",
            swiftSettings: swiftSettings
        ),
        pluginEntry("VoicePlugin", path: "Plugins/Voice/Sources/Entry"),
        // SMSEagle-compatible HTTP APIs.
        .target(
            name: "SwiftletAPI",
            dependencies: [
                "SMSCodec",
                "SwiftletDomain",
                "SwiftletSupport",
                "SwiftletRules",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            path: "Core/API",
            exclude: ["README.md"],
            // The APIv2 document, compiled in as bytes: the binary needs no resource bundle beside it.
            resources: [.embedInCode("openapi.json")],
            swiftSettings: swiftSettings
        ),
        // The web interface for admins and users: server-rendered pages on the core's domain.
        .target(
            name: "SwiftletWeb",
            dependencies: [
                "SMSCodec",
                "SwiftletAPI",
                "SwiftletDomain",
                .product(name: "SwiftletEvents", package: "PluginSDK"),
                "SwiftletRules",
                "SwiftletSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            path: "Core/Web",
            exclude: ["README.md"],
            // Templates, the style sheet and the script, compiled in: nothing to install beside the binary.
            resources: [
                .embedInCode("Templates/layout.mustache"),
                .embedInCode("Templates/login.mustache"),
                .embedInCode("Templates/dashboard.mustache"),
                .embedInCode("Templates/compose.mustache"),
                .embedInCode("Templates/folder.mustache"),
                .embedInCode("Templates/phonebook.mustache"),
                .embedInCode("Templates/rules.mustache"),
                .embedInCode("Templates/plugins.mustache"),
                .embedInCode("Templates/plugin.mustache"),
                .embedInCode("Templates/users.mustache"),
                .embedInCode("Templates/sensors.mustache"),
                .embedInCode("Assets/swiftlet.css"), .embedInCode("Assets/compose.js"),
            ],
            swiftSettings: swiftSettings
        ),
        // Configuration, dispatcher, and the wiring of a running gateway.
        .target(
            name: "SwiftletGateway",
            dependencies: [
                "SwiftletDomain",
                .product(name: "SwiftletEvents", package: "PluginSDK"),
                "SwiftletSupport",
                "SwiftletStore",
                "SwiftletModem",
                "ModemSimulator",
                "SwiftletAPI",
                "SwiftletWeb",
                "SMSCodec",
                "SwiftletPluginHost",
                .product(name: "SwiftletPluginSDK", package: "PluginSDK"),
                "SwiftletRules",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Core/Gateway",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "swiftlet",
            dependencies: [
                "SwiftletAPI",
                .product(name: "SwiftletEvents", package: "PluginSDK"),
                "SwiftletGateway",
                "SwiftletPluginHost",
                "SwiftletDomain",
                "SwiftletModem",
                "SwiftletRules",
                "SwiftletStore",
                "SMSCodec",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Core/CLI",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RulesTests",
            dependencies: [
                "SwiftletSupport",
                "SwiftletRules", "SwiftletStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Tests/RulesTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DomainTests",
            dependencies: ["SwiftletDomain", "SwiftletStore"],
            path: "Tests/DomainTests",
            swiftSettings: swiftSettings
        ),
        // Shared by the test targets: Gammu's codec as an independent oracle.
        .target(
            name: "TestSupport",
            path: "Tests/Support",
            exclude: [
                "gammu_oracle.py", "modbus_server.py", "oauth2_server.py", "openapi_check.py", "openapi_exchange.py",
                "pixie_server.py", "requirements.txt", "smseagle_client.py", "smtp_sink.py", "webhook_receiver.py",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SMSCodecTests",
            dependencies: ["SMSCodec", "TestSupport"],
            path: "Tests/SMSCodecTests",
            swiftSettings: swiftSettings
        ),
        // A test target per source target (the folder says which), then the plugins' and the whole
        // gateway's (EndToEndTests, against the built binary).
        .testTarget(
            name: "StoreTests",
            dependencies: [
                "SwiftletStore", "SwiftletDomain",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/StoreTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ModemTests",
            dependencies: [
                "SwiftletModem", "ModemSimulator", "SMSCodec", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/ModemTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "APITests",
            dependencies: [
                "SwiftletAPI", "SwiftletDomain", "SwiftletStore",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/APITests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "SwiftletGateway", "SwiftletStore", "SwiftletDomain", "SwiftletModem", "ModemSimulator", "SwiftletAPI",
                "SMSCodec", "SwiftletPluginHost", .product(name: "SwiftletPluginSDK", package: "PluginSDK"),
                "SwiftletWeb", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/GatewayTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PluginHostTests",
            dependencies: [
                "SwiftletPluginHost", .product(name: "SwiftletPluginSDK", package: "PluginSDK"), "SwiftletStore",
                "SwiftletDomain", "SwiftletAPI", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/PluginHostTests",
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwiftRelayTests",
            dependencies: ["SwiftRelay", .product(name: "SwiftletPluginTestKit", package: "PluginSDK")],
            path: "Tests/SwiftRelayTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KeywordsPluginTests",
            dependencies: ["KeywordsPlugin", .product(name: "SwiftletPluginTestKit", package: "PluginSDK")],
            path: "Tests/KeywordsPluginTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LDAPPluginTests",
            dependencies: ["LDAPPlugin", .product(name: "SwiftletPluginTestKit", package: "PluginSDK"), "TestSupport"],
            path: "Tests/LDAPPluginTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PixieRelayPluginTests",
            dependencies: [
                "PixieRelayPlugin", .product(name: "SwiftletPluginTestKit", package: "PluginSDK"), "TestSupport",
            ],
            path: "Tests/PixieRelayPluginTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SensorsPluginTests",
            dependencies: [
                "SensorsPlugin", .product(name: "SwiftletPluginTestKit", package: "PluginSDK"), "TestSupport",
            ],
            path: "Tests/SensorsPluginTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SNMPPluginTests",
            dependencies: ["SNMPPlugin", .product(name: "SwiftletPluginSDK", package: "PluginSDK"), "TestSupport"],
            path: "Tests/SNMPPluginTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MQTTPluginTests",
            dependencies: ["MQTTPlugin", .product(name: "SwiftletPluginTestKit", package: "PluginSDK"), "TestSupport"],
            path: "Tests/MQTTPluginTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VoicePluginTests",
            dependencies: ["VoicePlugin", .product(name: "SwiftletPluginTestKit", package: "PluginSDK")],
            path: "Tests/VoicePluginTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EmailPluginTests",
            dependencies: [
                "EmailPlugin", .product(name: "SwiftletPluginTestKit", package: "PluginSDK"), "TestSupport",
            ],
            path: "Tests/EmailPluginTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "TestSupport",
                "SwiftletStore",
                "SwiftletDomain",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/EndToEndTests",
            swiftSettings: swiftSettings
        ),
    ]
)
