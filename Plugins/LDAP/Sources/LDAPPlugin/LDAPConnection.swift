import CLDAP
import Foundation

/// What went wrong talking to the directory: libldap's result code and text, and the server's (or
/// the TLS layer's) diagnostic.
struct LDAPError: Error, CustomStringConvertible {
    var code: Int32
    var operation: String
    var diagnostic: String
    /// What the admin should look at, when the plugin can tell more than libldap.
    var hint: String?

    var description: String {
        let text = String(cString: ldap_err2string(code))
        // GnuTLS's failures reach libldap's diagnostic as "(unknown error code)", which says nothing.
        let detail = diagnostic.isEmpty || diagnostic == "(unknown error code)" ? "" : " (\(diagnostic))"
        return "\(operation): \(text)\(detail)" + (hint.map { ": \($0)" } ?? "")
    }

    /// Wrong DN or password (`invalidCredentials`).
    var isInvalidCredentials: Bool { code == LDAP_INVALID_CREDENTIALS }
    /// The connection is gone or never came up: make a new one.
    var isConnectionLost: Bool { code == LDAP_SERVER_DOWN || code == LDAP_CONNECT_ERROR || code == LDAP_TIMEOUT }
}

/// How to reach the directory; the same for the service connection and each login's.
struct ConnectionOptions: Sendable, Equatable {
    enum Security: String, Sendable, Equatable {
        /// `ldaps://`: TLS from the first byte.
        case ldaps
        /// `ldap://` upgraded with the StartTLS operation before anything else is sent.
        case starttls
        /// Plaintext: only with `allow_plaintext`, and never a password to a host off this machine.
        case none
    }

    var urls: String
    var security: Security
    var caFile: String?
    /// `LDAP_OPT_X_TLS_DEMAND`: the certificate must chain to the CA and name the host.
    var verifyCertificate = true
    var timeout: Int
    var followReferrals = false
}

/// One entry of a search: its DN and its attributes by lower-cased name, values as UTF-8 text (a
/// binary value, such as Active Directory's `objectGUID`, in hexadecimal).
struct LDAPEntry: Sendable, Equatable {
    var dn: String
    var attributes: [String: [String]]

    func values(_ name: String) -> [String] { attributes[name.lowercased()] ?? [] }
    /// The first value of the first attribute of `names` that has one.
    func first(_ names: [String]) -> String? {
        for name in names { if let value = values(name).first(where: { !$0.isEmpty }) { return value } }
        return nil
    }
}

/// One connection to the directory through OpenLDAP's libldap. Blocking: use it from one thread at a
/// time, off the concurrency pool (``LDAPDirectory`` does).
final class LDAPConnection {
    private var ld: OpaquePointer?

    /// Sets up the connection; with StartTLS, negotiates TLS (and checks the certificate) at once.
    init(_ options: ConnectionOptions) throws(LDAPError) {
        var handle: OpaquePointer?
        let rc = ldap_initialize(&handle, options.urls)
        guard rc == LDAP_SUCCESS, let handle else {
            throw LDAPError(code: rc, operation: "ldap_initialize \(options.urls)", diagnostic: "")
        }
        ld = handle
        var version: Int32 = LDAP_VERSION3
        ldap_set_option(handle, LDAP_OPT_PROTOCOL_VERSION, &version)
        var timeout = timeval(tv_sec: options.timeout, tv_usec: 0)
        ldap_set_option(handle, LDAP_OPT_NETWORK_TIMEOUT, &timeout)
        ldap_set_option(handle, LDAP_OPT_TIMEOUT, &timeout)
        // LDAP_OPT_OFF is a null pointer; LDAP_OPT_ON any other.
        var on: Int32 = 1
        if options.followReferrals {
            ldap_set_option(handle, LDAP_OPT_REFERRALS, &on)
        } else {
            ldap_set_option(handle, LDAP_OPT_REFERRALS, nil)
        }
        if options.security != .none {
            if let caFile = options.caFile {
                _ = caFile.withCString { ldap_set_option(handle, LDAP_OPT_X_TLS_CACERTFILE, $0) }
            }
            var require: Int32 = options.verifyCertificate ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER
            ldap_set_option(handle, LDAP_OPT_X_TLS_REQUIRE_CERT, &require)
            // A new TLS context for this connection with the options above; it must come last.
            var server: Int32 = 0
            ldap_set_option(handle, LDAP_OPT_X_TLS_NEWCTX, &server)
        }
        if options.security == .starttls {
            try check(ldap_start_tls_s(handle, nil, nil), "StartTLS")
        }
    }

    deinit {
        if let ld { ldap_unbind_ext_s(ld, nil, nil) }
    }

    /// A simple bind. An empty password is refused here: LDAP would take it as an unauthenticated
    /// bind and answer success (RFC 4513 §5.1.2).
    func bind(dn: String, password: String) throws(LDAPError) {
        guard !password.isEmpty else {
            throw LDAPError(code: LDAP_INVALID_CREDENTIALS, operation: "bind", diagnostic: "empty password")
        }
        var bytes = Array(password.utf8)
        let rc = bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                var credential = berval(bv_len: ber_len_t(chars.count), bv_val: chars.baseAddress)
                return ldap_sasl_bind_s(ld, dn, nil, &credential, nil, nil, nil)
            }
        }
        try check(rc, "bind as \(dn)")
    }

    /// The entries under `base` that `filter` matches, in pages of `pageSize` (RFC 2696) when it is
    /// above 0, at most `sizeLimit` entries in all (0: no limit of ours).
    func search(
        base: String,
        scope: Int32 = LDAP_SCOPE_SUBTREE,
        filter: String,
        attributes: [String],
        pageSize: Int,
        sizeLimit: Int = 0
    ) throws(LDAPError) -> [LDAPEntry] {
        var entries: [LDAPEntry] = []
        var cookie = berval(bv_len: 0, bv_val: nil)
        defer { if cookie.bv_val != nil { ber_memfree(cookie.bv_val) } }
        let names = attributes.map { strdup($0) } + [nil]
        defer { for name in names { free(name) } }
        var attrs = names
        repeat {
            var control: UnsafeMutablePointer<LDAPControl>?
            if pageSize > 0 {
                let rc =
                    cookie.bv_len > 0
                    ? ldap_create_page_control(ld, ber_int_t(pageSize), &cookie, 0, &control)
                    : ldap_create_page_control(ld, ber_int_t(pageSize), nil, 0, &control)
                try check(rc, "paged results control")
            }
            defer { if let control { ldap_control_free(control) } }
            var controls: [UnsafeMutablePointer<LDAPControl>?] = [control, nil]
            var result: OpaquePointer?
            let rc = attrs.withUnsafeMutableBufferPointer { attrs in
                controls.withUnsafeMutableBufferPointer { controls in
                    ldap_search_ext_s(
                        ld,
                        base,
                        scope,
                        filter,
                        attrs.baseAddress,
                        0,
                        control == nil ? nil : controls.baseAddress,
                        nil,
                        nil,
                        Int32(clamping: sizeLimit),
                        &result
                    )
                }
            }
            defer { if let result { ldap_msgfree(result) } }
            guard rc == LDAP_SUCCESS || (rc == LDAP_SIZELIMIT_EXCEEDED && sizeLimit > 0), let result else {
                try check(rc == LDAP_SUCCESS ? LDAP_OTHER : rc, "search \(base) for \(filter)")
                break
            }
            entries += read(result)
            var code: Int32 = 0
            var returned: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?
            try check(ldap_parse_result(ld, result, &code, nil, nil, nil, &returned, 0), "search result")
            defer { if let returned { ldap_controls_free(returned) } }
            if code != LDAP_SUCCESS, !(code == LDAP_SIZELIMIT_EXCEEDED && sizeLimit > 0) {
                try check(code, "search \(base) for \(filter)")
            }
            if cookie.bv_val != nil {
                ber_memfree(cookie.bv_val)
                cookie = berval(bv_len: 0, bv_val: nil)
            }
            guard pageSize > 0, let returned, let response = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, returned, nil)
            else { break }
            var count: ber_int_t = 0
            try check(ldap_parse_pageresponse_control(ld, response, &count, &cookie), "paged results response")
            if sizeLimit > 0, entries.count >= sizeLimit { break }
        } while cookie.bv_len > 0
        return sizeLimit > 0 ? Array(entries.prefix(sizeLimit)) : entries
    }

    private func read(_ result: OpaquePointer) -> [LDAPEntry] {
        var entries: [LDAPEntry] = []
        var entry = ldap_first_entry(ld, result)
        while let current = entry {
            defer { entry = ldap_next_entry(ld, current) }
            guard let dnPointer = ldap_get_dn(ld, current) else { continue }
            let dn = String(cString: dnPointer)
            ldap_memfree(dnPointer)
            var attributes: [String: [String]] = [:]
            var ber: OpaquePointer?
            var attribute = ldap_first_attribute(ld, current, &ber)
            while let name = attribute {
                var values: [String] = []
                if let list = ldap_get_values_len(ld, current, name) {
                    var index = 0
                    while let value = list[index] {
                        let data = Data(bytes: value.pointee.bv_val, count: Int(value.pointee.bv_len))
                        values.append(
                            String(data: data, encoding: .utf8) ?? data.map { String(format: "%02x", $0) }.joined()
                        )
                        index += 1
                    }
                    ldap_value_free_len(list)
                }
                attributes[String(cString: name).lowercased(), default: []] += values
                ldap_memfree(name)
                attribute = ldap_next_attribute(ld, current, ber)
            }
            if let ber { ber_free(ber, 0) }
            entries.append(LDAPEntry(dn: dn, attributes: attributes))
        }
        return entries
    }

    private func check(_ rc: Int32, _ operation: String) throws(LDAPError) {
        guard rc != LDAP_SUCCESS else { return }
        var message: UnsafeMutablePointer<CChar>?
        ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &message)
        let diagnostic = message.map { String(cString: $0) } ?? ""
        if let message { ldap_memfree(message) }
        throw LDAPError(code: rc, operation: operation, diagnostic: diagnostic)
    }
}

/// Values put into filters and DNs, escaped so that they stay values.
enum LDAPEscaping {
    /// RFC 4515 §3: `*`, `(`, `)`, `\` and NUL as `\2a`, `\28`, `\29`, `\5c`, `\00`, by libldap's own
    /// `ldap_bv2escaped_filter_value`.
    static func filterValue(_ value: String) -> String {
        var bytes = Array(value.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                var input = berval(bv_len: ber_len_t(chars.count), bv_val: chars.baseAddress)
                var output = berval(bv_len: 0, bv_val: nil)
                guard ldap_bv2escaped_filter_value(&input, &output) == 0, let text = output.bv_val else {
                    return value.unicodeScalars.map { Self.hex($0) }.joined()
                }
                defer { ber_memfree(text) }
                return String(
                    decoding: UnsafeRawBufferPointer(start: text, count: Int(output.bv_len)),
                    as: UTF8.self
                )
            }
        }
    }

    /// RFC 4514 §2.4: an attribute value inside a DN. `,` `+` `"` `\` `<` `>` `;` `=` are escaped
    /// with a backslash, so are a leading `#` or space and a trailing space; NUL as `\00`.
    static func dnValue(_ value: String) -> String {
        var escaped = ""
        let scalars = Array(value.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            switch scalar {
            case ",", "+", "\"", "\\", "<", ">", ";", "=":
                escaped += "\\" + String(scalar)
            case "\0":
                escaped += "\\00"
            case "#" where index == 0, " " where index == 0 || index == scalars.count - 1:
                escaped += "\\" + String(scalar)
            default:
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    private static func hex(_ scalar: Unicode.Scalar) -> String {
        "*()\\\0".unicodeScalars.contains(scalar)
            ? String(format: "\\%02x", scalar.value) : String(scalar)
    }
}
