import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Whether a TCP connection to a directory's address can be opened: tells a TLS failure (the server
/// answers, the handshake fails) from a server that is not there, for which libldap says the same
/// "Can't contact LDAP server".
enum Reachability {
    /// The host and port of each `ldap://` or `ldaps://` URL (389 and 636 by default).
    static func addresses(_ urls: String) -> [(host: String, port: Int)] {
        urls.split(separator: " ").compactMap { text in
            guard let url = URL(string: String(text)), let host = url.host else { return nil }
            return (host, url.port ?? (url.scheme?.lowercased() == "ldaps" ? 636 : 389))
        }
    }

    /// Connects (blocking, at most `timeout` seconds) and closes at once.
    static func answers(host: String, port: Int, timeout: Int) -> Bool {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), "\(port)", &hints, &list) == 0
        else { return false }
        defer { freeaddrinfo(list) }
        var entry = list
        while let info = entry {
            defer { entry = info.pointee.ai_next }
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return true }
            guard errno == EINPROGRESS else { continue }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else { continue }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error == 0 { return true }
        }
        return false
    }
}
