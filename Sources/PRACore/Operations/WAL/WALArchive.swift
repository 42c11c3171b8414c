import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The continuous WAL archive under `BACKUP_DIR/wal`.
///
/// Layout: `wal/archive.json` names the database system the archive belongs to and its
/// segment size; each archived file is `wal/<timeline+log file>/<NAME>-<sha256>.<gz|zst|lz4>`
/// (history files under `wal/timelines/`): one gzip, zstd or lz4 stream (`WAL_COMPRESSION`
/// when it was pushed) of the file PostgreSQL handed over, with the SHA-256 of its
/// uncompressed content in the name, so that a file is written once (temporary name, fsync,
/// link into place) and checked on every read. An archive may mix codecs; a name is found
/// whatever its suffix, and the suffix must agree with the stream's magic number.
public struct WALArchive: Sendable {
    public static let directoryName = "wal"
    public static let identityFileName = "archive.json"

    /// What the archive belongs to: written with the first segment, checked on every push.
    public struct Identity: Codable, Sendable, Equatable {
        public var formatVersion = 1
        /// PostgreSQL's database system identifier (a 64-bit number, as text).
        public var systemIdentifier: String
        public var segmentSize: UInt64
        public var createdAt: Date
    }

    /// One archived file.
    public struct File: Sendable, Hashable {
        public let name: WALFileName
        /// SHA-256 of the uncompressed content.
        public let sha256: String
        public let path: String
        public let compressedBytes: UInt64
        /// When it was archived (the file's modification time).
        public let archivedAt: Date
        /// The format, from the file name's suffix (checked against the content on every read).
        public var codec: CompressionCodec = .gzip
    }

    /// `BACKUP_DIR/wal`.
    public let root: String

    public init(backupDirectory: String) {
        root = (backupDirectory as NSString).appendingPathComponent(Self.directoryName)
    }

    public var identityPath: String { (root as NSString).appendingPathComponent(Self.identityFileName) }

    /// The identity, `nil` before the first segment was archived.
    public func identity() throws(WALArchiveError) -> Identity? {
        guard FileManager.default.fileExists(atPath: identityPath) else { return nil }
        guard let data = FileManager.default.contents(atPath: identityPath) else {
            throw .identityUnreadable(path: identityPath, reason: "cannot read the file")
        }
        do {
            return try JSONCoding.decoder.decode(Identity.self, from: data)
        } catch {
            throw .identityUnreadable(path: identityPath, reason: "not valid (\(JSONCoding.describe(error)))")
        }
    }

    /// Records the identity when the archive has none; checks it otherwise.
    func claim(for name: WALFileName, header: WALSegmentHeader) throws(WALArchiveError) -> Identity {
        let system = String(header.systemIdentifier)
        if let existing = try identity() {
            guard existing.systemIdentifier == system else {
                throw .foreignSystem(name: name.text, segmentSystem: system, archiveSystem: existing.systemIdentifier, directory: root)
            }
            return existing
        }
        let identity = Identity(systemIdentifier: system, segmentSize: header.segmentSize, createdAt: Date())
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw .file(FileError(operation: .mkdir, path: root, code: errno))
        }
        // Written under a name of this push's own and linked, never renamed over: two first
        // pushes at once (or two servers) cannot clobber each other's file; the loser checks the winner's.
        let data: Data
        do {
            data = try JSONCoding.encoder.encode(identity)
        } catch {
            throw .identityUnreadable(path: identityPath, reason: "cannot encode it (\(JSONCoding.describe(error)))")
        }
        do throws(FileError) {
            let staging = try WALStagingFile(directory: root, name: Self.identityFileName)
            try staging.write(data)
            try staging.link(as: identityPath)
        } catch {
            guard error.code == EEXIST else { throw .file(error) }
            return try claim(for: name, header: header)
        }
        return identity
    }

    func directory(for name: WALFileName) -> String {
        (root as NSString).appendingPathComponent(name.directoryName)
    }

    static func fileName(_ name: WALFileName, sha256: String, codec: CompressionCodec) -> String { "\(name.text)-\(sha256)\(codec.fileExtension)" }

    /// Parses `<NAME>-<sha256>.gz` (or `.zst`, `.lz4`).
    static func parse(fileName: String) -> (name: WALFileName, sha256: String, codec: CompressionCodec)? {
        guard let codec = CompressionCodec.allCases.first(where: { fileName.hasSuffix($0.fileExtension) }),
              let dash = fileName.lastIndex(of: "-") else { return nil }
        let sha = fileName[fileName.index(after: dash)...].dropLast(codec.fileExtension.count)
        guard sha.count == 64, sha.allSatisfy(\.isHexDigit), let name = WALFileName(String(fileName[..<dash])) else { return nil }
        return (name, String(sha), codec)
    }

    private func file(at path: String, name: WALFileName, sha256: String, codec: CompressionCodec) -> File {
        var info = stat()
        let found = stat(path, &info) == 0
        return File(name: name, sha256: sha256, path: path,
                    compressedBytes: found ? UInt64(info.st_size) : 0,
                    archivedAt: found ? Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9) : .distantPast,
                    codec: codec)
    }

    /// The archived copy of `name`, whatever its codec; `nil` when it is not archived.
    /// A directory that cannot be listed (other than one that does not exist) throws: recovery
    /// must not take "cannot tell" for "not archived". Copies with different content are
    /// ambiguous; copies of the same content in different codecs (pushed again after
    /// `WAL_COMPRESSION` changed) are one file: the first in codec order is returned.
    public func find(_ name: WALFileName) throws(WALArchiveError) -> File? {
        let directory = directory(for: name)
        let prefix = name.text + "-"
        let matches = try Self.list(directory)
            .filter { $0.hasPrefix(prefix) }
            .compactMap { entry in Self.parse(fileName: entry).flatMap { $0.name == name ? (entry: entry, sha256: $0.sha256, codec: $0.codec) : nil } }
            .sorted { Self.codecOrder($0.codec) < Self.codecOrder($1.codec) }
        guard let first = matches.first else { return nil }
        guard matches.allSatisfy({ $0.sha256 == first.sha256 }) else {
            throw .ambiguous(name: name.text, paths: matches.map { (directory as NSString).appendingPathComponent($0.entry) })
        }
        return file(at: (directory as NSString).appendingPathComponent(first.entry), name: name, sha256: first.sha256, codec: first.codec)
    }

    static func codecOrder(_ codec: CompressionCodec) -> Int { CompressionCodec.allCases.firstIndex(of: codec) ?? 0 }

    /// The entries of `directory`; none when it does not exist, an error when it cannot be read.
    static func list(_ directory: String) throws(WALArchiveError) -> [String] {
        guard let stream = opendir(directory) else {
            let code = errno
            if code == ENOENT { return [] }
            throw .file(FileError(operation: .open, path: directory, code: code))
        }
        defer { closedir(stream) }
        var entries: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                let code = errno
                if code != 0 { throw .file(FileError(operation: .read, path: directory, code: code)) }
                return entries
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { entries.append(name) }
        }
    }

    /// Why the archived `file` cannot be used (the compressed stream and its format, SHA-256, unreadable); `nil` when it is sound.
    public func damage(of file: File) -> String? {
        do {
            _ = try read(file) { _ in }
            return nil
        } catch WALArchiveError.corrupt(_, _, let reason) {
            return reason
        } catch {
            return "\(error)"
        }
    }

    /// Every archived file, in name order. A missing archive is empty.
    public func files() -> [File] {
        var found: [File] = []
        for directory in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            let path = (root as NSString).appendingPathComponent(directory)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                guard let parsed = Self.parse(fileName: entry), parsed.name.directoryName == directory else { continue }
                found.append(file(at: (path as NSString).appendingPathComponent(entry), name: parsed.name, sha256: parsed.sha256, codec: parsed.codec))
            }
        }
        return found.sorted { ($0.name, Self.codecOrder($0.codec)) < ($1.name, Self.codecOrder($1.codec)) }
    }

    /// Decompresses `file`, handing the content to `sink`, and checks that the stream is in the
    /// codec its name gives (magic number), the stream itself and the SHA-256 its name promises. Throws ``WALArchiveError/corrupt(name:path:reason:)`` on a
    /// mismatch (after `sink` has seen the bad bytes: callers write to a temporary file).
    ///
    /// `forRecovery`: a gzip file may be inflated whole with libdeflate first
    /// (``readWhole(_:sink:)``), for `pra wal get` only. libdeflate accepts a few malformed but
    /// decodable Huffman headers that zlib and stock `gunzip` refuse; the SHA-256 still proves
    /// the bytes recovery gets are right, but a verification must refuse such a file, so every
    /// other reader streams through zlib.
    public func read(_ file: File, forRecovery: Bool = false, sink: (UnsafeRawBufferPointer) throws -> Void) throws -> UInt64 {
        if forRecovery, let inflated = try readWhole(file, sink: sink) { return inflated }
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw WALArchiveError.unreadable(name: file.name.text, path: file.path, reason: String(cString: strerror(errno)))
        }
        defer { try? handle.close() }
        let inflater = try CheckedDecompressor(codec: file.codec)
        var hasher = SHA256()
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                try chunk.withUnsafeBytes { compressed in
                    try inflater.decompress(compressed) { plain in
                        hasher.update(bufferPointer: plain)
                        try sink(plain)
                    }
                }
            }
            try inflater.finish()
        } catch let error as CodecError {
            throw WALArchiveError.corrupt(name: file.name.text, path: file.path, reason: error.description)
        } catch let error as CocoaError {
            // A read error of the archived file itself (EIO, EISDIR): it cannot be used.
            let code = (error.userInfo[NSUnderlyingErrorKey] as? NSError)?.code ?? Int(EIO)
            throw WALArchiveError.unreadable(name: file.name.text, path: file.path, reason: String(cString: strerror(Int32(code))))
        }
        try Self.check(hasher.finalize().hex, of: file)
        return inflater.bytesOut
    }

    /// The content's SHA-256 must be the one the file's name promises.
    static func check(_ actual: String, of file: File) throws(WALArchiveError) {
        guard actual == file.sha256 else {
            throw .corrupt(name: file.name.text, path: file.path, reason: "content SHA-256 is \(actual.prefix(16))…, its name promises \(file.sha256.prefix(16))…")
        }
    }

    /// Inflated bytes at most for ``readWhole(_:sink:)``: a 16 MiB segment and up to 64 MiB ones
    /// (`wal_segment_size` goes to 1 GiB; larger ones stream).
    static let wholeReadLimit = 64 << 20

    /// A gzip file inflated whole with libdeflate (``WholeGzipInflater``), the way recovery
    /// fetches most segments: its SHA-256 checked before `sink` sees a byte. `nil` when the file
    /// is not gzip, too large, or fails to inflate: ``read(_:forRecovery:sink:)`` then streams
    /// it, and reports what is wrong with it exactly as it always does.
    func readWhole(_ file: File, sink: (UnsafeRawBufferPointer) throws -> Void) throws -> UInt64? {
        guard file.codec == .gzip, file.compressedBytes <= UInt64(Self.wholeReadLimit), let inflater = WholeGzipInflater(),
              let compressed = FileManager.default.contents(atPath: file.path), compressed.count <= Self.wholeReadLimit else { return nil }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.wholeReadLimit, alignment: 64)
        defer { output.deallocate() }
        guard let produced = compressed.withUnsafeBytes({ inflater.inflate($0, into: output) }) else { return nil }
        let plain = UnsafeRawBufferPointer(rebasing: output[0..<produced])
        try Self.check(SHA256.hash(data: plain).hex, of: file)
        try sink(plain)
        return UInt64(produced)
    }

    /// The ancestry of `timeline`, read from its archived history file (timeline 1 has none).
    public func history(of timeline: UInt32) -> TimelineHistory {
        guard timeline > 1, let name = WALFileName(String(format: "%08X.history", timeline)),
              let file = try? find(name) else { return TimelineHistory(rootTimeline: timeline) }
        var content = Data()
        guard (try? read(file, sink: { content.append(contentsOf: $0) })) != nil else { return TimelineHistory(rootTimeline: timeline) }
        return TimelineHistory(timeline: timeline, text: String(decoding: content, as: UTF8.self))
    }
}
