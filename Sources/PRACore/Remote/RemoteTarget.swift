import Foundation

/// A parsed `REMOTE_TARGET`: an absolute directory path, `ssh://user@host[:port]/path` or
/// `s3://bucket[/prefix]`.
///
/// ssh runs the remote command through the remote user's shell, so an ssh path is held to a
/// strict character set (letters, digits, `/ . _ - + @`) and always single-quoted; a user or
/// host name with anything else is refused, with the variable named.
public enum RemoteTarget: Sendable, Equatable {
    case directory(String)
    case ssh(user: String, host: String, port: Int?, path: String)
    case s3(bucket: String, prefix: String)

    /// Parses `text`; the error names `REMOTE_TARGET` and what is wrong.
    public init(_ text: String) throws(ConfigurationError) {
        if text.hasPrefix("/") {
            self = .directory(text)
            return
        }
        if text.hasPrefix("s3://") {
            self = try Self.parseS3(text)
            return
        }
        guard text.hasPrefix("ssh://") else {
            // Never the user:password@ part: a URL pasted with credentials must not reach a log.
            throw ConfigurationError("REMOTE_TARGET=\(Self.withoutUserinfo(text)) is neither an absolute directory path, ssh://user@host[:port]/path nor s3://bucket/prefix")
        }
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty,
              let user = components.user, !user.isEmpty else {
            throw ConfigurationError("REMOTE_TARGET=\(text) is not ssh://user@host[:port]/path (user and host are required)")
        }
        guard components.password == nil else {
            throw ConfigurationError("REMOTE_TARGET must not hold a password: ssh uses key authentication (REMOTE_SSH_KEY)")
        }
        let path = components.path
        guard Self.isSafeName(user, extra: "._-"), !user.hasPrefix("-") else {
            throw ConfigurationError("REMOTE_TARGET user \(user) may only hold letters, digits, '.', '_' and '-'")
        }
        guard Self.isSafeName(host, extra: ".-"), !host.hasPrefix("-") else {
            throw ConfigurationError("REMOTE_TARGET host \(host) may only hold letters, digits, '.' and '-'")
        }
        guard path.hasPrefix("/"), path.count > 1, Self.isSafeName(path, extra: "/._-+@"),
              !path.split(separator: "/").contains("..") else {
            throw ConfigurationError("REMOTE_TARGET path \(path) must be absolute and hold only letters, digits and / . _ - + @ (no '..')")
        }
        self = .ssh(user: user, host: host, port: components.port, path: path)
    }

    /// `s3://bucket[/prefix]`: a bucket name as S3 allows it, a prefix of safe characters.
    ///
    /// An S3 key is taken literally, but the request path is normalised on its way (`/./`
    /// dropped, `//` merged): a prefix with `.`, `..` or empty segments would be signed for one
    /// path and checked for another, and fail only at the first upload (`SignatureDoesNotMatch`).
    /// It is refused here instead; one trailing `/` is harmless and dropped.
    static func parseS3(_ text: String) throws(ConfigurationError) -> RemoteTarget {
        let rest = text.dropFirst("s3://".count)
        let bucket = String(rest.prefix { $0 != "/" })
        guard !bucket.contains("@") else {
            throw ConfigurationError("REMOTE_TARGET must not hold credentials before '@' (\(withoutUserinfo(text))): the keys go in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE")
        }
        var segments = Array(rest.dropFirst(bucket.count).split(separator: "/", omittingEmptySubsequences: false).dropFirst())
        if segments.last == "" { segments.removeLast() }
        let prefix = segments.joined(separator: "/")
        if segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            throw ConfigurationError("REMOTE_TARGET prefix \(prefix) holds an empty, '.' or '..' segment: S3 keys are literal, write the prefix without them (s3://\(bucket)/db01)")
        }
        guard bucket.count >= 3, bucket.count <= 63, isSafeName(bucket, extra: ".-"), bucket == bucket.lowercased(),
              bucket.first?.isLetter == true || bucket.first?.isNumber == true else {
            throw ConfigurationError("REMOTE_TARGET bucket \(bucket) is not a valid bucket name (3-63 lower-case letters, digits, '.' and '-')")
        }
        guard prefix.isEmpty || (isSafeName(prefix, extra: "/._-+@") && !prefix.split(separator: "/").contains("..")) else {
            throw ConfigurationError("REMOTE_TARGET prefix \(prefix) may only hold letters, digits and / . _ - + @ (no '..')")
        }
        return .s3(bucket: bucket, prefix: prefix)
    }

    /// `text` without a `user:password@` part in its authority, for messages.
    static func withoutUserinfo(_ text: String) -> String {
        let schemeEnd = text.range(of: "://")
        let authorityStart = schemeEnd?.upperBound ?? text.startIndex
        let authorityEnd = text[authorityStart...].firstIndex { "/?#".contains($0) } ?? text.endIndex
        guard let at = text[authorityStart..<authorityEnd].lastIndex(of: "@") else { return text }
        return String(text[..<authorityStart]) + String(text[text.index(after: at)...])
    }

    static func isSafeName(_ text: String, extra: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || extra.contains($0)) }
    }

    /// The same target, one directory further down (the WAL archive's copies go to `wal/`).
    public func appending(_ component: String) -> RemoteTarget {
        switch self {
        case .directory(let path): return .directory((path as NSString).appendingPathComponent(component))
        case let .ssh(user, host, port, path): return .ssh(user: user, host: host, port: port, path: (path as NSString).appendingPathComponent(component))
        case let .s3(bucket, prefix): return .s3(bucket: bucket, prefix: prefix.isEmpty ? component : "\(prefix)/\(component)")
        }
    }

    /// The store for this target, with what `configuration` says about keys, endpoints and timeouts.
    public func store(configuration: Configuration) throws(ConfigurationError) -> any RemoteStore {
        let timeout = try configuration.seconds(.backupTimeout)
        guard case let .s3(bucket, prefix) = self else {
            return store(sshKey: configuration[.remoteSSHKey], knownHosts: configuration[.remoteSSHKnownHosts], timeout: timeout)
        }
        let region = configuration[.s3Region] ?? ""
        let endpointText = configuration[.s3Endpoint] ?? "https://s3.\(region).amazonaws.com"
        // Credentials written into the URL would be printed by every error that names the
        // endpoint: they are refused, and never shown.
        let shown = Self.withoutUserinfo(endpointText)
        guard let endpoint = URL(string: endpointText), let scheme = endpoint.scheme, ["http", "https"].contains(scheme), endpoint.host?.isEmpty == false else {
            throw ConfigurationError("S3_ENDPOINT=\(shown) is not an http:// or https:// URL")
        }
        guard endpoint.user == nil, endpoint.password == nil, shown == endpointText else {
            throw ConfigurationError("S3_ENDPOINT=\(shown) must not hold a user or password (the part before '@'): the keys go in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE")
        }
        let pathStyle: Bool
        switch try configuration.choice(.s3Addressing) {
        case "path": pathStyle = true
        case "virtual": pathStyle = false
        // auto. AWS itself: virtual-host style (bucket names with dots need path style over TLS); other stores: path style.
        default: pathStyle = configuration[.s3Endpoint] != nil || bucket.contains(".")
        }
        let signer = SigV4Signer(credentials: try S3Credentials.resolve(configuration), region: region)
        let client = S3Client(endpoint: endpoint, bucket: bucket, pathStyle: pathStyle, signer: signer,
                              maxRetries: try configuration.integer(.s3MaxRetries),
                              timeout: try configuration.seconds(.s3Timeout))
        return S3RemoteStore(client: client, prefix: prefix)
    }

    /// The store for this target.
    public func store(sshKey: String? = nil, knownHosts: String? = nil, timeout: Double? = nil) -> any RemoteStore {
        switch self {
        case .directory(let path):
            return DirectoryRemoteStore(directory: path)
        case let .ssh(user, host, port, path):
            return SSHRemoteStore(user: user, host: host, port: port, directory: path, identityFile: sshKey, knownHostsFile: knownHosts, timeout: timeout)
        case let .s3(bucket, prefix):
            // Without a configuration there are no credentials: every request is refused (use store(configuration:)).
            let signer = SigV4Signer(credentials: .init(accessKeyID: "", secretAccessKey: ""), region: "us-east-1")
            return S3RemoteStore(client: S3Client(endpoint: URL(string: "https://s3.amazonaws.com")!, bucket: bucket, pathStyle: false, signer: signer), prefix: prefix)
        }
    }
}
