import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `pra verify --remote` and the "remote copy age" of `pra status`: the off-site copies judged
/// as the local ones are.
extension RemoteCopyOperation {
    /// Downloads each complete remote backup (newest first, one at a time, into `scratchDirectory`,
    /// removed afterwards) and verifies it end to end against its manifest. `limit`: only the newest ones.
    public func verifyRemote(scratchDirectory: String, limit: Int? = nil, progress: ProgressReporter? = nil) throws(RemoteError) -> [VerificationResult] {
        var backups = try completeBackups()
        if let limit { backups = Array(backups.prefix(limit)) }
        defer { try? FileManager.default.removeItem(atPath: scratchDirectory) }
        var results: [VerificationResult] = []
        for name in backups {
            var result: VerificationResult
            do throws(RemoteError) {
                let archive = try fetch(name, into: scratchDirectory)
                result = ArchiveVerifier().verify(archivePath: archive, manifestPath: archive + BackupArchiveName.manifestSuffix, requireManifest: true, progress: progress)
                try? FileManager.default.removeItem(atPath: archive)
                try? FileManager.default.removeItem(atPath: archive + BackupArchiveName.manifestSuffix)
            } catch {
                result = VerificationResult(archive: name.fileName)
                result.problems.append(.init(kind: .unreadable, message: error.description))
            }
            result.archive = "\(store.description)/\(name.fileName)"
            results.append(result)
        }
        return results
    }

    /// The base backups on the target (complete: their pra manifest, uploaded last, is there),
    /// oldest first, each checked without a local copy: the pra manifest parsed, the archive and
    /// PostgreSQL's `backup_manifest` read through (S3: streamed and hashed here; a directory:
    /// read here; ssh: `sha256sum` on the server) against the size and SHA-256 the manifest
    /// records. Only `systemIdentifier`'s when given: a shared target holds other clusters' too.
    public func verifyRemoteBaseBackups(systemIdentifier: String?, scratchDirectory: String) throws(RemoteError) -> [VerificationResult] {
        let names = Set(try store.list())
        let bases = names.compactMap { BackupArchiveName(fileName: $0, kind: .base) }.filter { names.contains($0.manifestFileName) }.sorted { $0.timestamp < $1.timestamp }
        guard !bases.isEmpty else { return [] }
        try? FileManager.default.createDirectory(atPath: scratchDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: scratchDirectory) }
        var results: [VerificationResult] = []
        for name in bases {
            let started = MonotonicClock.now()
            var result = VerificationResult(archive: "\(store.description)/\(name.fileName)")
            let path = (scratchDirectory as NSString).appendingPathComponent(name.manifestFileName)
            defer { unlink(path) }
            let manifest: BaseBackupManifest
            do {
                try store.download(name.manifestFileName, to: path)
                manifest = try BaseBackupManifest.load(path: path)
            } catch {
                result.problems.append(.init(kind: .manifestInvalid, message: "pra manifest \(name.manifestFileName): \(error)"))
                results.append(result)
                continue
            }
            if let systemIdentifier, manifest.systemIdentifier != systemIdentifier { continue }
            result.hasManifest = true
            result.database = manifest.database
            result.backupFinishedAt = manifest.finishedAt
            result.compressedBytes = manifest.compressedBytes
            if manifest.codec != name.codec {
                result.problems.append(.codecDisagreement(recorded: manifest.codec, named: name.codec, fileName: name.fileName))
            }
            for (file, size, sha256) in [(name.fileName, Optional(manifest.compressedBytes), manifest.sha256), (manifest.postgresManifest, nil, manifest.postgresManifestSHA256)] {
                do throws(RemoteError) {
                    let digest = try readThrough(file)
                    if file == name.fileName { result.sha256 = digest.sha256 }
                    if let size, digest.size != size {
                        result.problems.append(.init(kind: .sizeMismatch, message: "\(file) is \(digest.size) bytes off-site, its manifest says \(size)"))
                    } else if digest.sha256 != sha256 {
                        result.problems.append(.init(kind: .checksumMismatch, message: "\(file) off-site has SHA-256 \(digest.sha256.prefix(16))…, its manifest says \(sha256.prefix(16))…"))
                    }
                } catch {
                    result.problems.append(.init(kind: .unreadable, message: error.description))
                }
            }
            result.seconds = started.elapsed()
            results.append(result)
        }
        return results
    }

    /// Size and SHA-256 of `name` as stored, read through (never a digest the store recorded at upload).
    func readThrough(_ name: String) throws(RemoteError) -> FileDigest {
        try store.readThroughDigest(of: name)
    }

    /// The same operation, asking the target at most twice and waiting at most `timeout` per
    /// request: `pra status` must answer quickly even when the store does not.
    public func forMonitoring(timeout: Double) -> RemoteCopyOperation {
        RemoteCopyOperation(store: store.bounded(timeout: timeout), retention: nil)
    }

    /// How old the newest complete remote copy of the backups named `prefix` is: OK within
    /// `rpoTarget`, WARNING beyond it, when there is none, or when the target cannot be listed
    /// (the local backups still stand; the off-site copy is what is late).
    public func ageCheck(prefix: String, rpoTarget: Double, now: Date) -> StatusReport.Check {
        let newest: BackupArchiveName?
        do {
            newest = try completeBackups().first { $0.prefix == prefix }
        } catch {
            return .init(.remoteCopyAge, level: .warning, message: "cannot list \(store.description): \(error)")
        }
        guard let newest else {
            return .init(.remoteCopyAge, level: .warning, message: "no complete copy of \(prefix) backups on \(store.description)")
        }
        let age = max(0, now.timeIntervalSince(newest.timestamp))
        let text = "newest remote copy \(newest.fileName) on \(store.description) is \(DurationParser.format(age)) old"
        return .init(.remoteCopyAge, level: age > rpoTarget ? .warning : .ok,
                     message: age > rpoTarget ? text + ", over the RPO target of \(DurationParser.format(rpoTarget))" : text, value: age)
    }
}
