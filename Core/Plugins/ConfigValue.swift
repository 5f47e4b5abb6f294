import Foundation

/// A configuration value as the admin wrote it (from YAML), with the line it is on, so that errors
/// can say where. Plugin sections are kept in this form until their manifest's schema checks them.
public indirect enum ConfigValue: Sendable, Equatable {
    /// A scalar; `quoted` if the admin quoted it (then it is text, whatever it looks like).
    case scalar(String, quoted: Bool, line: Int?)
    case sequence([ConfigValue], line: Int?)
    case mapping([Entry], line: Int?)

    public struct Entry: Sendable, Equatable {
        public var key: String
        public var keyLine: Int?
        public var value: ConfigValue

        public init(key: String, keyLine: Int?, value: ConfigValue) {
            self.key = key
            self.keyLine = keyLine
            self.value = value
        }
    }

    public var line: Int? {
        switch self {
        case .scalar(_, _, let line), .sequence(_, let line), .mapping(_, let line): line
        }
    }

    /// `key:` with nothing after it.
    var isEmpty: Bool {
        if case .scalar("", false, _) = self { return true }
        return false
    }
}
