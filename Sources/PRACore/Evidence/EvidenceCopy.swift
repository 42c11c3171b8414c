import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The off-site copy of evidence logs, so that a central `pra report` can read many hosts:
/// `pra evidence push` copies this host's log to `REMOTE_TARGET/evidence/<host>-<database>.jsonl`
/// (uploaded under a temporary name, read back and matched, then renamed: as backups are), and
/// `pra evidence pull DIR` fetches every host's log into a directory.
///
/// What a store returns is hostile until checked: only plain names (`[A-Za-z0-9._+@-]`, ending in
/// `.jsonl`, no leading dot) are fetched, each download must match the store's size and SHA-256,
/// and a file in which no line is an evidence record is refused.
public struct EvidenceCopy: Sendable {
    /// The directory under `REMOTE_TARGET` that holds the logs.
    public static let directoryName = "evidence"

    public let store: any RemoteStore

    public init(store: any RemoteStore) {
        self.store = store
    }

    /// The copy `configuration` asks for (`REMOTE_TARGET/evidence`); `nil` when `REMOTE_TARGET` is unset.
    public init?(configuration: Configuration) throws(ConfigurationError) {
        guard let text = configuration[.remoteTarget] else { return nil }
        store = try RemoteTarget(text).appending(Self.directoryName).store(configuration: configuration)
    }

    /// The name of a host's log on the store: `<host>-<database>.jsonl`, every character outside
    /// `[A-Za-z0-9._+@-]` replaced by `_` (ssh paths and S3 keys take those literally).
    public static func remoteName(host: String, database: String) -> String {
        func clean(_ text: String) -> String {
            let mapped = String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._+@-".contains($0)) ? $0 : "_" })
            return mapped.isEmpty ? "_" : mapped
        }
        let name = clean(host) + "-" + clean(database) + ".jsonl"
        return name.hasPrefix(".") ? "_" + name.dropFirst() : name
    }

    /// Whether `name` is one this copy fetches: plain, visible, `.jsonl`.
    public static func isEvidenceName(_ name: String) -> Bool {
        name.hasSuffix(".jsonl") && name.count > ".jsonl".count && !name.hasPrefix(".") && name.utf8.count <= 255
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._+@-".contains($0)) }
    }

    /// What a push copied.
    public struct Pushed: Codable, Sendable, Equatable {
        /// The local log.
        public var file: String
        /// Where the copy is (the target without secrets, and the name).
        public var target: String
        public var name: String
        public var bytes: UInt64
        public var sha256: String
        public var seconds: Double
    }

    /// Copies `log` as it is now (a snapshot taken under its lock, so no append is half in it)
    /// to the store as `name`, read back and matched before it replaces the previous copy.
    public func push(_ log: EvidenceLog, as name: String) throws(OperationFailure) -> Pushed {
        let started = MonotonicClock.now()
        guard FileManager.default.fileExists(atPath: log.path) else {
            throw OperationFailure(stage: "push", message: "no evidence log at \(log.path) yet: pra status and pra restore write it (EVIDENCE_FILE)")
        }
        let snapshot: String
        do {
            snapshot = try Self.snapshot(log)
        } catch {
            throw OperationFailure(stage: "push", message: "cannot copy \(log.path) for the upload: \(error)")
        }
        defer { unlink(snapshot) }
        do {
            let digest = try FileDigest(path: snapshot)
            try store.prepare()
            try store.put(snapshot, as: name, expected: digest)
            return Pushed(file: log.path, target: store.description, name: name, bytes: digest.size, sha256: digest.sha256, seconds: started.elapsed())
        } catch {
            throw OperationFailure(stage: "push", error)
        }
    }

    /// A private copy of the log beside it (`.<name>.push-XXXXXX`, this account's only), made
    /// under the log's lock: appends wait, a compaction cannot swap the file mid-copy.
    static func snapshot(_ log: EvidenceLog) throws(FileError) -> String {
        let directory = (log.path as NSString).deletingLastPathComponent
        let name = (log.path as NSString).lastPathComponent
        var template = Array(((directory.isEmpty ? "." : directory) + "/.\(name).push-XXXXXX").utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw FileError(operation: .open, path: directory + "/.\(name).push-XXXXXX", code: errno) }
        let path = String(cString: template)
        let output = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        defer { try? output.close() }
        do {
            try log.file.withLock { () throws(FileError) in
                guard let input = FileHandle(forReadingAtPath: log.path) else { throw FileError(operation: .open, path: log.path, code: errno) }
                defer { try? input.close() }
                while true {
                    let chunk: Data
                    do {
                        chunk = try input.read(upToCount: 1 << 20) ?? Data()
                        if chunk.isEmpty { break }
                        try output.write(contentsOf: chunk)
                    } catch {
                        throw FileError(operation: .write, path: path, code: EIO)
                    }
                }
            }
        } catch {
            unlink(path)
            throw error
        }
        return path
    }

    /// One log fetched by ``pull(into:)``, or refused.
    public struct Pulled: Codable, Sendable, Equatable {
        public var name: String
        /// Where it was written; `nil` when refused.
        public var file: String?
        public var bytes: UInt64
        /// Usable records in it.
        public var records: Int
        /// Lines a report will skip (damaged, or of a newer pra).
        public var skippedLines: Int
        /// Why it was not fetched.
        public var problem: String?
    }

    /// Fetches every evidence log on the store into `directory` (created when missing), each
    /// through a private temporary file, matched against the store's digest and read as evidence
    /// before it replaces a file of the same name. Names that are not plain `.jsonl` names are
    /// listed as refused, never written.
    public func pull(into directory: String) throws(OperationFailure) -> [Pulled] {
        let names: [String]
        do {
            names = try store.list().sorted()
        } catch {
            throw OperationFailure(stage: "pull", error)
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw OperationFailure(stage: "pull", message: "cannot create \(directory): \(error.localizedDescription)")
        }
        var template = Array(((directory as NSString).appendingPathComponent(".pra-evidence-pull-XXXXXX")).utf8CString)
        guard let created = mkdtemp(&template) else {
            throw OperationFailure(stage: "pull", message: "cannot create a private directory in \(directory): \(String(cString: strerror(errno)))")
        }
        let scratch = String(cString: created)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var pulled: [Pulled] = []
        for name in names where !name.hasPrefix(".") {
            guard Self.isEvidenceName(name) else {
                pulled.append(Pulled(name: name, file: nil, bytes: 0, records: 0, skippedLines: 0, problem: "not a plain .jsonl name: not fetched"))
                continue
            }
            pulled.append(fetch(name, through: (scratch as NSString).appendingPathComponent(name), into: (directory as NSString).appendingPathComponent(name)))
        }
        return pulled
    }

    private func fetch(_ name: String, through temporary: String, into final: String) -> Pulled {
        var pulled = Pulled(name: name, file: nil, bytes: 0, records: 0, skippedLines: 0, problem: nil)
        do {
            let expected = try store.digest(of: name, partial: false)
            try store.download(name, to: temporary)
            let fetched = try FileDigest(path: temporary)
            pulled.bytes = fetched.size
            guard fetched == expected else {
                pulled.problem = "the download reads as \(fetched), the store holds \(expected): not kept"
                return pulled
            }
            let (records, skipped) = try EvidenceLog(path: temporary).read()
            pulled.records = records.count
            pulled.skippedLines = skipped.count
            guard !records.isEmpty || fetched.size == 0 else {
                pulled.problem = "no line of it is an evidence record (\(skipped.first?.reason ?? "empty")): not kept"
                return pulled
            }
            guard rename(temporary, final) == 0 else {
                pulled.problem = "cannot rename it into \(final): \(String(cString: strerror(errno)))"
                return pulled
            }
            DurableFile.syncDirectory(of: final)
            pulled.file = final
        } catch {
            pulled.problem = "\(error)"
        }
        return pulled
    }
}
