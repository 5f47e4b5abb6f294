import CDispatch
import CSwiftletPlugin
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plugin library loaded into the process, and the descriptor it answered with.
///
/// Loaded with `RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE` and never closed: unloading Swift code
/// crashes the host. The checks are made on an open file, and the path must still name that same
/// file (device and inode) just before `dlopen`. (Loading through `/proc/self/fd/N` would close
/// even that window, but glibc treats equal names as one library, and descriptor numbers repeat.)
public struct PluginLibrary: @unchecked Sendable {
    // @unchecked: the descriptor is a copy; its pointers are to static data of a never-unloaded library.
    public let descriptor: swiftlet_plugin
    public let abiVersion: UInt32

    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// The smallest descriptor the host accepts: through `start`, the last required member.
    static let minimumDescriptorSize =
        MemoryLayout<swiftlet_plugin>.offset(of: \.start)! + MemoryLayout<UnsafeRawPointer>.size

    /// Loads the plugin of a catalog entry that passed its checks, and negotiates the ABI version.
    public static func load(
        _ entry: PluginCatalog.Entry,
        allowedDigests: Set<String>,
        hostVersions: ClosedRange<UInt32> = ABIVersion.supported
    ) throws(LoadError) -> PluginLibrary {
        guard let manifest = entry.manifest, let path = entry.libraryPath, entry.problem == nil else {
            throw LoadError(entry.problem ?? "not checked")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LoadError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = Glibc.stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, PluginCatalog.modeProblem(info, path) == nil
        else {
            throw LoadError("\(path) changed since it was checked (not a regular file, or another user may change it)")
        }
        if !allowedDigests.isEmpty {
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
            guard let digest = PluginCatalog.sha256(of: handle), allowedDigests.contains(digest) else {
                throw LoadError("\(path) changed since it was checked: its SHA-256 is not in plugin_digests")
            }
        }
        // Before any of its code runs: a library that names itself is checked against its manifest, and
        // a Swift library built with another toolchain is refused.
        if let problem = LibraryFile.problem(fd, against: manifest) { throw LoadError(problem) }
        var current = Glibc.stat()
        guard stat(path, &current) == 0, current.st_dev == info.st_dev, current.st_ino == info.st_ino else {
            throw LoadError("\(path) was replaced while it was being checked")
        }
        dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw LoadError("cannot load \(path): \(dlerror().map { String(cString: $0) } ?? "unknown error")")
        }
        guard let symbol = dlsym(handle, SWIFTLET_PLUGIN_ENTRY_SYMBOL) else {
            throw LoadError("\(manifest.library) does not export \(SWIFTLET_PLUGIN_ENTRY_SYMBOL)")
        }
        let entryPoint = unsafeBitCast(symbol, to: swiftlet_plugin_entry_fn.self)
        let range = "\(ABIVersion.format(hostVersions.lowerBound))–\(ABIVersion.format(hostVersions.upperBound))"
        guard let pointer = entryPoint(hostVersions.lowerBound, hostVersions.upperBound) else {
            throw LoadError("the plugin declined every ABI version this gateway offers (\(range))")
        }
        let size = Int(pointer.pointee.struct_size)
        guard size >= minimumDescriptorSize else {
            throw LoadError("its descriptor is \(size) bytes, too small for ABI 1 (at least \(minimumDescriptorSize))")
        }
        // Read only what the plugin wrote: a descriptor from an older, smaller build ends early and
        // the members it lacks stay NULL.
        var descriptor = swiftlet_plugin()
        withUnsafeMutableBytes(of: &descriptor) { target in
            target.copyMemory(
                from: UnsafeRawBufferPointer(start: UnsafeRawPointer(pointer), count: min(size, target.count))
            )
        }
        descriptor.struct_size = UInt32(min(size, MemoryLayout<swiftlet_plugin>.size))
        let version = descriptor.abi_version
        guard hostVersions.contains(version) else {
            throw LoadError("the plugin chose ABI \(ABIVersion.format(version)), outside the offered \(range)")
        }
        let id = descriptor.id.map { String(cString: $0) } ?? ""
        let pluginVersion = descriptor.version.map { String(cString: $0) } ?? ""
        guard id == manifest.id, pluginVersion == manifest.version else {
            throw LoadError(
                "the library says it is '\(id)' \(pluginVersion), but its manifest says '\(manifest.id)' \(manifest.version)"
            )
        }
        guard descriptor.create != nil, descriptor.start != nil else {
            throw LoadError("its descriptor lacks create or start")
        }
        return PluginLibrary(descriptor: descriptor, abiVersion: version)
    }
}
