import Foundation
import SwiftletDomain

/// A secret key of this gateway, kept in a file of the data directory (mode 0600), made with 32
/// random bytes the first time it is needed. It signs what the gateway hands out and checks later
/// (brevis.one session tokens); deleting the file ends every session at the next start.
enum SigningKey {
    static func load(directory: String, name: String) throws -> [UInt8] {
        let path = (directory as NSString).appendingPathComponent(name)
        if let data = FileManager.default.contents(atPath: path), data.count >= 32 {
            return [UInt8](data)
        }
        var key = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in key.indices { key[index] = generator.next() }
        guard FileManager.default.createFile(atPath: path, contents: Data(key), attributes: [.posixPermissions: 0o600])
        else {
            throw SwiftletError(
                .storage,
                "cannot write the signing key \(path): check the data directory's permissions"
            )
        }
        return key
    }
}
