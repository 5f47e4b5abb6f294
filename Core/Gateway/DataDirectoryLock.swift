import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on the data directory, so two gateways never share one queue on one node.
/// Held until the process exits.
public struct DataDirectoryLock {
    let path: String

    init(directory: String) throws {
        path = (directory as NSString).appendingPathComponent("swiftlet.lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw GatewayError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw GatewayError(
                "another swiftlet is already running with the data directory \(directory) (it holds \(path))"
            )
        }
        // The descriptor stays open (and locked) for the life of the process.
    }

    /// Whether a gateway runs with this data directory now (it holds the lock).
    public static func isHeld(directory: String) -> Bool {
        let fd = open((directory as NSString).appendingPathComponent("swiftlet.lock"), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK
    }
}

/// A start-up failure, described for the admin.
public struct GatewayError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
