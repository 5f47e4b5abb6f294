// swift-tools-version:6.2
import PackageDescription

// Swiftlet's plugin SDK, a package of its own: a plugin depends on this and nothing else of the
// gateway. The gateway's package depends on it too (by path), so both always agree on the ABI.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "SwiftletPluginSDK",
    platforms: [.macOS(.v15)],
    products: [
        // The Swift wrapper of the ABI, and the test kit (FakeHost).
        .library(name: "SwiftletPluginSDK", targets: ["SwiftletPluginSDK"]),
        .library(name: "SwiftletPluginTestKit", targets: ["SwiftletPluginTestKit"]),
        // For the gateway: the shared event and request bodies, and the C header as a module.
        .library(name: "SwiftletEvents", targets: ["SwiftletEvents"]),
        .library(name: "CSwiftletPlugin", targets: ["CSwiftletPlugin"]),
    ],
    targets: [
        // The C header of the ABI (include/swiftlet_plugin.h), the one source of truth.
        .systemLibrary(name: "CSwiftletPlugin", path: "include"),
        // The bodies of events and provider requests, JSON conventions, the configuration checker.
        .target(name: "SwiftletEvents", path: "Events", swiftSettings: swiftSettings),
        .target(
            name: "SwiftletPluginSDK",
            dependencies: ["CSwiftletPlugin", "SwiftletEvents"],
            path: "Swift",
            swiftSettings: swiftSettings
        ),
        // A fake host, so that plugin authors can test without a gateway.
        .target(
            name: "SwiftletPluginTestKit",
            dependencies: ["SwiftletPluginSDK"],
            path: "TestKit",
            swiftSettings: swiftSettings
        ),
    ]
)
