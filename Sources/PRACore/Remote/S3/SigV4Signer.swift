import Crypto
import Foundation

/// AWS Signature Version 4: the `Authorization` header of one request.
///
/// Pure and deterministic (the date is a parameter), so it is checked against the published
/// SigV4 test vectors. The path and query are encoded here, once, the way S3 expects (S3 does
/// not normalise or double-encode paths); the payload hash is the caller's, so a streamed
/// upload signs the hash of the part it is about to send.
public struct SigV4Signer: Sendable {
    /// An access key; the secret and the session token never leave this value except into HMACs and the token header.
    public struct Credentials: Sendable, Equatable {
        public var accessKeyID: String
        public var secretAccessKey: String
        public var sessionToken: String?

        public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }
    }

    /// The pieces of one signature, kept for tests and `--verbose` diagnostics (no secret in them).
    public struct Signature: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signedHeaders: String
        public var signature: String
        public var authorization: String
        /// Every header to send: the caller's plus `x-amz-date` (and `x-amz-security-token`).
        public var headers: [String: String]
    }

    /// SHA-256 of the empty payload.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public var credentials: Credentials
    public var region: String
    public var service: String

    public init(credentials: Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Signs a request.
    /// - Parameters:
    ///   - path: the decoded path (`/bucket/key name`); each segment is percent-encoded here.
    ///   - query: decoded query parameters; encoded and sorted here.
    ///   - headers: headers to sign, `host` included.
    ///   - payloadHash: lower-case hex SHA-256 of the body (or `UNSIGNED-PAYLOAD`).
    public func sign(method: String, path: String, query: [(String, String)] = [], headers: [String: String],
                     payloadHash: String, date: Date) -> Signature {
        let (dateTime, day) = Self.timestamps(date)
        var headers = headers
        headers["X-Amz-Date"] = dateTime
        if let token = credentials.sessionToken { headers["X-Amz-Security-Token"] = token }
        let canonicalHeaders = headers
            .map { (name: $0.key.lowercased(), value: Self.trimmedHeaderValue($0.value)) }
            .sorted { $0.name < $1.name }
        let signedHeaders = canonicalHeaders.map(\.name).joined(separator: ";")
        let canonicalRequest = [
            method,
            Self.encodePath(path),
            Self.canonicalQuery(query),
            canonicalHeaders.map { "\($0.name):\($0.value)\n" }.joined(),
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", dateTime, scope, SHA256.hash(data: Data(canonicalRequest.utf8)).hex].joined(separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        let signature = HexDigest.hex(Data(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key)))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        headers["Authorization"] = authorization
        return Signature(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signedHeaders: signedHeaders,
                         signature: signature, authorization: authorization, headers: headers)
    }

    /// `20150830T123600Z` and `20150830`, in UTC.
    static func timestamps(_ date: Date) -> (String, String) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let day = String(format: "%04d%02d%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday))
        return (day + String(format: "T%02d%02d%02dZ", Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec)), day)
    }

    /// RFC 3986 unreserved characters stay; every other byte becomes `%XX` (upper-case hex).
    public static func encode(_ text: String, keepSlash: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        let slash = UInt8(ascii: "/")
        for byte in text.utf8 {
            if unreserved.contains(byte) || (keepSlash && byte == slash) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// The path as sent and as signed: every segment encoded, the slashes kept.
    public static func encodePath(_ path: String) -> String {
        path.isEmpty ? "/" : encode(path, keepSlash: true)
    }

    /// `a=1&b=2`, sorted by encoded name then value; also the query string that is sent.
    public static func canonicalQuery(_ query: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { (encode($0.0), encode($0.1)) }
        let sorted = encoded.sorted { (a, b) -> Bool in a.name == b.name ? a.value < b.value : a.name < b.name }
        return sorted.map { pair -> String in pair.name + "=" + pair.value }.joined(separator: "&")
    }

    /// Leading and trailing blanks removed, inner runs of blanks collapsed to one space.
    static func trimmedHeaderValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
    }
}
