import CSwiftletPlugin
import Foundation

extension swiftlet_str {
    /// The bytes, copied.
    public var bytes: Data {
        guard let data, size > 0 else { return Data() }
        return Data(bytes: data, count: size)
    }

    /// The text, copied; invalid UTF-8 is repaired with U+FFFD.
    public var string: String { String(decoding: bytes, as: UTF8.self) }
}

extension String {
    /// Calls `body` with the string's UTF-8 bytes as a `swiftlet_str`, valid during the call.
    public func withSwiftletString<R>(_ body: (swiftlet_str) throws -> R) rethrows -> R {
        var copy = self
        return try copy.withUTF8 { buffer in
            try buffer.withMemoryRebound(to: CChar.self) {
                try body(swiftlet_str(data: $0.baseAddress, size: $0.count))
            }
        }
    }
}

extension Data {
    /// Calls `body` with the bytes as a `swiftlet_str`, valid during the call.
    public func withSwiftletString<R>(_ body: (swiftlet_str) throws -> R) rethrows -> R {
        try withUnsafeBytes { buffer in
            try body(swiftlet_str(data: buffer.baseAddress?.assumingMemoryBound(to: CChar.self), size: buffer.count))
        }
    }
}

/// Reads a field of a struct written by the other side only if that side's `struct_size` covers it,
/// so a struct from an older, smaller build reads as "absent" instead of past its end.
public enum ABIStruct {
    public static func field<S, F>(
        _ keyPath: KeyPath<S, F?>,
        of pointer: UnsafePointer<S>,
        size: UInt32
    ) -> F? {
        guard let offset = MemoryLayout<S>.offset(of: keyPath),
            offset + MemoryLayout<F?>.size <= Int(size)
        else { return nil }
        return UnsafeRawPointer(pointer).load(fromByteOffset: offset, as: F?.self)
    }
}

extension PluginError {
    /// The status code and detail to hand across the ABI for any error a plugin or host throws.
    public static func from(_ error: any Error) -> PluginError {
        switch error {
        case let error as PluginError: return error
        case let error as DecodingError: return PluginError(.invalid, error.readableDescription)
        default: return PluginError(.internalError, "\(error)")
        }
    }

    public var status: swiftlet_status { code.rawValue }
}

extension DecodingError {
    /// "keywords[0].reply: expected a text" rather than Foundation's debug dump. Key names are given
    /// in snake_case, as the configuration spells what `.convertFromSnakeCase` decoded.
    public var readableDescription: String { readableDescription(snakeCase: true) }

    /// The same, with key names as the coding keys spell them when `snakeCase` is false.
    public func readableDescription(snakeCase: Bool) -> String {
        func name(_ key: any CodingKey) -> String { snakeCase ? key.stringValue.snakeCased : key.stringValue }
        func path(_ context: Context) -> String {
            context.codingPath.reduce("") { path, key in
                if let index = key.intValue { return path + "[\(index)]" }
                return path.isEmpty ? name(key) : path + "." + name(key)
            }
        }
        switch self {
        case .keyNotFound(let key, let context):
            let base = path(context)
            return (base.isEmpty ? "" : base + ".") + "\(name(key)): required"
        case .typeMismatch(let type, let context): return "\(path(context)): expected \(Self.describe(type))"
        case .valueNotFound(let type, let context): return "\(path(context)): expected \(Self.describe(type))"
        case .dataCorrupted(let context):
            let base = path(context)
            return (base.isEmpty ? "" : base + ": ") + context.debugDescription
        @unknown default: return "\(self)"
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a text"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int32.Type, is Int64.Type, is UInt.Type: "a whole number"
        case is Double.Type, is Float.Type: "a number"
        default: "\(type)"
        }
    }
}

extension String {
    var snakeCased: String {
        var result = ""
        for character in self {
            if character.isUppercase, !result.isEmpty { result += "_" }
            result += character.lowercased()
        }
        return result
    }
}
