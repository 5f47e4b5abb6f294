import CDispatch
import Crypto
import Foundation
import SwiftletPluginSDK

#if canImport(Glibc)
import Glibc
#endif

/// The plugins in the plugin directory, each checked before anything of it runs: the manifest
/// must parse, the library and manifest must resolve to files inside the directory (no symlink or
/// `..` out of it), nothing on the way from `/` to them may belong to or be writable by another user
/// (``pathProblem(_:what:)``), the ABI ranges must meet, and, with an allow-list, the library's SHA-256
/// must be on it.
public struct PluginCatalog: Sendable {
    public let directory: String
    /// Allowed SHA-256 digests of libraries (lower-case hex); empty: any library that passes the other checks.
    public let allowedDigests: Set<String>

    public init(directory: String, allowedDigests: Set<String> = []) {
        self.directory = directory
        self.allowedDigests = Set(allowedDigests.map { $0.lowercased() })
    }

    /// One `*.plugin.json` found in the directory.
    public struct Entry: Sendable {
        public var manifestPath: String
        public var manifest: PluginManifest?
        /// The library's resolved path, once it passed the checks.
        public var libraryPath: String?
        /// Why the plugin cannot be loaded; nil if it can.
        public var problem: String?

        /// The manifest's id, or while it has none, its file name without `.plugin.json`.
        public var id: String {
            manifest?.id ?? String((manifestPath as NSString).lastPathComponent.dropLast(".plugin.json".count))
        }
    }

    public struct DirectoryProblem: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Every plugin in the directory, in id order. Throws if the directory itself is unusable.
    public func scan() throws(DirectoryProblem) -> [Entry] {
        let root = try checkedDirectory()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        // A manifest must be named after its id, so no two entries can claim one id.
        return names.filter { $0.hasSuffix(".plugin.json") }.map { examine(root + "/" + $0, root: root) }
            .sorted { $0.id < $1.id }
    }

    /// The entry of plugin `id` (its `<id>.plugin.json`), nil if there is none; examines no other plugin.
    public func entry(id: String) throws(DirectoryProblem) -> Entry? {
        let root = try checkedDirectory()
        let path = root + "/" + id + ".plugin.json"
        guard PluginManifest.isValidID(id), FileManager.default.fileExists(atPath: path) else { return nil }
        return examine(path, root: root)
    }

    func checkedDirectory() throws(DirectoryProblem) -> String {
        guard let root = Self.realPath(directory) else {
            throw DirectoryProblem(description: "plugin directory \(directory) does not exist")
        }
        var info = Glibc.stat()
        guard stat(root, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw DirectoryProblem(description: "plugin directory \(directory) is not a directory")
        }
        if let problem = Self.pathProblem(root, what: "plugin directory \(directory)") {
            throw DirectoryProblem(description: "\(problem): refusing all of its plugins")
        }
        return root
    }

    /// Like sshd's `StrictModes`: why another user could change what is at `path` — it, or a directory
    /// above it, belongs to someone other than root and this process's user, or is writable by a group
    /// or by everyone. A directory owned by root with the sticky bit (`/tmp`) is fine above it: there,
    /// nobody may rename or remove what another user owns.
    static func pathProblem(_ path: String, what: String) -> String? {
        var info = Glibc.stat()
        guard stat(path, &info) == 0 else { return "\(what) cannot be examined (\(path))" }
        if let problem = modeProblem(info, path) { return "\(what) \(problem)" }
        var directory = (path as NSString).deletingLastPathComponent
        while !directory.isEmpty {
            guard stat(directory, &info) == 0 else { return "\(what): \(directory) cannot be examined" }
            let sticky = info.st_mode & S_ISVTX != 0 && info.st_uid == 0
            if !sticky, let problem = modeProblem(info, directory) {
                return "\(what) is inside \(directory), which \(problem)"
            }
            if directory == "/" { break }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// Why a file with `info` could be changed by another user; nil when it cannot.
    static func modeProblem(_ info: Glibc.stat, _ path: String) -> String? {
        if info.st_uid != 0, info.st_uid != geteuid() {
            return "belongs to user \(info.st_uid), neither root nor the gateway's user (chown root \(path))"
        }
        if info.st_mode & S_IWOTH != 0 { return "is writable by every user (chmod o-w \(path))" }
        if info.st_mode & S_IWGRP != 0 { return "is writable by its group (chmod g-w \(path))" }
        return nil
    }

    func examine(_ manifestPath: String, root: String) -> Entry {
        var entry = Entry(manifestPath: manifestPath)
        if let problem = Self.fileProblem(manifestPath, root: root, what: "manifest") {
            entry.problem = problem
            return entry
        }
        let manifest: PluginManifest
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: manifestPath))
            manifest = try JSONDecoder().decode(PluginManifest.self, from: data)
        } catch let error as DecodingError {
            entry.problem = "not a valid manifest: \(error.readableDescription(snakeCase: false))"
            return entry
        } catch {
            entry.problem = "cannot read the manifest: \(error.localizedDescription)"
            return entry
        }
        entry.manifest = manifest
        let expected = manifest.id + ".plugin.json"
        guard (manifestPath as NSString).lastPathComponent == expected else {
            entry.problem = "the manifest of '\(manifest.id)' must be called \(expected)"
            return entry
        }
        guard manifest.abi.meets(ABIVersion.supported) else {
            entry.problem =
                "speaks plugin ABI \(manifest.abi), this gateway \(PluginManifest.ABIRange(min: ABIVersion.supported.lowerBound, max: ABIVersion.supported.upperBound))"
            return entry
        }
        let library = root + "/" + manifest.library
        if let problem = Self.fileProblem(library, root: root, what: "library \(manifest.library)") {
            entry.problem = problem
            return entry
        }
        entry.libraryPath = Self.realPath(library)
        let fd = open(library, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            defer { close(fd) }
            if let problem = LibraryFile.problem(fd, against: manifest) {
                entry.problem = problem
                return entry
            }
        }
        if !allowedDigests.isEmpty {
            guard let digest = Self.sha256(ofFile: library) else {
                entry.problem = "cannot read library \(manifest.library)"
                return entry
            }
            guard allowedDigests.contains(digest) else {
                entry.problem = "library \(manifest.library) has SHA-256 \(digest), which is not in plugin_digests"
                return entry
            }
        }
        return entry
    }

    /// Why `path` may not be used: missing, resolving outside `root`, not a regular file, or world-writable.
    static func fileProblem(_ path: String, root: String, what: String) -> String? {
        guard let resolved = realPath(path) else { return "\(what) is missing (\(path))" }
        guard resolved.hasPrefix(root + "/") else {
            return "\(what) resolves to \(resolved), outside the plugin directory \(root)"
        }
        var info = Glibc.stat()
        guard stat(resolved, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            return "\(what) is not a regular file"
        }
        // The directories above it were checked with the plugin directory.
        return modeProblem(info, resolved).map { "\(what) \($0)" }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public static func sha256(ofFile path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return sha256(of: handle)
    }

    static func sha256(of handle: FileHandle) -> String? {
        var hasher = SHA256()
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 1 << 20)
            } catch {
                return nil
            }
            guard let chunk, !chunk.isEmpty else { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
