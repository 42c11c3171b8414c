import Foundation

/// The text report `pra_restore_report_<YYYYMMDD_HHMMSS>.txt`: one ✓/✗ line per check and
/// the duration of each phase.
public struct RestoreReport {
    public let result: RestoreResult

    public init(result: RestoreResult) {
        self.result = result
    }

    public var text: String {
        var lines: [String] = []
        lines.append("pra restore report")
        lines.append("==================")
        lines.append("started:  \(ISO8601DateFormatter().string(from: result.startedAt))")
        lines.append("target:   \(result.targetDatabase)")
        lines.append("archive:  \(result.archive ?? "none")\(result.archive != nil && !result.archiveHasManifest ? " (no manifest)" : "")")
        if let pitr = result.pointInTime {
            lines.append("recovery: point in time, target \(pitr.target)")
            lines.append("data directory: \(pitr.dataDirectory) (port \(pitr.port), socket \(pitr.socketDirectory), \(pitr.serverRunning ? "running" : "stopped"))")
            if let reached = pitr.reachedTime { lines.append("reached:  last replayed commit at \(ISO8601DateFormatter().string(from: reached))\(pitr.reachedLSN.map { ", LSN \($0)" } ?? "")") }
            lines.append("server log: \(pitr.serverLog)")
        }
        if let taken = result.backupFinishedAt {
            lines.append("backup taken: \(ISO8601DateFormatter().string(from: taken))")
        }
        for skipped in result.skippedBackups {
            lines.append("fallback: \(skipped)")
        }
        for fetched in result.fetchedFromRemote {
            lines.append("remote copy: fetched \(fetched)")
        }
        lines.append("verdict:  \(result.succeeded ? "SUCCESS" : "FAILED")")
        if let failure = result.failure {
            lines.append("failure:  \(result.failedStage ?? "?"): \(failure)")
        }
        lines.append("")
        lines.append("Checks")
        for check in result.checks {
            lines.append("\(check.passed ? "✓" : "✗") \(check.name): \(check.message)")
        }
        if result.checks.isEmpty { lines.append("(none: the restore stopped before the checks)") }
        lines.append("")
        lines.append("Phases")
        for phase in result.phases {
            lines.append("  " + phase.name.padded(to: 14) + String(format: "%8.2f s", phase.seconds))
        }
        lines.append("  " + "total".padded(to: 14) + String(format: "%8.2f s", result.seconds))
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the report into `directory` durably; returns its path.
    public func write(to directory: String) throws(FileError) -> String {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw FileError(operation: .mkdir, path: directory, code: errno)
        }
        // Never replaces a report: restores in the same second get `_2`, `_3`, ... The text is
        // written and fsynced under a name of this process's own, then linked into place: two
        // processes can never take the same name.
        let stem = "pra_restore_report_\(BackupArchiveName.stamp(result.startedAt))"
        let temporary = (directory as NSString).appendingPathComponent(".\(stem).\(getpid()).\(UUID().uuidString.prefix(8)).partial")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(operation: .open, path: temporary, code: errno) }
        defer { unlink(temporary) }
        let bytes = Array(text.utf8)
        var failure: FileError?
        bytes.withUnsafeBytes { buffer in
            do {
                _ = try FileDescriptorWriter(fd: fd, path: temporary).write(buffer, alreadyWritten: 0)
            } catch {
                failure = error as? FileError
            }
        }
        if let failure {
            close(fd)
            throw failure
        }
        guard fsync(fd) == 0 else {
            let code = errno
            close(fd)
            throw FileError(operation: .fsync, path: temporary, code: code)
        }
        close(fd)
        var attempt = 1
        while true {
            let path = (directory as NSString).appendingPathComponent(attempt == 1 ? "\(stem).txt" : "\(stem)_\(attempt).txt")
            if link(temporary, path) == 0 {
                DurableFile.syncDirectory(of: path)
                return path
            }
            guard errno == EEXIST, attempt < 100_000 else { throw FileError(operation: .rename, path: path, code: errno) }
            attempt += 1
        }
    }
}
