import Foundation
import SwiftletDomain
import SwiftletStore
import Testing

@testable import SwiftletAPI

@Suite("brevis.one sessions")
struct BrevisSessionTests {
    @Test func aSessionEndsWhenItExpiresOrTheCredentialsChangeAndIsBoundToItsKey() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brevis-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(directory: directory)
        try await store.setPassword(user: "icinga", password: "s3cret-pass")
        let (user, _) = try #require(try await store.user(named: "icinga"))
        let sessions = await BrevisSessions(key: Array(repeating: 7, count: 32), users: store)

        let (jwt, expireAt) = try await sessions.sign(user)
        #expect(abs(expireAt.timeIntervalSinceNow - BrevisSessions.lifetime) < 5)
        #expect(await sessions.user(jwt)?.name == "icinga")
        // Signed an hour and a minute ago: expired.
        let (old, _) = try await sessions.sign(user, now: Date().addingTimeInterval(-BrevisSessions.lifetime - 60))
        #expect(await sessions.user(old) == nil)
        // Another gateway's key does not verify it.
        let other = await BrevisSessions(key: Array(repeating: 8, count: 32), users: store)
        #expect(await other.user(jwt) == nil)
        // A new access token changes the user's credentials: the session ends.
        _ = try await store.createAccessToken(user: "icinga")
        #expect(await sessions.user(jwt) == nil)
        let (fresh, _) = try await sessions.sign(user)
        #expect(await sessions.user(fresh)?.name == "icinga")
    }
}
