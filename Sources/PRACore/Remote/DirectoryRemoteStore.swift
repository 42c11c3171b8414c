import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Off-site copies in a directory: a mounted NFS share or backup volume.
public struct DirectoryRemoteStore: RemoteStore {
    public let directory: String
    public var description: String { directory }

    public init(directory: String) {
        self.directory = directory
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    public func prepare() throws(RemoteError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw RemoteError(target: description, operation: "prepare", message: "\(directory) is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw RemoteError(target: description, operation: "prepare", message: "cannot create \(directory): \(error.localizedDescription) (is the volume mounted?)")
        }
    }

    public func upload(_ localPath: String, as name: String) throws(RemoteError) {
        do {
            try Self.copy(localPath, to: path(Self.partialName(name)))
        } catch {
            throw RemoteError(target: description, operation: "upload", file: name, message: error.description)
        }
    }

    public func digest(of name: String, partial: Bool) throws(RemoteError) -> FileDigest {
        do {
            return try FileDigest(path: path(partial ? Self.partialName(name) : name))
        } catch {
            throw RemoteError(target: description, operation: "verify", file: name, message: error.description)
        }
    }

    public func finalize(_ name: String) throws(RemoteError) {
        guard rename(path(Self.partialName(name)), path(name)) == 0 else {
            throw RemoteError(target: description, operation: "rename", file: name, message: String(cString: strerror(errno)))
        }
        DurableFile.syncDirectory(of: path(name))
    }

    public func list() throws(RemoteError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            // A directory not created yet under an existing parent (REMOTE_TARGET/wal/ before
            // the first WAL copy) holds nothing: `pra wal get` must answer "not archived" there,
            // not "cannot tell".
            // Only a directory that does not exist (ENOENT), never one this account cannot read.
            var info = stat()
            if stat(directory, &info) != 0, errno == ENOENT,
               stat((directory as NSString).deletingLastPathComponent, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
                return []
            }
            throw RemoteError(target: description, operation: "list", message: error.localizedDescription)
        }
    }

    public func listDetailed(prefix: String) throws(RemoteError) -> [(name: String, modified: Date?)] {
        try list(prefix: prefix).map { name in
            var info = stat()
            guard stat(path(name), &info) == 0 else { return (name, nil) }
            return (name, Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9))
        }
    }

    public func delete(_ names: [String]) throws(RemoteError) {
        for name in names where unlink(path(name)) != 0 && errno != ENOENT {
            throw RemoteError(target: description, operation: "delete", file: name, message: String(cString: strerror(errno)))
        }
    }

    public func download(_ name: String, to localPath: String) throws(RemoteError) {
        do {
            try Self.copy(path(name), to: localPath)
        } catch {
            throw RemoteError(target: description, operation: "download", file: name, message: error.description)
        }
    }

    public func localPath(of name: String) -> String? { path(name) }

    public func stream(_ name: String, to deliver: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let input = FileHandle(forReadingAtPath: path(name)) else {
            throw RemoteError(target: description, operation: "download", file: name, message: FileError(operation: .open, path: path(name), code: errno).description)
        }
        defer { try? input.close() }
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
            try chunk.withUnsafeBytes { try deliver($0) }
        }
    }

    /// Streams `source` into a durable `destination` (temporary name, fsync, rename).
    static func copy(_ source: String, to destination: String) throws(FileError) {
        guard let input = FileHandle(forReadingAtPath: source) else { throw FileError(operation: .open, path: source, code: errno) }
        defer { try? input.close() }
        let output = try DurableFile(finalPath: destination, replacing: true)
        while true {
            let chunk: Data
            do {
                chunk = try input.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw FileError(operation: .read, path: source, code: EIO)
            }
            if chunk.isEmpty { break }
            try output.write(chunk)
        }
        try output.commit()
    }
}
