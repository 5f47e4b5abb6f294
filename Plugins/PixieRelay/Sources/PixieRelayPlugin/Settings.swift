import Foundation
import SwiftletPluginSDK

/// The plugin's section of the gateway's configuration (see `pixie-relay.plugin.json`).
public struct Configuration: Decodable, Sendable {
    var url: String
    var token: String?
    var tokenFile: String?
    var sender: String?
    var name: String
    var caFile: String?
    var allowPlaintext: Bool
    var timeout: Int
    var pollInterval: Int
    var streamLimit: Int
    var channel: String?
}

/// The configuration, checked: what the relay needs to run.
struct Settings: Sendable {
    /// The relay's base URL without a trailing slash (`https://app.pixie.se`).
    var baseURL: String
    var token: String
    var sender: String?
    /// The name the transport is registered under (`dispatcher.transport` names it).
    var name: String
    var caFile: String?
    /// Seconds one request may take.
    var timeout: Int
    /// Seconds between reads of the stream; 0: never read.
    var pollInterval: Int
    var streamLimit: Int
    /// The channel received messages are labelled with in the inbox (`pixie-relay:CHANNEL`).
    var channel: String?

    var sendURL: String { baseURL + "/api/v2/sms" }
    var streamURL: String { baseURL + "/api/v2/sms/stream" }

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    init(_ configuration: Configuration, readFile: (String) throws -> String) throws {
        var url = configuration.url.trimmingCharacters(in: .whitespaces)
        while url.hasSuffix("/") { url.removeLast() }
        for suffix in ["/api/v2/sms", "/api/v2"] where url.hasSuffix(suffix) { url.removeLast(suffix.count) }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty, components.query == nil
        else {
            throw Invalid(description: "url: '\(url)' is not an http(s) URL like https://app.pixie.se")
        }
        switch scheme {
        case "https": break
        case "http":
            // The token would cross the network in the clear: only to this machine, or when asked for.
            let loopback = host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
            guard loopback || configuration.allowPlaintext else {
                throw Invalid(
                    description:
                        "url: http:// sends the token in the clear; use https://, or set allow_plaintext: true (only for a relay on a network you trust)"
                )
            }
        default:
            throw Invalid(description: "url: '\(url)' is not an http(s) URL like https://app.pixie.se")
        }
        baseURL = url
        switch (configuration.token, configuration.tokenFile) {
        case (let token?, nil): self.token = token
        case (nil, let file?):
            do {
                self.token = try readFile(file).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw Invalid(description: "token_file: cannot read \(file): \(error.localizedDescription)")
            }
        case (nil, nil): throw Invalid(description: "token: required (or token_file), the relay's API token")
        case (_?, _?): throw Invalid(description: "token and token_file: give one, not both")
        }
        guard !token.isEmpty, token.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline }) else {
            throw Invalid(description: "token: empty, or not one word of printable characters")
        }
        if let sender = configuration.sender {
            guard Self.isSender(sender) else {
                throw Invalid(
                    description:
                        "sender: '\(sender)' is neither a number (up to 15 digits) nor up to 11 letters, digits and spaces (a-z, A-Z, 0-9)"
                )
            }
        }
        sender = configuration.sender
        for (key, value) in [("name", configuration.name), ("channel", configuration.channel ?? "x")] {
            guard value.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" })
            else {
                throw Invalid(description: "\(key): '\(value)' may hold only a-z, 0-9, - and _")
            }
        }
        name = configuration.name
        caFile = configuration.caFile
        timeout = configuration.timeout
        pollInterval = configuration.pollInterval
        streamLimit = configuration.streamLimit
        channel = configuration.channel
    }

    /// A sender Pixie takes: a number in international format without `+` (digits), or up to 11
    /// letters and digits (the seed's example "John Doe" has a space; Pixie's API takes it).
    static func isSender(_ text: String) -> Bool {
        guard !text.isEmpty else { return false }
        if text.allSatisfy({ $0.isASCII && $0.isNumber }) { return text.count <= 15 }
        return text.count <= 11 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == " ") }
    }
}
