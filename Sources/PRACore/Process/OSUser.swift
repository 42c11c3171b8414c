import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An operating-system account that pra hands work to when it runs as root: PostgreSQL refuses
/// to run as root, and pra never runs psql, tar or a recovered server as root either, since each
/// of them reads content (a dump, a tar stream, a data directory) that a less privileged account
/// could have written.
public struct OSUser: Sendable, Equatable, CustomStringConvertible {
    public let uid: uid_t
    public let gid: gid_t
    public let name: String
    /// The account's home directory (children get it as `HOME`).
    public let home: String

    public init(uid: uid_t, gid: gid_t, name: String, home: String = "/") {
        self.uid = uid
        self.gid = gid
        self.name = name
        self.home = home
    }

    public var description: String { name }

    /// The account called `name`, from the password database.
    public static func named(_ name: String) -> OSUser? {
        guard let entry = getpwnam(name) else { return nil }
        return OSUser(entry.pointee)
    }

    /// The account with user id `uid`.
    public static func withID(_ uid: uid_t) -> OSUser? {
        guard let entry = getpwuid(uid) else { return nil }
        return OSUser(entry.pointee)
    }

    private init(_ entry: passwd) {
        self.init(uid: entry.pw_uid, gid: entry.pw_gid, name: String(cString: entry.pw_name), home: entry.pw_dir.map { String(cString: $0) } ?? "/")
    }

    /// True when this process runs as root (children must then be handed to an account).
    public static var processIsRoot: Bool { geteuid() == 0 }

    /// The account unprivileged work runs as when pra is root: `configured` (`RUN_AS_USER` or
    /// `--run-as`) when given, else `postgres`, else `nobody`. `nil` when pra is not root (children
    /// run as pra itself) or no such account exists.
    public static func unprivileged(configured: String? = nil) throws(ConfigurationError) -> OSUser? {
        guard processIsRoot else { return nil }
        if let configured, !configured.isEmpty {
            guard let user = named(configured) else {
                throw ConfigurationError("RUN_AS_USER=\(configured): no such OS user")
            }
            guard user.uid != 0 else {
                throw ConfigurationError("RUN_AS_USER=\(configured): must not be root (psql, tar and a recovered server never run as root)")
            }
            return user
        }
        return named("postgres") ?? named("nobody")
    }

    /// The owner of `path` (not following a final symbolic link), when it can be read.
    public static func owner(of path: String) -> uid_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_uid : nil
    }
}
