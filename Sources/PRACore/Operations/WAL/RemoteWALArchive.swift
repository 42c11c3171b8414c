import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The off-site copy of the WAL archive: `REMOTE_TARGET/wal/`, flat, holding the local
/// archive's files under their local names (`<NAME>-<sha256>.gz`, `.zst` or `.lz4`, the
/// SHA-256 of the uncompressed content) and `archive.json`, the marker naming the database system whose WAL
/// it is (written by the first push or sync, checked by every push, sync and get).
///
/// Everything read from it is hostile until checked: a file is inflated against the SHA-256
/// its name promises, and what it is supposed to be is checked too (a segment's page header:
/// database system, segment size, position and timeline; a history or backup history file
/// parsed as `wal push` parses it). That catches rot, truncation and files put under the wrong
/// name; it cannot catch a forger who writes a consistent segment of this very system (there
/// is no signature).
public struct RemoteWALArchive: Sendable {
    public static let markerName = WALArchive.identityFileName
    public let store: any RemoteStore

    public init(store: any RemoteStore) {
        self.store = store
    }

    /// `REMOTE_TARGET/wal` with the store `configuration` describes; `nil` without `REMOTE_TARGET`.
    public init?(configuration: Configuration) throws(ConfigurationError) {
        guard let text = configuration[.remoteTarget] else { return nil }
        store = try RemoteTarget(text).appending(WALArchive.directoryName).store(configuration: configuration)
    }

    /// One file off-site.
    public struct Entry: Sendable, Hashable, Comparable {
        public let name: WALFileName
        /// SHA-256 of the uncompressed content, from the file name.
        public let sha256: String
        /// The format, from the file name's suffix (checked against the content when read).
        public let codec: CompressionCodec
        public var fileName: String { WALArchive.fileName(name, sha256: sha256, codec: codec) }

        public init(name: WALFileName, sha256: String, codec: CompressionCodec = .gzip) {
            self.name = name
            self.sha256 = sha256
            self.codec = codec
        }

        public static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.name.text, lhs.sha256, WALArchive.codecOrder(lhs.codec)) < (rhs.name.text, rhs.sha256, WALArchive.codecOrder(rhs.codec))
        }
    }

    /// The archive files among `names` (a listing), in name order; temporary uploads, the
    /// marker and anything else are left out.
    public static func entries(in names: [String]) -> [Entry] {
        names.compactMap { WALArchive.parse(fileName: $0) }.map { Entry(name: $0.name, sha256: $0.sha256, codec: $0.codec) }.sorted()
    }

    /// The files off-site whose names begin with `prefix` (all of them by default).
    public func entries(prefix: String = "") throws(RemoteError) -> [Entry] {
        Self.entries(in: try listing(prefix: prefix).map(\.name))
    }

    /// The store's listing; a directory target whose `wal/` was never created (nothing copied
    /// yet, the target itself there) is empty rather than an error (the stores see to that; one
    /// the account cannot read stays an error).
    public func listing(prefix: String = "") throws(RemoteError) -> [(name: String, modified: Date?)] {
        return try store.listDetailed(prefix: prefix)
    }

    /// The listing prefix that finds `name` with few neighbours: its timeline and log file
    /// (256 segments of 16 MiB), or the history file's own name.
    public static func listingPrefix(for name: WALFileName) -> String {
        name.kind == .history ? name.text : String(name.text.prefix(16))
    }

    /// The copy of `name` among `entries`, whatever its codec; `nil` when there is none. Two
    /// copies with different content: nobody can tell which is right, so neither is used; copies
    /// of the same content in different codecs are one file (the first in codec order is used).
    public func find(_ name: WALFileName, in entries: [Entry]) throws(RemoteWALError) -> Entry? {
        let matches = entries.filter { $0.name == name }.sorted { WALArchive.codecOrder($0.codec) < WALArchive.codecOrder($1.codec) }
        guard matches.allSatisfy({ $0.sha256 == matches[0].sha256 }) else { throw .ambiguous(name: name.text, locations: matches.map { "\(store.description)/\($0.fileName)" }) }
        return matches.first
    }

    /// The marker off-site; `nil` when there is none. `scratch`: a writable directory for the
    /// download (left as it was).
    public func identity(scratch: String) throws(RemoteWALError) -> WALArchive.Identity? {
        let path = (scratch as NSString).appendingPathComponent(".pra-marker-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json")
        defer { unlink(path) }
        do throws(RemoteError) {
            try store.download(Self.markerName, to: path)
        } catch {
            // A missing object fails differently in every store (404, ENOENT, ssh's exit
            // status): the listing tells "absent" from "the store failed".
            let present: Bool
            do throws(RemoteError) {
                present = try listing(prefix: Self.markerName).contains { $0.name == Self.markerName }
            } catch {
                throw .remote(error)
            }
            if !present { return nil }
            throw .remote(error)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .markerUnreadable(target: store.description, reason: "the downloaded copy cannot be read")
        }
        do {
            return try JSONCoding.decoder.decode(WALArchive.Identity.self, from: data)
        } catch {
            throw .markerUnreadable(target: store.description, reason: "not valid (\(JSONCoding.describe(error)))")
        }
    }

    /// Checks that the off-site copy belongs to `identity`'s database system; when it has no
    /// marker yet, uploads `markerPath` (the local `archive.json`) as its marker and reads it
    /// back: of two clusters claiming one path at once, the loser sees the winner's marker.
    public func claim(_ identity: WALArchive.Identity, markerPath: String, scratch: String) throws(RemoteWALError) {
        if let existing = try self.identity(scratch: scratch) {
            guard existing.systemIdentifier == identity.systemIdentifier else {
                throw .foreignSystem(target: store.description, remoteSystem: existing.systemIdentifier, localSystem: identity.systemIdentifier)
            }
            return
        }
        let digest: FileDigest
        do {
            digest = try FileDigest(path: markerPath)
        } catch {
            throw .file(error)
        }
        do throws(RemoteError) {
            try store.prepare()
            try store.put(markerPath, as: Self.markerName, expected: digest)
        } catch {
            throw .remote(error)
        }
        guard let written = try self.identity(scratch: scratch) else {
            throw .markerUnreadable(target: store.description, reason: "it was uploaded but is not listed")
        }
        guard written.systemIdentifier == identity.systemIdentifier else {
            throw .foreignSystem(target: store.description, remoteSystem: written.systemIdentifier, localSystem: identity.systemIdentifier)
        }
    }

    /// Downloads `entry` beside `destination` under a name of this process's own, inflates it
    /// into `destination` and checks it (the stream in the codec its name gives, the SHA-256 its name promises, what the
    /// file is: see ``contentProblem(of:header:content:bytes:identity:)``). Nothing is left
    /// at `destination` unless every check passed; the download is removed either way.
    /// - Parameter identity: the archive's system and segment size (the marker, else the local archive's).
    /// - Returns: the uncompressed size.
    public func fetch(_ entry: Entry, to destination: String, identity: WALArchive.Identity?, durably: Bool = false) throws(RemoteWALError) -> UInt64 {
        let directory = (destination as NSString).deletingLastPathComponent
        let download = ((directory.isEmpty ? "." : directory) as NSString).appendingPathComponent(".pra-download-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(entry.fileName)")
        defer { unlink(download) }
        do throws(RemoteError) {
            try store.download(entry.fileName, to: download)
        } catch {
            throw .remote(error)
        }
        return try inflate(download, entry: entry, to: destination, identity: identity, durably: durably)
    }

    /// Inflates the downloaded `compressed` copy of `entry` into `destination`, checked.
    func inflate(_ compressed: String, entry: Entry, to destination: String, identity: WALArchive.Identity?, durably: Bool) throws(RemoteWALError) -> UInt64 {
        let location = "\(store.description)/\(entry.fileName)"
        let file = WALArchive.File(name: entry.name, sha256: entry.sha256, path: compressed, compressedBytes: 0, archivedAt: .distantPast, codec: entry.codec)
        let keepsContent = entry.name.kind == .history || entry.name.kind == .backupLabel
        var header: [UInt8] = []
        var content = Data()
        let output: DurableFile
        do {
            output = try DurableFile(finalPath: destination, permissions: 0o600, replacing: true)
        } catch {
            throw .file(error)
        }
        let bytes: UInt64
        do {
            bytes = try WALArchive(backupDirectory: directory(of: compressed)).read(file) { chunk in
                if header.count < WALSegmentHeader.length { header += chunk.prefix(WALSegmentHeader.length - header.count) }
                if keepsContent && content.count <= TimelineHistory.maximumFileBytes { content.append(contentsOf: chunk) }
                try output.write(chunk)
            }
        } catch WALArchiveError.corrupt(_, _, let reason) {
            output.discard()
            throw .corrupt(name: entry.name.text, location: location, reason: reason)
        } catch let error as FileError {
            output.discard()
            throw .file(error)
        } catch {
            output.discard()
            throw .corrupt(name: entry.name.text, location: location, reason: "\(error)")
        }
        if let problem = Self.contentProblem(of: entry.name, header: header, content: content, bytes: bytes, identity: identity) {
            output.discard()
            throw .corrupt(name: entry.name.text, location: location, reason: problem)
        }
        do {
            try output.commit(durably: durably)
        } catch {
            throw .file(error)
        }
        return bytes
    }

    private func directory(of path: String) -> String { (path as NSString).deletingLastPathComponent }

    /// Why the inflated file is not what its name says; `nil` when it is. A segment: its page
    /// header (database system and segment size of `identity`, the position its name gives, a
    /// timeline no later than its name's) and its full size; a timeline history or backup
    /// history file: parsed as `wal push` parses it.
    static func contentProblem(of name: WALFileName, header: [UInt8], content: Data, bytes: UInt64, identity: WALArchive.Identity?) -> String? {
        switch name.kind {
        case .segment, .partial:
            switch WALSegmentHeader.parse(header) {
            case .failure(let problem):
                return "not a WAL segment: \(problem.reason)"
            case .success(let parsed):
                if name.kind == .segment && bytes != parsed.segmentSize {
                    return "\(bytes) bytes, but its header says segments are \(parsed.segmentSize) bytes"
                }
                return parsed.mismatch(for: name, system: identity?.systemIdentifier, segmentSize: identity?.segmentSize)
            }
        case .history:
            do {
                _ = try TimelineHistory.validated(timeline: name.timeline, content: content)
            } catch {
                return "not a valid timeline history (\(error))"
            }
        case .backupLabel:
            do {
                _ = try BackupHistoryLabel.validated(name: name, content: content, segmentSize: identity?.segmentSize ?? 16 << 20)
            } catch {
                return "not a valid backup history file (\(error))"
            }
        }
        return nil
    }
}
