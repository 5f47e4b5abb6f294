#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 network (`10.0.0.0/8`, `fd00::/8`) or one address (`127.0.0.1`, `::1`), as the
/// configuration names trusted proxies and the internal webhook receivers an admin allows.
///
/// An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is treated as the IPv4 address it carries, so a
/// rule about `127.0.0.0/8` cannot be passed by writing it the other way.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// 4 or 16 octets, with the bits past the prefix cleared.
    public let octets: [UInt8]
    public let prefixLength: Int

    /// Parses `ADDRESS` or `ADDRESS/PREFIX`; nil when it is neither.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = Self.octets(of: String(parts[0])) else { return nil }
        let bits = address.count * 8
        var length = bits
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...bits).contains(parsed) else { return nil }
            length = parsed
        }
        self.init(octets: address, prefixLength: length)
    }

    init(octets: [UInt8], prefixLength: Int) {
        var octets = octets
        var length = prefixLength
        if octets.count == 16, octets[0..<12] == Self.mappedPrefix[...], prefixLength >= 96 {
            octets = Array(octets[12...])
            length -= 96
        }
        for index in octets.indices {
            let keep = max(0, min(8, length - index * 8))
            octets[index] &= keep == 8 ? 0xFF : ~(0xFF >> UInt8(keep))
        }
        self.octets = octets
        self.prefixLength = length
    }

    /// Whether `address` (4 or 16 octets, as from ``octets(of:)``) lies in this network.
    public func contains(_ address: [UInt8]) -> Bool {
        let address = Self.unmapped(address)
        guard address.count == octets.count else { return false }
        return IPNetwork(octets: address, prefixLength: prefixLength).octets == octets
    }

    /// Whether the address written as `text` lies in this network; false for anything not an address.
    public func contains(_ text: String) -> Bool {
        guard let address = Self.octets(of: text) else { return false }
        return contains(address)
    }

    public var description: String {
        let text: String
        if octets.count == 4 {
            text = octets.map(String.init).joined(separator: ".")
        } else {
            text = stride(from: 0, to: 16, by: 2).map {
                String(UInt16(octets[$0]) << 8 | UInt16(octets[$0 + 1]), radix: 16)
            }
            .joined(separator: ":")
        }
        return prefixLength == octets.count * 8 ? text : "\(text)/\(prefixLength)"
    }

    /// The octets of an IPv4 or IPv6 address in text; nil for anything else (host names included).
    public static func octets(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        // A zone (`fe80::1%eth0`) names an interface, not another address.
        let bare = text.split(separator: "%", maxSplits: 1).first.map(String.init) ?? text
        if inet_pton(AF_INET6, bare, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    static let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]

    static func unmapped(_ address: [UInt8]) -> [UInt8] {
        address.count == 16 && address[0..<12] == mappedPrefix[...] ? Array(address[12...]) : address
    }

    /// This host: `127.0.0.0/8` and `::1`.
    public static let loopback: [IPNetwork] = [IPNetwork("127.0.0.0/8")!, IPNetwork("::1")!]

    /// Destinations that are not the public internet: this host, the local networks, link-local
    /// (cloud metadata services among them), carrier-grade NAT, multicast, and reserved ranges.
    public static let nonPublic: [IPNetwork] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "64:ff9b::/96", "fc00::/7", "fe80::/10", "ff00::/8",
    ].map { IPNetwork($0)! }
}
