import Foundation

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

    /// The same operation, asking the target at most twice and waiting at most `timeout` per
    /// request: `pra status` must answer quickly even when the store does not.
    public func forMonitoring(timeout: Double) -> RemoteCopyOperation {
        guard var s3 = store as? S3RemoteStore else { return self }
        s3.client.maxRetries = min(s3.client.maxRetries, 1)
        s3.client.timeout = min(s3.client.timeout, timeout)
        return RemoteCopyOperation(store: s3, retention: nil)
    }

    /// How old the newest complete remote copy of the backups named `prefix` is: OK within
    /// `rpoTarget`, WARNING beyond it, when there is none, or when the target cannot be listed
    /// (the local backups still stand; the off-site copy is what is late).
    public func ageCheck(prefix: String, rpoTarget: Double, now: Date) -> StatusReport.Check {
        let newest: BackupArchiveName?
        do {
            newest = try completeBackups().first { $0.prefix == prefix }
        } catch {
            return .init(name: "remote copy age", level: .warning, message: "cannot list \(store.description): \(error)")
        }
        guard let newest else {
            return .init(name: "remote copy age", level: .warning, message: "no complete copy of \(prefix) backups on \(store.description)")
        }
        let age = max(0, now.timeIntervalSince(newest.timestamp))
        let text = "newest remote copy \(newest.fileName) on \(store.description) is \(DurationParser.format(age)) old"
        return .init(name: "remote copy age", level: age > rpoTarget ? .warning : .ok,
                     message: age > rpoTarget ? text + ", over the RPO target of \(DurationParser.format(rpoTarget))" : text, value: age)
    }
}
