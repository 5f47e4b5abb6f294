import CSwiftletPlugin
import Foundation
import Logging
import SwiftletDomain
import SwiftletEvents
import SwiftletPluginSDK
import Synchronization

/// The providers plugins registered (ABI 1.4 `register_provider`): who offers which role under
/// which name, and the one way the gateway asks them (`request`), with the timeout and cancellation
/// the host owns.
public final class ProviderRegistry: Sendable {
    public struct Provider: Sendable, Equatable {
        public var role: ProviderRole
        public var name: String
        public var plugin: String
    }

    /// Why a provider gave no answer.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// No provider of that role and name is registered (not enabled, not started, or stopped).
        case noProvider(ProviderRole, String?)
        /// It did not answer within the time; it may still have done the work.
        case timedOut(provider: String, after: Duration)
        /// It answered with an error status.
        case refused(provider: String, PluginError)
        /// It answered something that does not read as the role's answer.
        case malformed(provider: String, String)
        /// The asking task was cancelled (the gateway is stopping).
        case cancelled(provider: String)

        public var description: String {
            switch self {
            case .noProvider(let role, let name?): "no \(role) provider named '\(name)' is running"
            case .noProvider(let role, nil): "no \(role) provider is running"
            case .timedOut(let provider, let after): "\(provider) did not answer within \(after)"
            case .refused(let provider, let error): "\(provider): \(error.detail) (\(HostedPlugin.name(error.status)))"
            case .malformed(let provider, let detail): "\(provider) answered something unreadable: \(detail)"
            case .cancelled(let provider): "stopped waiting for \(provider): the gateway is stopping"
            }
        }
    }

    private struct Entry {
        var provider: Provider
        var plugin: HostedPlugin
    }

    private let entries = Mutex<[Entry]>([])
    private let listeners = Mutex<[@Sendable () -> Void]>([])
    private let nextRequest = Atomic<UInt64>(1)

    public init() {}

    /// `changed` is called after every registration and removal.
    public func onChange(_ changed: @escaping @Sendable () -> Void) { listeners.withLock { $0.append(changed) } }

    /// The providers of `role` (every role when nil), in the order they registered.
    public func providers(_ role: ProviderRole? = nil) -> [Provider] {
        entries.withLock { $0.map(\.provider).filter { role == nil || $0.role == role } }
    }

    /// Whether the provider is registered and its plugin does not report itself down.
    public func isReady(_ role: ProviderRole, _ name: String) -> Bool {
        entries.withLock { entries in
            entries.first { $0.provider.role == role && $0.provider.name == name }.map {
                $0.plugin.healthState != "down"
            }
                ?? false
        }
    }

    func register(_ role: ProviderRole, name: String, plugin: HostedPlugin) throws(PluginError) {
        try entries.withLock { (entries: inout [Entry]) throws(PluginError) in
            if let existing = entries.first(where: { $0.provider.role == role && $0.provider.name == name }) {
                guard existing.plugin === plugin else {
                    throw PluginError(
                        .denied,
                        "plugin '\(existing.provider.plugin)' provides \(role) '\(name)' already"
                    )
                }
                return
            }
            entries.append(Entry(provider: Provider(role: role, name: name, plugin: plugin.id), plugin: plugin))
        }
        notify()
    }

    /// A plugin stopped: it provides nothing any more.
    func removeAll(plugin: String) {
        let removed = entries.withLock { entries in
            let before = entries.count
            entries.removeAll { $0.provider.plugin == plugin }
            return before != entries.count
        }
        if removed { notify() }
    }

    private func notify() {
        for listener in listeners.withLock({ $0 }) { listener() }
    }

    /// Asks provider `name` of `role` (the first registered when nil) and decodes its answer.
    /// `request` is encoded with the ABI's conventions; `request_id` and `provider` are set here.
    public func request<Answer: Decodable>(
        _ role: ProviderRole,
        name: String?,
        kind: String,
        _ request: some ProviderRequestBody,
        timeout: Duration,
        as answer: Answer.Type
    ) async throws(Failure) -> Answer {
        guard
            let entry = entries.withLock({ entries in
                entries.first { $0.provider.role == role && (name == nil || $0.provider.name == name) }
            })
        else { throw .noProvider(role, name) }
        let provider = entry.provider.name
        let id = nextRequest.add(1, ordering: .relaxed).oldValue
        var request = request
        request.requestId = id
        request.provider = provider
        let json: Data
        do {
            json = try JSONCoding.encoder.encode(request)
        } catch {
            throw .malformed(provider: provider, "the request does not encode: \(error)")
        }
        let (status, body) = await entry.plugin.request(kind: kind, json: json, id: id, timeout: timeout)
        switch status {
        case SWIFTLET_OK:
            do {
                return try JSONCoding.decoder.decode(Answer.self, from: Data(body.utf8))
            } catch {
                throw .malformed(provider: provider, "\(error)")
            }
        case OneShot.timedOut: throw .timedOut(provider: provider, after: timeout)
        case OneShot.cancelled: throw .cancelled(provider: provider)
        default: throw .refused(provider: provider, PluginError(status: status, detail: body))
        }
    }
}

/// The directory providers as the recipient policy asks them: each in the order they registered,
/// until one knows the name.
public struct ProviderDirectory: ExternalDirectory {
    public static let timeout: Duration = .seconds(10)
    let registry: ProviderRegistry

    public init(registry: ProviderRegistry) { self.registry = registry }

    public func numbers(named name: String) async throws -> [String]? {
        for provider in registry.providers(.directory) {
            do {
                let entry = try await registry.request(
                    .directory,
                    name: provider.name,
                    kind: ProviderRequestKind.directoryResolve,
                    DirectoryRequest(name: name),
                    timeout: Self.timeout,
                    as: DirectoryEntry.self
                )
                return entry.numbers
            } catch .refused(_, let error) where error.code == .notFound {
                continue
            } catch .noProvider {
                continue  // it stopped meanwhile
            } catch {
                throw SwiftletError(.unavailable, "directory \(provider.name): \(error)")
            }
        }
        return nil
    }
}

extension ProviderDirectory {
    /// Asks each directory that checks credentials, in order, until one accepts `login`. A wrong
    /// password at one does not stop the next from being asked; a directory that cannot answer is
    /// passed over, and when none could answer the caller hears `.unavailable`.
    public func verify(login: String, password: String) async throws -> DirectoryLogin? {
        var unavailable: [String] = []
        var answered = false
        for provider in registry.providers(.directory) {
            let answer: DirectoryVerification
            do {
                answer = try await registry.request(
                    .directory,
                    name: provider.name,
                    kind: ProviderRequestKind.directoryVerify,
                    DirectoryRequest(login: login, password: password),
                    timeout: Self.timeout,
                    as: DirectoryVerification.self
                )
            } catch .refused(_, let error) where error.code == .unsupported {
                continue
            } catch .noProvider {
                continue
            } catch {
                unavailable.append("\(provider.name): \(error)")
                continue
            }
            answered = true
            guard answer.valid else { continue }
            guard let role = DirectoryRole(rawValue: answer.role ?? DirectoryRole.user.rawValue) else {
                throw SwiftletError(
                    .unavailable,
                    "directory \(provider.name) answered an unknown role '\(answer.role ?? "")'"
                )
            }
            return DirectoryLogin(directory: provider.name, role: role, groups: answer.groups ?? [])
        }
        if !answered, !unavailable.isEmpty {
            throw SwiftletError(
                .unavailable,
                "no directory could check the login: \(unavailable.joined(separator: "; "))"
            )
        }
        return nil
    }

    /// The groups each directory offers; a directory that cannot answer is left out.
    public func groups() async -> [DirectoryGroupListing] {
        var result: [DirectoryGroupListing] = []
        for provider in registry.providers(.directory) {
            guard
                let answer = try? await registry.request(
                    .directory,
                    name: provider.name,
                    kind: ProviderRequestKind.directoryGroups,
                    DirectoryRequest(),
                    timeout: Self.timeout,
                    as: DirectoryGroups.self
                )
            else { continue }
            result += answer.groups.map {
                DirectoryGroupListing(directory: provider.name, name: $0.name, members: $0.members)
            }
        }
        return result
    }
}
