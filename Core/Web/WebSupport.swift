import Foundation
import Hummingbird
import Mustache
import SwiftletAPI
import SwiftletSupport

/// A request the web interface refuses, shown as a page that says what to do.
struct WebError: Error {
    var status: HTTPResponse.Status
    var message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// A page of its own (it may be thrown before a user is known, so it needs no layout data).
    var page: Response {
        let html = """
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Swiftlet: \(status.code)</title>\
            <meta name="viewport" content="width=device-width, initial-scale=1"></head><body>\
            <main><h1>\(status.code) \(WebForm.escaped(status.reasonPhrase))</h1><p role="alert">\(WebForm.escaped(message))</p>\
            </main></body></html>
            """
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }
}

/// Reading forms, and the small text helpers the pages share.
enum WebForm {
    /// Longest form body accepted: a compose form with a long list of numbers pasted in.
    static let maximumBodySize = 1 << 20

    static func read(_ request: inout Request) async throws -> FormParameters {
        do {
            return try await FormParameters.read(&request, maximumBodySize: maximumBodySize)
        } catch {
            throw WebError(.contentTooLarge, "The form is larger than 1 MiB. Send fewer numbers at a time.")
        }
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        Secrets.constantTimeEqual(Array(a.utf8), Array(b.utf8))
    }

    static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    static func escaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}

/// The compiled-in templates and assets, rendered into pages.
struct WebRenderer: Sendable {
    let library: MustacheLibrary

    init() throws {
        var library = MustacheLibrary()
        for (name, bytes) in Self.templates {
            try library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        self.library = library
    }

    static let templates: [(String, [UInt8])] = [
        ("layout", PackageResources.layout_mustache),
        ("login", PackageResources.login_mustache),
        ("dashboard", PackageResources.dashboard_mustache),
        ("compose", PackageResources.compose_mustache),
        ("folder", PackageResources.folder_mustache),
        ("phonebook", PackageResources.phonebook_mustache),
        ("rules", PackageResources.rules_mustache),
        ("plugins", PackageResources.plugins_mustache),
        ("plugin", PackageResources.plugin_mustache),
        ("users", PackageResources.users_mustache),
        ("sensors", PackageResources.sensors_mustache),
    ]

    static let assets: [String: (type: String, bytes: [UInt8])] = [
        "swiftlet.css": ("text/css; charset=utf-8", PackageResources.swiftlet_css),
        "compose.js": ("text/javascript; charset=utf-8", PackageResources.compose_js),
    ]

    func render(_ model: Any, template: String) -> String {
        library.render(model, withTemplate: template) ?? ""
    }
}
