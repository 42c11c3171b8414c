import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Walks a running cluster's data directory the way pg_basebackup sends it, so that a base
/// backup pra reads itself (``DataDirectoryCopy``) holds what a `pg_basebackup` one holds:
///
/// - directories whose contents are never copied (rebuilt or meaningless after a restore):
///   `pg_wal` (with an empty `archive_status`; the WAL archive provides the WAL),
///   `pg_stat_tmp`, `pg_replslot`, `pg_dynshmem`, `pg_notify`, `pg_serial`, `pg_snapshots`,
///   `pg_subtrans`: the directory alone;
/// - files never copied: `postmaster.pid`, `postmaster.opts`, `backup_label`,
///   `tablespace_map`, `backup_manifest`, `pg_internal.init*`, `postgresql.auto.conf.tmp`,
///   `current_logfiles.tmp`, anything named `pgsql_tmp*`;
/// - in a database directory: temporary relations (`t<n>_<node>`) and every fork of an
///   unlogged relation but its init fork (recovery rebuilds them from it);
/// - `global/pg_control` last, after everything it describes.
///
/// Symbolic links are refused (pg_wal aside, sent as a directory): tablespaces are read
/// through `pg_basebackup`, and nothing else in a data directory is a link.
struct DataDirectoryWalk {
    struct Entry: Equatable {
        enum Kind: Equatable {
            case directory
            case file(size: UInt64)
        }
        /// Relative to the data directory, without a leading `./`.
        var path: String
        var kind: Kind
        var mode: UInt32
        /// Seconds since 1970.
        var modified: Int
    }

    static let contentsSkipped: Set<String> = ["pg_wal", "pg_stat_tmp", "pg_replslot", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots", "pg_subtrans"]
    static let filesSkipped: Set<String> = ["postmaster.pid", "postmaster.opts", "backup_label", "tablespace_map", "backup_manifest", "postgresql.auto.conf.tmp", "current_logfiles.tmp"]
    static let controlFile = "global/pg_control"

    /// The data directory, absolute.
    let root: String

    /// Calls `visit` with every entry to copy, parents before children, names sorted.
    func walk(_ visit: (Entry) throws -> Void) throws {
        try walk(directory: "", visit)
        try visit(try entry(Self.controlFile))
    }

    private func walk(directory relative: String, _ visit: (Entry) throws -> Void) throws {
        let absolute = relative.isEmpty ? root : (root as NSString).appendingPathComponent(relative)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: absolute).sorted()
        } catch {
            throw DataDirectoryReadError(path: absolute, reason: "cannot list the directory (\(error.localizedDescription))")
        }
        let unlogged = Self.unloggedRelations(in: names, directory: relative)
        for name in names {
            let path = relative.isEmpty ? name : relative + "/" + name
            if Self.isSkipped(name: name, path: path, unlogged: unlogged) { continue }
            var entry = try entry(path)
            if relative.isEmpty && name == "pg_wal" && entry.kind != .directory {
                // A pg_wal link (initdb --waldir) is sent as a directory, as pg_basebackup does.
                entry.kind = .directory
            }
            try visit(entry)
            guard entry.kind == .directory else { continue }
            if relative.isEmpty && Self.contentsSkipped.contains(name) {
                if name == "pg_wal" { try visit(Entry(path: "pg_wal/archive_status", kind: .directory, mode: entry.mode, modified: entry.modified)) }
                continue
            }
            try walk(directory: path, visit)
        }
    }

    /// The entry at `path`, by `lstat`: a regular file or a directory, else refused.
    private func entry(_ path: String) throws -> Entry {
        let absolute = (root as NSString).appendingPathComponent(path)
        var info = stat()
        guard lstat(absolute, &info) == 0 else {
            throw DataDirectoryReadError(path: absolute, reason: String(cString: strerror(errno)))
        }
        let mode = UInt32(info.st_mode) & 0o7777
        let modified = Int(info.st_mtim.tv_sec)
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return Entry(path: path, kind: .directory, mode: mode, modified: modified)
        case S_IFREG: return Entry(path: path, kind: .file(size: UInt64(info.st_size)), mode: mode, modified: modified)
        case S_IFLNK where path == "pg_wal": return Entry(path: path, kind: .directory, mode: 0o700, modified: modified)
        default: throw DataDirectoryReadError(path: absolute, reason: "neither a regular file nor a directory (a symbolic link, socket or device); take this backup with BASE_BACKUP_READ=stream")
        }
    }

    /// Whether `name` (at `path`) is left out of a base backup.
    static func isSkipped(name: String, path: String, unlogged: Set<Substring>) -> Bool {
        if path == controlFile { return true }
        if name.hasPrefix("pgsql_tmp") || name.hasPrefix("pg_internal.init") || filesSkipped.contains(name) { return true }
        guard isDatabaseDirectory(parent: (path as NSString).deletingLastPathComponent) else { return false }
        if isTemporaryRelation(name) { return true }
        let node = name.prefix { $0.isNumber }
        return !node.isEmpty && unlogged.contains(node) && !name.hasSuffix("_init")
    }

    /// Relation file nodes with an init fork in `names`: unlogged relations.
    static func unloggedRelations(in names: [String], directory: String) -> Set<Substring> {
        guard isDatabaseDirectory(parent: directory) else { return [] }
        var nodes = Set<Substring>()
        for name in names where name.hasSuffix("_init") {
            let node = name.dropLast(5)
            if !node.isEmpty && node.allSatisfy(\.isNumber) { nodes.insert(node) }
        }
        return nodes
    }

    /// `base/<oid>`: a database directory.
    static func isDatabaseDirectory(parent: String) -> Bool {
        let parts = parent.split(separator: "/")
        return parts.count == 2 && parts[0] == "base" && parts[1].allSatisfy(\.isNumber)
    }

    /// `t<backend>_<node>` with an optional fork and segment: a temporary relation's file.
    static func isTemporaryRelation(_ name: String) -> Bool {
        guard name.hasPrefix("t") else { return false }
        let rest = name.dropFirst()
        guard let underscore = rest.firstIndex(of: "_") else { return false }
        let backend = rest[..<underscore]
        let node = rest[rest.index(after: underscore)...].prefix { $0.isNumber }
        return !backend.isEmpty && backend.allSatisfy(\.isNumber) && !node.isEmpty
    }
}

/// A data directory entry pra cannot read or send.
struct DataDirectoryReadError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "\(path): \(reason)" }
}
