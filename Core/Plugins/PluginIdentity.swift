#if canImport(Glibc)
import Glibc
#endif

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

    /// Reads the identity of the ELF file open at `fd` (with `pread`, so the offset is left alone).
    static func read(_ fd: Int32) -> PluginIdentity {
        func bytes(_ offset: UInt64, _ count: Int) -> [UInt8]? {
            guard count >= 0, count <= 16 << 20 else { return nil }
            var buffer = [UInt8](repeating: 0, count: count)
            let read = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            return read == count ? buffer : nil
        }
        func integer(_ buffer: [UInt8], _ at: Int, _ size: Int) -> UInt64 {
            (0..<size).reduce(UInt64(0)) { $0 | UInt64(buffer[at + $1]) << (8 * UInt64($1)) }
        }
        guard let header = bytes(0, 64), header[0..<4] == [0x7F, 0x45, 0x4C, 0x46] else {
            return .malformed("not an ELF file")
        }
        guard header[4] == 2, header[5] == 1 else { return .malformed("not a 64-bit little-endian ELF file") }
        let tableOffset = integer(header, 0x28, 8)
        let entrySize = Int(integer(header, 0x3A, 2))
        let count = Int(integer(header, 0x3C, 2))
        let namesIndex = Int(integer(header, 0x3E, 2))
        guard entrySize >= 64, count > 0, namesIndex < count,
            let table = bytes(tableOffset, entrySize * count)
        else { return .malformed("its section table cannot be read") }
        func section(_ index: Int) -> (name: Int, offset: UInt64, size: Int) {
            let base = index * entrySize
            return (Int(integer(table, base, 4)), integer(table, base + 0x18, 8), Int(integer(table, base + 0x20, 8)))
        }
        let names = section(namesIndex)
        guard let nameTable = bytes(names.offset, names.size) else {
            return .malformed("its section names cannot be read")
        }
        func name(at offset: Int) -> String {
            guard offset < nameTable.count else { return "" }
            let end = nameTable[offset...].firstIndex(of: 0) ?? nameTable.count
            return String(decoding: nameTable[offset..<end], as: UTF8.self)
        }
        guard let found = (0..<count).map(section).first(where: { name(at: $0.name) == sectionName }) else {
            return .absent
        }
        guard found.size <= 1024, let content = bytes(found.offset, found.size) else {
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
