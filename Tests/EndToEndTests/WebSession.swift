import Foundation
import TestSupport
import Testing

/// A browser's session with a gateway's web interface, through curl and a cookie jar: the sign-in
/// form's CSRF token read from the page, then pages fetched with the session's cookie.
struct WebSession {
    let gateway: GatewayProcess
    let jar = FileManager.default.temporaryDirectory.appendingPathComponent("jar-\(UUID().uuidString)").path

    var curl: [String] { ["-s", "-c", jar, "-b", jar] }

    /// Signs in as `login`; the status and where the gateway sends the browser (303 on success).
    func signIn(_ login: String, _ password: String) async throws -> String {
        let form = try await MosquittoBroker.runDetached("/usr/bin/curl", curl + [gateway.baseURL + "/login"]).output
        let csrf = try #require(form.firstMatch(of: /name="csrf" value="([^"]+)"/)).output.1
        return try await MosquittoBroker.runDetached(
            "/usr/bin/curl",
            curl + [
                "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "--data-urlencode", "csrf=\(csrf)",
                "--data-urlencode", "login=\(login)", "--data-urlencode", "password=\(password)",
                gateway.baseURL + "/login",
            ]
        )
        .output
    }

    /// A page's body (`path` below the web interface's root, e.g. `/phonebook`).
    func get(_ path: String) async throws -> String {
        try await MosquittoBroker.runDetached("/usr/bin/curl", curl + [gateway.baseURL + path]).output
    }

    func end() { try? FileManager.default.removeItem(atPath: jar) }
}
