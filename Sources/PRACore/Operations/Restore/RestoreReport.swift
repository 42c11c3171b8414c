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
        let path = (directory as NSString).appendingPathComponent("pra_restore_report_\(BackupArchiveName.stamp(result.startedAt)).txt")
        try DurableFile.write(Data(text.utf8), to: path, permissions: 0o644)
        return path
    }
}
