import CSwiftletPlugin
import Foundation
import SwiftletEvents

/// What `<id>.plugin.json` beside a plugin's library says about it. Read without running any of
/// the plugin's code.
public struct PluginManifest: Decodable, Sendable {
    public var id: String
    public var name: String
    public var version: String
    public var description: String?
    /// The library's file name, in the same directory.
    public var library: String
    public var abi: ABIRange
    /// The host services the plugin uses; calls to others are refused (see `Capability`).
    public var capabilities: [Capability]
    public var configuration: ConfigurationSchema?
    /// A configuration example (YAML), shown by `plugins info` and written, commented, by `plugins enable`.
    public var example: String?

    public struct ABIRange: Decodable, Sendable, CustomStringConvertible {
        public var min: UInt32
        public var max: UInt32

        public init(min: UInt32, max: UInt32) {
            self.min = min
            self.max = max
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func version(_ key: CodingKeys) throws -> UInt32 {
                let text = try container.decode(String.self, forKey: key)
                guard let version = ABIVersion.parse(text) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: key,
                        in: container,
                        debugDescription: "'\(text)' is not an ABI version like 1.0"
                    )
                }
                return version
            }
            min = try version(.min)
            max = try version(.max)
            guard min <= max else {
                throw DecodingError.dataCorruptedError(
                    forKey: .max,
                    in: container,
                    debugDescription: "max is below min"
                )
            }
        }

        enum CodingKeys: String, CodingKey { case min, max }

        public func meets(_ other: ClosedRange<UInt32>) -> Bool { min <= other.upperBound && other.lowerBound <= max }

        public var description: String {
            min == max ? ABIVersion.format(min) : "\(ABIVersion.format(min))–\(ABIVersion.format(max))"
        }
    }

    /// Host services a plugin may be allowed. Logging is always allowed.
    public enum Capability: String, Decodable, Sendable, CaseIterable {
        /// subscribe to events, and receive them
        case events
        /// publish events of its own
        case publish
        case sendSMS = "send_sms"
        case deliverIncoming = "deliver_incoming"
        /// phonebook_lookup and directory_lookup
        case phonebook
        /// phonebook_update (implies phonebook)
        case phonebookWrite = "phonebook_write"
        /// state_get, state_put, state_delete
        case state
        case timers
        /// register_rule_kind (ABI 1.1)
        case rules
        /// register_provider of each role (ABI 1.4)
        case transport, voice, directory
        /// status_snapshot (ABI 1.4)
        case status
        /// report_metric (ABI 1.4)
        case metrics
    }

    enum CodingKeys: String, CodingKey {
        case id, name, version, description, library, abi, capabilities, configuration, example
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        guard Self.isValidID(id) else {
            throw DecodingError.dataCorruptedError(
                forKey: .id,
                in: container,
                debugDescription:
                    "'\(id)' is not a plugin id (lower-case letters, digits, '-' and '_', starting with a letter)"
            )
        }
        name = try container.decode(String.self, forKey: .name)
        version = try container.decode(String.self, forKey: .version)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        library = try container.decode(String.self, forKey: .library)
        guard !library.isEmpty, !library.contains("/"), library != ".", library != ".." else {
            throw DecodingError.dataCorruptedError(
                forKey: .library,
                in: container,
                debugDescription: "'\(library)' is not a file name in the plugin directory"
            )
        }
        abi = try container.decode(ABIRange.self, forKey: .abi)
        capabilities = try container.decodeIfPresent([Capability].self, forKey: .capabilities) ?? []
        configuration = try container.decodeIfPresent(ConfigurationSchema.self, forKey: .configuration)
        example = try container.decodeIfPresent(String.self, forKey: .example)
    }

    public static func isValidID(_ id: String) -> Bool {
        guard let first = id.first, first.isASCII, first.isLowercase, id.count <= 64 else { return false }
        return id.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    public func allows(_ capability: Capability) -> Bool {
        capabilities.contains(capability) || (capability == .phonebook && capabilities.contains(.phonebookWrite))
    }
}

/// ABI versions: major in the high 16 bits, minor in the low 16.
public enum ABIVersion {
    /// The versions this gateway speaks.
    public static let supported: ClosedRange<UInt32> = SWIFTLET_ABI_VERSION_1_0...SWIFTLET_ABI_VERSION_CURRENT

    public static func parse(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let major = UInt32(parts[0]), let minor = UInt32(parts[1]), major <= 0xFFFF,
            minor <= 0xFFFF
        else { return nil }
        return major << 16 | minor
    }

    public static func format(_ version: UInt32) -> String { "\(version >> 16).\(version & 0xFFFF)" }
}
