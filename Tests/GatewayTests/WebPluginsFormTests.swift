import Foundation
import SwiftletEvents
import SwiftletPluginHost
import SwiftletWeb
import Testing

@testable import SwiftletGateway

/// The plugins page's form: what is typed becomes a section that the configuration loader reads back
/// as typed, whatever it contains, and the schema checks it as `config check` would.
@Suite("The web interface's plugin form")
struct WebPluginsFormTests {
    let manifest = try! JSONDecoder().decode(
        PluginManifest.self,
        from: Data(
            """
            {"id": "demo", "name": "Demo", "version": "1.0.0", "library": "libdemo.so",
             "abi": {"min": "1.0", "max": "1.4"}, "capabilities": [],
             "configuration": {"type": "object", "additionalProperties": false, "properties": {
               "host": {"type": "string"}, "port": {"type": "integer", "maximum": 65535, "default": 1883},
               "tls": {"type": "boolean", "default": false}, "password": {"type": "string"},
               "topics": {"type": "array", "items": {"type": "string"}},
               "mode": {"type": "string", "enum": ["a", "b"]},
               "routes": {"type": "array", "items": {"type": "object"}}}}}
            """.utf8
        )
    )

    /// Writes the form's section as `plugins.d/demo.yaml` and reads it back through the loader.
    func roundTrip(_ values: [String: String], keeping old: ConfigValue? = nil) throws -> [String: Any] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("web-form-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/plugins.d", withIntermediateDirectories: true)
        try "log:\n  level: info\n".write(toFile: directory + "/swiftlet.yaml", atomically: true, encoding: .utf8)
        let value = try WebPlugins.value(of: values, manifest: manifest, keeping: old)
        try WebPlugins.yaml(value, indent: "").write(
            toFile: directory + "/plugins.d/demo.yaml",
            atomically: true,
            encoding: .utf8
        )
        let section = try #require(ConfigurationLoader.load(file: directory + "/swiftlet.yaml").plugins.enabled.first)
        let json = try section.configuration(checkedAgainst: manifest)
        return try #require(JSONSerialization.jsonObject(with: json) as? [String: Any])
    }

    @Test func whatIsTypedIsReadBackAsTyped() throws {
        let hostile = "evil\"\nmode: b\n# \\ 'quoted' {x: [y]}"
        let read = try roundTrip([
            "host": hostile, "port": "8883", "tls": "on", "password": "s3cret: yes", "topics": "a/b\n\n yes \n#",
            "mode": "a",
        ])
        #expect(read["host"] as? String == hostile)
        #expect(read["port"] as? Int == 8883)
        #expect(read["tls"] as? Bool == true)
        #expect(read["password"] as? String == "s3cret: yes")
        #expect(read["topics"] as? [String] == ["a/b", "yes", "#"])
        #expect(read["mode"] as? String == "a")
    }

    @Test func emptyFieldsTakeTheirDefaultsAndAnEmptyPasswordKeepsTheOldOne() throws {
        let old = ConfigValue.mapping(
            [
                .init(key: "password", keyLine: 1, value: .scalar("kept", quoted: true, line: 1)),
                .init(key: "routes", keyLine: 2, value: .sequence([.mapping([], line: 3)], line: 3)),
            ],
            line: 1
        )
        let read = try roundTrip(["host": "", "port": "", "password": ""], keeping: old)
        #expect(read["host"] == nil)
        #expect(read["port"] as? Int == 1883)
        #expect(read["tls"] as? Bool == false)
        #expect(read["password"] as? String == "kept")
        #expect((read["routes"] as? [Any])?.count == 1)
    }

    @Test func aValueTheSchemaRefusesNamesItsKey() throws {
        #expect(throws: PluginConfigurationError.self) { try roundTrip(["port": "70000"]) }
        #expect(throws: PluginConfigurationError.self) { try roundTrip(["port": "eighty"]) }
    }

    @Test func theFormShowsWhatItCanAndNamesTheRest() {
        let (fields, fileOnly) = WebPlugins.form(manifest, section: nil)
        #expect(fields.map(\.key) == ["host", "mode", "password", "port", "tls", "topics"])
        #expect(fields.map(\.kind.rawValue) == ["text", "select", "password", "number", "checkbox", "lines"])
        #expect(fields.first { $0.key == "port" }?.value == "1883")
        #expect(fileOnly == ["routes"])
    }
}
