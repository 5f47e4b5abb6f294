import CCurl
import Foundation

/// How a libcurl connection checks its peer.
public struct CurlTLS: Sendable {
    public var caFile: String?
    public var verify: Bool

    public init(caFile: String?, verify: Bool) {
        self.caFile = caFile
        self.verify = verify
    }
}

/// A libcurl failure: curl's code, its message, the server's last response code, and the detail
/// curl wrote to its error buffer.
public struct CurlError: Error, CustomStringConvertible {
    public var code: CURLcode
    public var responseCode: Int
    public var detail: String
    /// Whether the request left (its header was sent): if so, the server may have acted on it.
    public var requestSent: Bool
    public var description: String {
        let message = String(cString: curl_easy_strerror(code))
        let response = responseCode > 0 ? " (server answered \(responseCode))" : ""
        return detail.isEmpty || detail == message ? "\(message)\(response)" : "\(message): \(detail)\(response)"
    }
    /// The server refused for good (an SMTP 5xx): trying again will not help.
    public var isPermanent: Bool { (500...599).contains(responseCode) }
}

/// One libcurl easy handle, used from one thread at a time (the poller's or the sender's). Calls
/// block: never use it on the Swift concurrency pool. Consecutive requests to the same server
/// reuse the connection.
public final class Curl {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    static let initialise: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init() {
        Self.initialise
        handle = curl_easy_init()
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// What a request sets beyond the URL.
    public struct Request {
        public var url: String
        public var username: String?
        public var password: String?
        /// A bearer token: SASL XOAUTH2 for mail (IMAP, POP3, SMTP); `Authorization: Bearer` for HTTP.
        public var bearer: String?
        public var tls = CurlTLS(caFile: nil, verify: true)
        /// A command instead of the URL's default (IMAP `UID SEARCH UNSEEN`, POP3 `DELE`).
        public var customRequest: String?
        /// No body is transferred (POP3 DELE).
        public var noBody = false
        /// SMTP: envelope sender and recipients; `upload` is the message.
        public var mailFrom: String?
        public var mailRecipients: [String] = []
        /// The body to send (SMTP message, HTTP POST form or JSON).
        public var upload: Data?
        public var isPost = false
        public var requireTLS = false
        /// HTTP request header lines (`Content-Type: application/json`).
        public var headers: [String] = []
        /// Seconds for the whole transfer.
        public var timeout = 60
        /// Seconds to connect.
        public var connectTimeout = 15

        public init(url: String) { self.url = url }
    }

    /// What the server answered: its status code (HTTP, SMTP…), its header lines, and the body.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String]
        public var body: Data

        /// The value of header `name` (case-insensitive), the last one if repeated.
        public func header(_ name: String) -> String? {
            let prefix = name.lowercased() + ":"
            return headers.last { $0.lowercased().hasPrefix(prefix) }
                .map { $0.dropFirst(prefix.count).trimmingCharacters(in: .whitespacesAndNewlines) }
        }
    }

    /// Performs `request`; returns what the server sent (the body, or a custom command's untagged answers).
    public func perform(_ request: Request) throws(CurlError) -> Data {
        try send(request).body
    }

    /// Performs `request`; returns the server's answer, whatever its status code (an HTTP 500 is an
    /// answer, not an error): an error is a transfer that did not complete.
    public func send(_ request: Request) throws(CurlError) -> Response {
        curl_easy_reset(handle)
        final class Transfer {
            var received = Data()
            var headers: [String] = []
            var upload: Data
            var offset = 0
            init(upload: Data) { self.upload = upload }
        }
        let transfer = Transfer(upload: request.upload ?? Data())
        let context = Unmanaged.passRetained(transfer)
        defer { context.release() }
        var lists: [UnsafeMutablePointer<curl_slist>?] = []
        defer { for list in lists { curl_slist_free_all(list) } }
        errorBuffer[0] = 0

        func set(_ option: CURLoption, _ value: String?) {
            guard let value else { return }
            _ = swiftlet_curl_set_string(handle, option, value)  // libcurl copies strings
        }
        set(CURLOPT_URL, request.url)
        set(CURLOPT_USERNAME, request.username)
        set(CURLOPT_PASSWORD, request.password)
        let isHTTP = request.url.lowercased().hasPrefix("http")
        var headers = request.headers
        if let bearer = request.bearer {
            if isHTTP {
                headers.append("Authorization: Bearer \(bearer)")
            } else {
                set(CURLOPT_XOAUTH2_BEARER, bearer)
                set(CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2")
            }
        }
        if !headers.isEmpty {
            var list: UnsafeMutablePointer<curl_slist>?
            for header in headers { list = curl_slist_append(list, header) }
            lists.append(list)
            _ = swiftlet_curl_set_slist(handle, CURLOPT_HTTPHEADER, list)
        }
        _ = swiftlet_curl_set_pointer(handle, CURLOPT_HEADERDATA, context.toOpaque())
        _ = swiftlet_curl_set_function(handle, CURLOPT_HEADERFUNCTION) { buffer, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            if let buffer {
                let line = String(
                    decoding: UnsafeRawBufferPointer(start: UnsafeRawPointer(buffer), count: size * count),
                    as: UTF8.self
                )
                // A new response (after a 100 Continue or a redirect) starts with its status line.
                if line.hasPrefix("HTTP/") { transfer.headers = [] }
                transfer.headers.append(line.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return size * count
        }
        set(CURLOPT_CAINFO, request.tls.caFile)
        _ = swiftlet_curl_set_long(handle, CURLOPT_SSL_VERIFYPEER, request.tls.verify ? 1 : 0)
        _ = swiftlet_curl_set_long(handle, CURLOPT_SSL_VERIFYHOST, request.tls.verify ? 2 : 0)
        if request.requireTLS { _ = swiftlet_curl_set_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)) }
        set(CURLOPT_CUSTOMREQUEST, request.customRequest)
        if request.noBody { _ = swiftlet_curl_set_long(handle, CURLOPT_NOBODY, 1) }
        _ = swiftlet_curl_set_long(handle, CURLOPT_TIMEOUT, request.timeout)
        _ = swiftlet_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, request.connectTimeout)
        _ = swiftlet_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_PROTOCOLS_STR, "imap,imaps,pop3,pop3s,smtp,smtps,http,https")
        _ = swiftlet_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = swiftlet_curl_set_pointer(handle, CURLOPT_WRITEDATA, context.toOpaque())
        _ = swiftlet_curl_set_function(handle, CURLOPT_WRITEFUNCTION) { buffer, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            if let buffer {
                transfer.received.append(
                    UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self),
                    count: size * count
                )
            }
            return size * count
        }
        if let from = request.mailFrom {
            set(CURLOPT_MAIL_FROM, "<\(from)>")
            var list: UnsafeMutablePointer<curl_slist>?
            for recipient in request.mailRecipients { list = curl_slist_append(list, "<\(recipient)>") }
            lists.append(list)
            _ = swiftlet_curl_set_slist(handle, CURLOPT_MAIL_RCPT, list)
        }
        if request.upload != nil {
            if request.isPost {
                _ = swiftlet_curl_set_long(handle, CURLOPT_POST, 1)
                _ = swiftlet_curl_set_long(handle, CURLOPT_POSTFIELDSIZE, transfer.upload.count)
            } else {
                _ = swiftlet_curl_set_long(handle, CURLOPT_UPLOAD, 1)
                _ = swiftlet_curl_set_long(handle, CURLOPT_INFILESIZE, transfer.upload.count)
            }
            _ = swiftlet_curl_set_pointer(handle, CURLOPT_READDATA, context.toOpaque())
            _ = swiftlet_curl_set_function(handle, CURLOPT_READFUNCTION) { buffer, size, count, context in
                let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
                let length = min(size * count, transfer.upload.count - transfer.offset)
                guard length > 0, let buffer else { return 0 }
                transfer.upload.withUnsafeBytes { bytes in
                    UnsafeMutableRawPointer(buffer).copyMemory(
                        from: bytes.baseAddress! + transfer.offset,
                        byteCount: length
                    )
                }
                transfer.offset += length
                return length
            }
        }
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            throw CurlError(
                code: code,
                responseCode: swiftlet_curl_response_code(handle),
                detail: String(cString: errorBuffer),
                requestSent: swiftlet_curl_request_size(handle) > 0
            )
        }
        return Response(
            status: swiftlet_curl_response_code(handle),
            headers: transfer.headers.filter { !$0.isEmpty },
            body: transfer.received
        )
    }
}
