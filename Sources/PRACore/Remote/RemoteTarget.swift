import Foundation

/// A parsed `REMOTE_TARGET`: an absolute directory path, or `ssh://user@host[:port]/path`.
///
/// ssh runs the remote command through the remote user's shell, so an ssh path is held to a
/// strict character set (letters, digits, `/ . _ - + @`) and always single-quoted; a user or
/// host name with anything else is refused, with the variable named.
public enum RemoteTarget: Sendable, Equatable {
    case directory(String)
    case ssh(user: String, host: String, port: Int?, path: String)

    /// Parses `text`; the error names `REMOTE_TARGET` and what is wrong.
    public init(_ text: String) throws(ConfigurationError) {
        if text.hasPrefix("/") {
            self = .directory(text)
            return
        }
        guard text.hasPrefix("ssh://") else {
            throw ConfigurationError("REMOTE_TARGET=\(text) is neither an absolute directory path nor ssh://user@host[:port]/path")
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

    static func isSafeName(_ text: String, extra: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || extra.contains($0)) }
    }

    /// The same target, one directory further down (the WAL archive's copies go to `wal/`).
    public func appending(_ component: String) -> RemoteTarget {
        switch self {
        case .directory(let path): return .directory((path as NSString).appendingPathComponent(component))
        case let .ssh(user, host, port, path): return .ssh(user: user, host: host, port: port, path: (path as NSString).appendingPathComponent(component))
        }
    }

    /// The store for this target.
    public func store(sshKey: String? = nil, knownHosts: String? = nil, timeout: Double? = nil) -> any RemoteStore {
        switch self {
        case .directory(let path):
            return DirectoryRemoteStore(directory: path)
        case let .ssh(user, host, port, path):
            return SSHRemoteStore(user: user, host: host, port: port, directory: path, identityFile: sshKey, knownHostsFile: knownHosts, timeout: timeout)
        }
    }
}
