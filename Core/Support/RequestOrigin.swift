/// Which HTTP API is handling the current request ("apiv1", "apiv2", "pixie", "brevis", "web", …),
/// set by the API's authentication middleware for the handler's task, so that what the handler
/// causes deeper down (a message queued) can be counted by API without passing it through.
public enum RequestOrigin {
    @TaskLocal public static var api: String?
}
