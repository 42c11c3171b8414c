import Foundation
import PRACore

/// The human-readable lines a `pra` step would print without `--json`, rebuilt from its JSON
/// document with the same PRACore summaries the command prints, so that `message_contains`
/// can match them although steps run with `--json --quiet`:
///
/// - backup: the backup's summary, `remote copy verified: ...` of its off-site copy (or the
///   copy's error), `retention deleted: ...`, its warnings;
/// - base and incremental backups: their summary and warnings;
/// - restore: its summary, `✓`/`✗ <check>: <message>` per check, `fallback: ...` per skipped
///   backup, `no valid local backup: restoring the remote copy ...`;
/// - verify: one summary per archive, the WAL archive's;
/// - status: the text report.
///
/// A failed command's one line (`pra: error: ...`) is on stderr already.
enum HumanMessages {
    static func lines(of action: StepAction, child: PraChild.Result) -> [String] {
        switch action {
        case .backup:
            guard let result = child.document(BackupResult.self) else { return [] }
            var lines = [result.summary]
            if let copy = result.remoteCopy { lines.append(copy.summary) }
            if let error = result.remoteCopyError { lines.append("remote copy failed: \(error)") }
            if !result.deletedByRetention.isEmpty { lines.append("retention deleted: \(result.deletedByRetention.joined(separator: ", "))") }
            return lines + result.warnings
        case .baseBackup:
            guard let result = child.document(BaseBackupResult.self) else { return [] }
            return [result.summary] + result.warnings
        case .incrementalBackup:
            guard let result = child.document(IncrementalBackupResult.self) else { return [] }
            return [result.summary] + result.warnings
        case .restore, .pointInTimeRestore:
            guard let result = child.document(RestoreResult.self) else { return [] }
            return [result.summary]
                + result.checks.map { "\($0.passed ? "✓" : "✗") \($0.name): \($0.message)" }
                + result.skippedBackups.map { "fallback: \($0)" }
                + result.fetchedFromRemote.map { "no valid local backup: restoring the remote copy \($0)" }
        case .verify:
            guard let report = child.document(VerificationReport.self) else { return [] }
            return report.archives.map(\.summary) + (report.wal.map { [$0.summary] } ?? [])
        case .status:
            guard let report = child.document(StatusReport.self) else { return [] }
            return report.text.split(separator: "\n").map(String.init)
        case .fault, .disaster, .wait, .mark:
            return []
        }
    }
}
