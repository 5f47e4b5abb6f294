import Foundation

/// A plugin that sends outgoing SMS instead of a modem (ABI 1.4, role `transport`): a cloud relay,
/// an operator's HTTP API. Register with `host.registerProvider(.transport, name:schema:)` in `start()`.
public protocol TransportProvider: Plugin {
    /// Hands one message on. Answer `.accepted(reference:)` once the upstream has it, or
    /// `.rejected(_:permanent:)`; throwing is a failed attempt the gateway tries again later.
    /// `message.key` is stable across attempts and restarts: if the upstream already accepted that
    /// key, answer accepted again without sending twice. Cancelled when the gateway stops waiting
    /// (60 s): the message is then failed, not sent again.
    func send(_ message: TransportSendRequest) async throws -> TransportAnswer
}

/// A plugin that places calls (ABI 1.4, role `voice`): SIP with text-to-speech.
public protocol VoiceProvider: Plugin {
    /// Places one call and answers how it ended, with the keys pressed. Cancelled when the gateway
    /// stops waiting (`maxSeconds + ringSeconds + 30` s).
    func call(_ request: VoiceCallRequest) async throws -> VoiceCallResult
}

/// A plugin that resolves names to numbers (ABI 1.4, role `directory`): LDAP.
public protocol DirectoryProvider: Plugin {
    /// The numbers (and members) of a group or person called `name`; nil when the directory has
    /// nothing of that name.
    func resolve(_ name: String) async throws -> DirectoryEntry?
    /// The groups the directory offers.
    func groups() async throws -> [DirectoryGroups.Group]
    /// Whether `password` is `login`'s; nil when the directory does not check credentials.
    func verify(login: String, password: String) async throws -> DirectoryVerification?
}

extension DirectoryProvider {
    public func groups() async throws -> [DirectoryGroups.Group] { [] }
    public func verify(login: String, password: String) async throws -> DirectoryVerification? { nil }
}

/// Turns a `handle_request` into a call of the plugin's role protocol and its answer into JSON.
public enum ProviderRequests {
    public static func answer(_ plugin: any Plugin, kind: String, json: Data) async throws -> Data {
        let decoder = JSONCoding.decoder
        let encoder = JSONCoding.encoder
        func unsupported() -> PluginError {
            PluginError(.unsupported, "\(type(of: plugin).id) does not answer \(kind)")
        }
        switch kind {
        case ProviderRequestKind.transportSend:
            guard let transport = plugin as? any TransportProvider else { throw unsupported() }
            return try encoder.encode(try await transport.send(decoder.decode(TransportSendRequest.self, from: json)))
        case ProviderRequestKind.voiceCall:
            guard let voice = plugin as? any VoiceProvider else { throw unsupported() }
            return try encoder.encode(try await voice.call(decoder.decode(VoiceCallRequest.self, from: json)))
        case ProviderRequestKind.directoryResolve:
            guard let directory = plugin as? any DirectoryProvider else { throw unsupported() }
            let request = try decoder.decode(DirectoryRequest.self, from: json)
            guard let name = request.name, !name.isEmpty else { throw PluginError(.invalid, "name: required") }
            guard let entry = try await directory.resolve(name) else {
                throw PluginError(.notFound, "the directory has nothing called '\(name)'")
            }
            return try encoder.encode(entry)
        case ProviderRequestKind.directoryGroups:
            guard let directory = plugin as? any DirectoryProvider else { throw unsupported() }
            return try encoder.encode(DirectoryGroups(groups: try await directory.groups()))
        case ProviderRequestKind.directoryVerify:
            guard let directory = plugin as? any DirectoryProvider else { throw unsupported() }
            let request = try decoder.decode(DirectoryRequest.self, from: json)
            guard let login = request.login, let password = request.password else {
                throw PluginError(.invalid, "login and password: required")
            }
            guard let answer = try await directory.verify(login: login, password: password) else {
                throw PluginError(.unsupported, "this directory does not check credentials")
            }
            return try encoder.encode(answer)
        default:
            throw unsupported()
        }
    }
}
