import CSwiftletPlugin
import Foundation
import Logging
import SwiftletDomain
import SwiftletEvents
import SwiftletStore
import Testing

@testable import SwiftletPluginHost

@Suite("plugin ABI and loader")
struct LoaderTests {
    func entry(_ directory: PluginDirectory, _ id: String, digests: Set<String> = []) throws -> PluginCatalog.Entry {
        try #require(try PluginCatalog(directory: directory.path, allowedDigests: digests).scan().first { $0.id == id })
    }

    func loadError(_ entry: PluginCatalog.Entry) -> String? {
        do {
            _ = try PluginLibrary.load(entry, allowedDigests: [])
            return nil
        } catch {
            return error.description
        }
    }

    @Test(
        "swiftlet_plugin.h compiles as C99 and C++17 with -Wall -Wextra -pedantic -Werror, and its 1.0 to 1.5 layout is pinned"
    )
    func headerCompiles() async throws {
        let source = Fixtures.packageRoot + "/Tests/PluginHostTests/Fixtures/abi_layout.c"
        let object = FileManager.default.temporaryDirectory.appendingPathComponent("abi-\(UUID().uuidString).o").path
        defer { try? FileManager.default.removeItem(atPath: object) }
        let c = try await Fixtures.run(
            "/usr/bin/gcc",
            [
                "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-I", Fixtures.include, "-c", source, "-o",
                object,
            ]
        )
        #expect(c.status == 0, "\(c.output)")
        let cxx = try await Fixtures.run(
            "/usr/bin/g++",
            [
                "-x", "c++", "-std=c++17", "-Wall", "-Wextra", "-pedantic", "-Werror", "-I", Fixtures.include, "-c",
                source, "-o", object,
            ]
        )
        #expect(cxx.status == 0, "\(cxx.output)")
        #expect(MemoryLayout<swiftlet_plugin>.size == 72)
        #expect(MemoryLayout<swiftlet_host_api>.size == 192)
    }

    @Test(
        "every plugin in Plugins/ and the C example load, export nothing but the entry symbol, and are linked -z nodelete"
    )
    func repositoryPluginsLoad() async throws {
        let directory = try PluginDirectory()
        let manifests = try FileManager.default.subpathsOfDirectory(atPath: Fixtures.packageRoot + "/Plugins")
            .filter { $0.hasSuffix(".plugin.json") }
        #expect(!manifests.isEmpty)
        var ids: [String] = []
        for manifest in manifests {
            let source = Fixtures.packageRoot + "/Plugins/" + manifest
            let data = try Data(contentsOf: URL(fileURLWithPath: source))
            let decoded = try JSONDecoder().decode(PluginManifest.self, from: data)
            ids.append(decoded.id)
            try FileManager.default.copyItem(
                atPath: source,
                toPath: directory.path + "/" + (manifest as NSString).lastPathComponent
            )
            try FileManager.default.copyItem(
                atPath: Fixtures.buildDirectory + "/" + decoded.library,
                toPath: directory.path + "/" + decoded.library
            )
        }
        for example in ["hello", "relay"] {
            let folder = Fixtures.packageRoot + "/PluginSDK/Examples/\(example)/"
            try await Fixtures.compile(folder + example + ".c", to: directory.path + "/lib\(example).so")
            try FileManager.default.copyItem(
                atPath: folder + example + ".plugin.json",
                toPath: directory.path + "/\(example).plugin.json"
            )
            ids.append(example)
        }

        for id in ids {
            let entry = try entry(directory, id)
            #expect(entry.problem == nil, "\(id): \(entry.problem ?? "")")
            let library = try PluginLibrary.load(entry, allowedDigests: [])
            #expect(library.abiVersion == entry.manifest?.abi.max, "\(id) speaks the newest version its manifest names")
            #expect(String(cString: library.descriptor.id) == id)
            let symbols = try await Fixtures.run(
                "/usr/bin/nm",
                ["-D", "--defined-only", try #require(entry.libraryPath)]
            )
            let functions = symbols.output.split(separator: "\n").filter { $0.contains(" T ") }
            #expect(
                functions.map { $0.split(separator: " ").last.map(String.init) } == ["swiftlet_plugin_entry"],
                "\(id)"
            )
            let dynamic = try await Fixtures.run("/usr/bin/readelf", ["-d", try #require(entry.libraryPath)])
            #expect(dynamic.output.contains("NODELETE"), "\(id) is not linked with -z nodelete")
        }
    }

    @Test(
        "ABI version negotiation: a manifest range that misses the host's, a plugin that declines, a plugin that picks outside the offer"
    )
    func negotiation() async throws {
        let directory = try PluginDirectory()
        try await directory.addFixture(id: "future")
        try directory.writeManifest(id: "future", library: "libfuture.so", abi: ("2.0", "2.1"))
        #expect(try entry(directory, "future").problem == "speaks plugin ABI 2.0–2.1, this gateway 1.0–1.5")

        try await directory.addFixture(id: "decliner", defines: ["-DDECLINE"])
        #expect(
            loadError(try entry(directory, "decliner"))
                == "the plugin declined every ABI version this gateway offers (1.0–1.5)"
        )

        try await directory.addFixture(id: "chooser", defines: ["-DCHOOSE=0x00020000u"])
        #expect(loadError(try entry(directory, "chooser")) == "the plugin chose ABI 2.0, outside the offered 1.0–1.5")
    }

    @Test("the library's id and version must be the manifest's")
    func identityCrossCheck() async throws {
        let directory = try PluginDirectory()
        try await directory.addFixture(id: "liar", binaryVersion: "9.9.9")
        #expect(
            loadError(try entry(directory, "liar"))
                == "the library says it is 'liar' 9.9.9, but its manifest says 'liar' 1.0.0"
        )
    }

    @Test(
        "refused with their reasons: a library outside the directory, a path in the manifest, world-writable files and directories, a digest not on the allow-list"
    )
    func trustChecks() async throws {
        let directory = try PluginDirectory()
        let outside = try PluginDirectory()
        try await outside.addFixture(id: "escapee")
        try FileManager.default.createSymbolicLink(
            atPath: directory.path + "/libescapee.so",
            withDestinationPath: outside.path + "/libescapee.so"
        )
        try directory.writeManifest(id: "escapee", library: "libescapee.so")
        let escapee = try entry(directory, "escapee").problem ?? ""
        #expect(
            escapee.contains("resolves to \(outside.path)/libescapee.so, outside the plugin directory"),
            "\(escapee)"
        )

        try directory.writeManifest(id: "traversal", library: "../libescapee.so")
        #expect(
            try entry(directory, "traversal").problem
                == "not a valid manifest: library: '../libescapee.so' is not a file name in the plugin directory"
        )

        try FileManager.default.createSymbolicLink(
            atPath: directory.path + "/linked.plugin.json",
            withDestinationPath: outside.path + "/escapee.plugin.json"
        )
        #expect(try entry(directory, "linked").problem?.contains("outside the plugin directory") == true)

        try await directory.addFixture(id: "open")
        try directory.chmod("libopen.so", 0o757)
        #expect(
            try entry(directory, "open").problem
                == "library libopen.so is writable by every user (chmod o-w \(directory.path)/libopen.so)"
        )
        try directory.chmod("libopen.so", 0o755)
        #expect(try entry(directory, "open").problem == nil)

        // The digest as coreutils computes it, not as the code under test does.
        let library = directory.path + "/libopen.so"
        let sum = try await Fixtures.run("/usr/bin/sha256sum", [library])
        #expect(sum.status == 0, "\(sum.output)")
        let digest = String(sum.output.prefix(64))
        #expect(digest.count == 64 && digest.allSatisfy(\.isHexDigit))
        let wrong = String(repeating: "0", count: 64)
        #expect(
            try entry(directory, "open", digests: [wrong]).problem
                == "library libopen.so has SHA-256 \(digest), which is not in plugin_digests"
        )
        let checked = try entry(directory, "open", digests: [wrong, digest])
        #expect(checked.problem == nil)
        // Changed in place between the check and dlopen: the load-time re-check refuses it.
        let handle = try #require(FileHandle(forWritingAtPath: library))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        do {
            _ = try PluginLibrary.load(checked, allowedDigests: [wrong, digest])
            Issue.record("a library changed after its check was loaded")
        } catch {
            #expect(
                error.description == "\(library) changed since it was checked: its SHA-256 is not in plugin_digests"
            )
        }

        try directory.chmod(directory.path, 0o777)
        defer { try? directory.chmod(directory.path, 0o755) }
        #expect(throws: PluginCatalog.DirectoryProblem.self) { try PluginCatalog(directory: directory.path).scan() }
    }

    /// A host for in-process lifecycle tests: a real store in a temporary directory.
    func services() throws -> (HostServices, SQLiteStore) {
        let store = try SQLiteStore(
            directory: FileManager.default.temporaryDirectory.appendingPathComponent(
                "swiftlet-plugin-\(UUID().uuidString)"
            ).path
        )
        let services = HostServices(
            outbox: Outbox(store: store),
            phonebook: store,
            recipients: RecipientResolver(directory: store, timeZone: .current),
            state: store,
            events: EventBus(),
            inbox: store
        )
        return (services, store)
    }

    func instance(_ directory: PluginDirectory, _ id: String, services: HostServices) throws -> HostedPlugin {
        let entry = try entry(directory, id)
        let library = try PluginLibrary.load(entry, allowedDigests: [])
        return HostedPlugin(
            manifest: try #require(entry.manifest),
            library: library,
            services: services,
            logger: Logger(label: "test")
        )
    }

    @Test("a descriptor of an older, smaller size is accepted, and nothing beyond its size is used")
    func smallerDescriptor() async throws {
        let directory = try PluginDirectory()
        try await directory.addFixture(id: "older", defines: ["-DSMALL"])
        let (services, store) = try services()
        let plugin = try instance(directory, "older", services: services)
        #expect(plugin.library.descriptor.struct_size == 40)
        #expect(plugin.library.descriptor.stop == nil && plugin.library.descriptor.destroy == nil)

        try await plugin.create(configuration: Data(#"{"number":"+46700000007"}"#.utf8))
        try await plugin.start(timeout: .seconds(10))
        let queued = try await store.outgoing(matching: MessageQuery(folder: .outbox))
        #expect(queued.map(\.payload) == [.text("started older")])
        #expect(queued.map(\.address) == ["+46700000007"])
        #expect(queued.map(\.createdBy) == ["plugin:older"])
        // Its stop and destroy lie beyond struct_size and abort if called.
        await plugin.stopAndDestroy(timeout: .seconds(1), started: true)
    }

    @Test("a plugin built against the ABI 1.3 header loads and runs in the 1.5 host, and provides nothing")
    func pluginOfABI13() async throws {
        let directory = try PluginDirectory()
        try await directory.addFixture(id: "old13", defines: ["-DCHOOSE=0x00010003u"], include: Fixtures.include13)
        let (services, store) = try services()
        let plugin = try instance(directory, "old13", services: services)
        #expect(plugin.library.abiVersion == SWIFTLET_ABI_VERSION_1_3)
        #expect(plugin.library.descriptor.struct_size == 64)
        #expect(plugin.library.descriptor.handle_request == nil)

        try await plugin.create(configuration: Data(#"{"number":"+46700000013"}"#.utf8))
        try await plugin.start(timeout: .seconds(10))
        let queued = try await store.outgoing(matching: MessageQuery(folder: .outbox))
        #expect(queued.map(\.payload) == [.text("started old13")])
        let (status, detail) = await plugin.request(
            kind: "transport.send",
            json: Data("{}".utf8),
            id: 1,
            timeout: .seconds(1)
        )
        #expect(status == SWIFTLET_ERR_UNSUPPORTED)
        #expect(detail == "the plugin has no handle_request")
        await plugin.stopAndDestroy(timeout: .seconds(1), started: true)
    }

    @Test(
        "ABI 1.4: a provider's name is its own; requests reach the provider (one built against the 1.4 header) and its answer comes back; a stopped plugin provides nothing"
    )
    func providerNames() async throws {
        let directory = try PluginDirectory()
        for id in ["first", "second"] {
            // The first as a plugin built before 1.5 was: its host table ends before report_delivery.
            try await directory.addFixture(
                id: id,
                defines: ["-DPROVIDE=\"spool\""],
                include: id == "first" ? Fixtures.include14 : Fixtures.include
            )
            try directory.writeManifest(
                id: id,
                library: "lib\(id).so",
                abi: ("1.4", "1.4"),
                capabilities: ["send_sms", "transport"]
            )
        }
        var (services, _) = try services()
        let registry = ProviderRegistry()
        services.providers = registry
        let configuration = Data(#"{"number":"+46700000014"}"#.utf8)
        let first = try instance(directory, "first", services: services)
        try await first.create(configuration: configuration)
        try await first.start(timeout: .seconds(10))
        let second = try instance(directory, "second", services: services)
        try await second.create(configuration: configuration)
        await #expect(
            throws: HostedPlugin.Failure(description: "start failed (denied): cannot register the transport spool")
        ) {
            try await second.start(timeout: .seconds(10))
        }
        #expect(registry.providers(.transport) == [.init(role: .transport, name: "spool", plugin: "first")])
        let request = TransportSendRequest(id: 1, key: "k1", to: "+46700000014", text: "hi")
        let answer = try await registry.request(
            .transport,
            name: "spool",
            kind: ProviderRequestKind.transportSend,
            request,
            timeout: .seconds(5),
            as: TransportAnswer.self
        )
        #expect(answer == .accepted(reference: "first"))
        await second.stopAndDestroy(timeout: .seconds(1), started: false)
        await first.stopAndDestroy(timeout: .seconds(1), started: true)
        #expect(registry.providers().isEmpty)
        await #expect(throws: ProviderRegistry.Failure.noProvider(.transport, "spool")) {
            try await registry.request(
                .transport,
                name: "spool",
                kind: ProviderRequestKind.transportSend,
                request,
                timeout: .seconds(5),
                as: TransportAnswer.self
            )
        }
    }

    @Test("create and start failures come back with the plugin's reason; undeclared capabilities are refused")
    func failures() async throws {
        let directory = try PluginDirectory()
        let (services, _) = try services()

        try await directory.addFixture(id: "picky")
        let picky = try instance(directory, "picky", services: services)
        await #expect(throws: HostedPlugin.Failure(description: "create failed (invalid): number: required")) {
            try await picky.create(configuration: Data("{}".utf8))
        }

        try await directory.addFixture(id: "failing", defines: ["-DFAIL_START"])
        let failing = try instance(directory, "failing", services: services)
        try await failing.create(configuration: Data(#"{"number":"+46700000001"}"#.utf8))
        await #expect(
            throws: HostedPlugin.Failure(description: "start failed (unavailable): the test plugin was told to fail")
        ) {
            try await failing.start(timeout: .seconds(10))
        }

        try await directory.addFixture(id: "sneaky", capabilities: [])
        let sneaky = try instance(directory, "sneaky", services: services)
        try await sneaky.create(configuration: Data(#"{"number":"+46700000001"}"#.utf8))
        await #expect(
            throws: HostedPlugin.Failure(
                description: "start failed (denied): the manifest of 'sneaky' does not declare capability 'send_sms'"
            )
        ) {
            try await sneaky.start(timeout: .seconds(10))
        }
    }

    @Test(
        "refused like sshd's StrictModes: a group-writable directory above the plugin directory, a library of another user"
    )
    func strictModes() async throws {
        let parent = FileManager.default.temporaryDirectory.path + "/swiftlet-parent-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let directory = try PluginDirectory(parent: parent)
        try await directory.addFixture(id: "owned")
        try directory.chmod(parent, 0o775)
        #expect {
            try PluginCatalog(directory: directory.path).scan()
        } throws: { error in
            "\(error)"
                == "plugin directory \(directory.path) is inside \(parent), which is writable by its group (chmod g-w \(parent)): refusing all of its plugins"
        }
        try directory.chmod(parent, 0o755)
        #expect(try entry(directory, "owned").problem == nil)

        // A library that belongs to another user (not root, not the gateway's user) could be replaced by it.
        let library = directory.path + "/libowned.so"
        try #require(chown(library, 4242, 4242) == 0, "chown needs root: \(String(cString: strerror(errno)))")
        #expect(
            try entry(directory, "owned").problem
                == "library libowned.so belongs to user 4242, neither root nor the gateway's user (chown root \(library))"
        )
        try #require(chown(library, geteuid(), getegid()) == 0)
        try directory.chmod("libowned.so", 0o775)
        #expect(
            try entry(directory, "owned").problem
                == "library libowned.so is writable by its group (chmod g-w \(library))"
        )
    }

    @Test("ABI 1.3: a library whose identity section is not its manifest's is refused before any of its code runs")
    func identitySectionIsCheckedBeforeLoading() async throws {
        let directory = try PluginDirectory()
        let marker = directory.path + "/constructor-ran"
        try await directory.addFixture(
            id: "imposter",
            defines: ["-DIDENTITY_ID=\"somebody\"", "-DTOUCH_FILE=\"\(marker)\""]
        )
        let problem =
            "the library says it is 'somebody' 1.0.0 (its .swiftlet_plugin section), but its manifest says 'imposter' 1.0.0"
        var imposter = try entry(directory, "imposter")
        #expect(imposter.problem == problem)
        // The loader checks the open file again, whatever the catalog said.
        imposter.problem = nil
        #expect(loadError(imposter) == problem)
        #expect(!FileManager.default.fileExists(atPath: marker), "the imposter's constructor ran")

        // The same library under its own name loads, and its constructor runs then.
        try await directory.addFixture(
            id: "somebody",
            defines: ["-DIDENTITY_ID=\"somebody\"", "-DTOUCH_FILE=\"\(marker)\""]
        )
        #expect(try entry(directory, "somebody").problem == nil)
        #expect(loadError(try entry(directory, "somebody")) == nil)
        #expect(FileManager.default.fileExists(atPath: marker))
    }
}
