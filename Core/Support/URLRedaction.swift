import Foundation

extension URL {
    /// The URL as logs may show it: without user, password, query and fragment (a webhook's secret
    /// often travels in one of them); `?…` marks a query that was removed.
    public var redacted: String {
        var components = URLComponents(url: self, resolvingAgainstBaseURL: false)
        components?.user = nil
        components?.password = nil
        let hadQuery = components?.query != nil
        components?.query = nil
        components?.fragment = nil
        return (components?.string ?? "a URL") + (hadQuery ? "?…" : "")
    }
}
