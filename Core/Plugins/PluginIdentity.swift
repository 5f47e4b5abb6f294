#if canImport(Glibc)
import Glibc
#endif

/// What a plugin library's file says of itself, read before it is loaded: its identity and the
/// Swift toolchain it was built with. One read of the ELF file, used by the catalog and again by
/// the loader on the file it opened.
enum LibraryFile {
    /// Why the library open at `fd` may not be loaded under `manifest`; nil when it may.
    static func problem(_ fd: Int32, against manifest: PluginManifest) -> String? {
        let sections: ELFSections
        switch ELFSections.read(fd) {
        case .success(let read): sections = read
        case .failure(let malformed): return PluginIdentity.malformed(malformed.reason).problem(against: manifest)
        }
        return PluginIdentity.read(sections).problem(against: manifest)
            ?? SwiftToolchain.problem(sections, library: manifest.library)
    }
}

/// The id and version a library names itself with in its ELF section `.swiftlet_plugin`
/// (`SWIFTLET_PLUGIN_IDENTITY` in the header, ABI 1.3): read from the file, without loading it, so that
/// a library that is not its manifest's is refused before any of its code (a constructor) runs.
enum PluginIdentity: Equatable {
    /// The library has no such section (a plugin built before ABI 1.3, or without the macro).
    case absent
    case named(id: String, version: String)
    /// Not a 64-bit little-endian ELF file, or a section that does not hold an identity.
    case malformed(String)

    static let sectionName = ".swiftlet_plugin"
    static let magic = "swiftlet-plugin"

    static func read(_ sections: ELFSections) -> PluginIdentity {
        guard sections.names.contains(sectionName) else { return .absent }
        guard let content = sections.contents(of: sectionName, limit: 1024) else {
            return .malformed("its \(sectionName) section cannot be read")
        }
        let fields = content.split(separator: 0, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        guard fields.count >= 3, fields[0] == magic, !fields[1].isEmpty, !fields[2].isEmpty else {
            return .malformed("its \(sectionName) section is not \"\(magic)\\0ID\\0VERSION\"")
        }
        return .named(id: fields[1], version: fields[2])
    }

    /// Why a library with this identity may not be loaded under `manifest`; nil when it may.
    func problem(against manifest: PluginManifest) -> String? {
        switch self {
        case .absent: nil
        case .malformed(let reason): "library \(manifest.library): \(reason)"
        case .named(let id, let version) where id != manifest.id || version != manifest.version:
            "the library says it is '\(id)' \(version) (its \(Self.sectionName) section), but its manifest says '\(manifest.id)' \(manifest.version)"
        case .named: nil
        }
    }
}

/// The Swift toolchain a file was linked by, as far as the file tells.
///
/// Swift has no stable ABI on Linux: a Swift plugin built with another toolchain than the
/// gateway's may fail to load, or load and misbehave. Every Swift library and executable links the
/// toolchain's `swiftrt.o`, whose `.comment` names the toolchain's clang by its source commit
/// ("clang version 21.0.0 (https://github.com/swiftlang/llvm-project.git 11673e6…)"). A Swift
/// library that carries such marks, none of them the gateway's, is refused. Where either file has
/// none (stripped with `--remove-section=.comment`, as Debian's `dh_strip` does), nothing can be
/// told and the library is loaded; two releases built from the same clang are not told apart.
public enum SwiftToolchain {
    static let commentSection = ".comment"

    /// The toolchain marks among a file's `.comment` entries.
    static func marks(_ sections: ELFSections) -> Set<String> {
        guard let comment = sections.contents(of: commentSection, limit: 64 << 10) else { return [] }
        return Set(
            comment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.filter {
                $0.contains("/llvm-project") && ($0.contains("swiftlang/") || $0.contains("apple/"))
            }
        )
    }

    /// Whether the file holds Swift code (the runtime's metadata sections).
    static func isSwift(_ sections: ELFSections) -> Bool {
        sections.names.contains { $0.hasPrefix("swift5_") }
    }

    /// The marks of the running gateway's own executable.
    static let gateway: Set<String> = {
        let fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        guard case .success(let sections) = ELFSections.read(fd) else { return [] }
        return marks(sections)
    }()

    /// The toolchain that built the gateway, for `swiftlet --version`: its clang's commit,
    /// shortened as git shortens it; nil when the executable does not say.
    public static var gatewayCommit: String? {
        gateway.sorted().first.flatMap { $0.split(separator: " ").last }.map {
            String($0.filter(\.isHexDigit).prefix(12))
        }
    }

    /// Why a library with these sections may not be loaded into this gateway; nil when it may, or
    /// when it cannot be told.
    static func problem(
        _ sections: ELFSections,
        library: String,
        gateway: Set<String> = SwiftToolchain.gateway
    ) -> String? {
        guard isSwift(sections), !gateway.isEmpty else { return nil }
        let own = marks(sections)
        guard !own.isEmpty, own.isDisjoint(with: gateway) else { return nil }
        return "library \(library) was built with another Swift toolchain than this gateway "
            + "(its .comment says \"\(own.sorted().joined(separator: "; "))\", the gateway's "
            + "\"\(gateway.sorted().joined(separator: "; "))\"); Swift has no stable ABI on Linux, so "
            + "build the plugin with the toolchain `swiftlet --version` names"
    }
}

/// The section names of a 64-bit little-endian ELF file open at a descriptor, and their contents
/// on demand (read with `pread`, so the file's offset is left alone).
struct ELFSections {
    struct Malformed: Error { let reason: String }

    let names: [String]
    private let fd: Int32
    private let places: [(offset: UInt64, size: Int)]

    private init(fd: Int32, names: [String], places: [(offset: UInt64, size: Int)]) {
        self.fd = fd
        self.names = names
        self.places = places
    }

    /// The contents of the first section called `name`, if it is at most `limit` bytes and can be read.
    func contents(of name: String, limit: Int) -> [UInt8]? {
        guard let index = names.firstIndex(of: name), places[index].size <= limit else { return nil }
        return Self.bytes(fd, places[index].offset, places[index].size)
    }

    static func read(_ fd: Int32) -> Result<ELFSections, Malformed> {
        func integer(_ buffer: [UInt8], _ at: Int, _ size: Int) -> UInt64 {
            (0..<size).reduce(UInt64(0)) { $0 | UInt64(buffer[at + $1]) << (8 * UInt64($1)) }
        }
        guard let header = bytes(fd, 0, 64), header[0..<4] == [0x7F, 0x45, 0x4C, 0x46] else {
            return .failure(Malformed(reason: "not an ELF file"))
        }
        guard header[4] == 2, header[5] == 1 else {
            return .failure(Malformed(reason: "not a 64-bit little-endian ELF file"))
        }
        let tableOffset = integer(header, 0x28, 8)
        let entrySize = Int(integer(header, 0x3A, 2))
        let count = Int(integer(header, 0x3C, 2))
        let namesIndex = Int(integer(header, 0x3E, 2))
        guard entrySize >= 64, count > 0, namesIndex < count,
            let table = bytes(fd, tableOffset, entrySize * count)
        else { return .failure(Malformed(reason: "its section table cannot be read")) }
        let sections = (0..<count).map { index in
            let base = index * entrySize
            return (
                name: Int(integer(table, base, 4)), offset: integer(table, base + 0x18, 8),
                size: Int(integer(table, base + 0x20, 8))
            )
        }
        guard let nameTable = bytes(fd, sections[namesIndex].offset, sections[namesIndex].size) else {
            return .failure(Malformed(reason: "its section names cannot be read"))
        }
        func name(at offset: Int) -> String {
            guard offset < nameTable.count else { return "" }
            let end = nameTable[offset...].firstIndex(of: 0) ?? nameTable.count
            return String(decoding: nameTable[offset..<end], as: UTF8.self)
        }
        return .success(
            ELFSections(
                fd: fd,
                names: sections.map { name(at: $0.name) },
                places: sections.map { ($0.offset, $0.size) }
            )
        )
    }

    private static func bytes(_ fd: Int32, _ offset: UInt64, _ count: Int) -> [UInt8]? {
        guard count >= 0, count <= 16 << 20 else { return nil }
        var buffer = [UInt8](repeating: 0, count: count)
        let read = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        return read == count ? buffer : nil
    }
}
