import Foundation
import SwiftletModem
import SwiftletStore
import Testing

@testable import SwiftletGateway

@Suite("The configuration file")
struct ConfigurationTests {
    func parse(_ yaml: String) throws -> GatewayConfiguration {
        try ConfigurationLoader(file: "test.yaml").parse(yaml)
    }

    func error(_ yaml: String) -> String {
        do {
            _ = try parse(yaml)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func anEmptyFileMeansEveryDefault() throws {
        var configuration = try parse("")
        #expect(configuration.file == "test.yaml")
        configuration.file = nil
        #expect(configuration == GatewayConfiguration())
        #expect(configuration.http.host == "127.0.0.1" && configuration.http.port == 8080)
        #expect(configuration.modems.isEmpty)
        #expect(configuration.synchronous == .full)
    }

    @Test func theShippedExampleIsValidAndSaysTheDefaults() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("packaging/swiftlet.yaml").path
        var configuration = try ConfigurationLoader.load(file: path)
        var defaults = GatewayConfiguration()
        defaults.dataDirectory = "/var/lib/swiftlet"
        defaults.file = path
        configuration.timeZone = defaults.timeZone
        #expect(configuration == defaults)
    }

    @Test func theWebInterfaceSection() throws {
        let configuration = try parse("web:\n  path: /admin\n  secure_cookies: true\n")
        #expect(configuration.web == GatewayConfiguration.Web(enabled: true, path: "/admin/", secureCookies: true))
        #expect(try parse("web:\n  enabled: false\n").web.enabled == false)
        #expect(error("web:\n  path: admin\n").contains("'admin' is not a path"))
        #expect(error("web:\n  path: /a?b\n").contains("is not a path"))
        #expect(error("web:\n  port: 80\n").contains("port"))
    }

    @Test func modemsAndDurationsAreRead() throws {
        let configuration = try parse(
            """
            http:
              listen: "[::1]:9000"
            time_zone: Europe/Stockholm
            dispatcher:
              lease: 2m
              retry_delay: 1500ms
            modems:
              - device: /dev/ttyUSB2
              - name: backup
                device: /dev/ttyACM0
                baud: 9600
                send_timeout: 60s
            """
        )
        #expect(configuration.http.host == "::1" && configuration.http.port == 9000)
        #expect(configuration.timeZone.identifier == "Europe/Stockholm")
        #expect(configuration.dispatcher.lease == .seconds(120))
        #expect(configuration.dispatcher.retryDelay == .milliseconds(1500))
        #expect(configuration.modems.map(\.name) == ["modem1", "backup"])
        #expect(configuration.modems[1].baudRate == 9600)
        #expect(configuration.modems[1].timeouts.send == .seconds(60))
    }

    @Test func mistakesNameTheLineTheKeyAndTheReason() {
        #expect(
            error("http:\n  listen: 127.0.0.1:8080\n  tls: yes\n")
                == "test.yaml:3: http.tls: unknown key (known keys here: listen, trusted_proxies, max_connections, header_timeout, body_timeout, idle_timeout)"
        )
        #expect(
            error("dispatcher:\n  lease: 5 minutes\n").hasPrefix(
                "test.yaml:2: dispatcher.lease: '5 minutes' is not a duration"
            )
        )
        #expect(
            error("modems:\n  - device: /dev/ttyUSB0\n    baud: 12345\n").hasPrefix(
                "test.yaml:3: modems[0].baud: 12345 is not one of"
            )
        )
        #expect(error("modems:\n  - baud: 9600\n") == "test.yaml:2: modems[0]: 'device' is required")
        #expect(error("modems:\n  - device: /a\n  - device: /b\n    name: modem1\n").contains("'modem1' is used twice"))
        #expect(
            error("time_zone: Mars/Olympus\n").hasPrefix("test.yaml:1: time_zone: 'Mars/Olympus' is not a time zone")
        )
        #expect(error("http:\n  listen: 8080\n").hasPrefix("test.yaml:2: http.listen: '8080' is not HOST:PORT"))
        #expect(error("store:\n  synchronous: off\n") == "test.yaml:2: store.synchronous: 'off' is not full or normal")
        #expect(
            error("dispatcher:\n  delivery_reports: maybe\n")
                == "test.yaml:2: dispatcher.delivery_reports: 'maybe' is not true or false"
        )
        #expect(error("- just\n- a list\n") == "test.yaml:1: must be a mapping of keys to values")
        #expect(error("http: [").hasPrefix("test.yaml: not valid YAML"))
    }
}
