import Foundation

/// What a restore did, phase by phase, and what its checks found.
public struct RestoreResult: Codable, Sendable {
    /// A timed phase: choose backup, verify, create, load, check.
    public struct Phase: Codable, Sendable {
        public var name: String
        public var seconds: Double
    }

    /// One check of the restored database, reported as a ✓/✗ line.
    public struct Check: Codable, Sendable {
        public var name: String
        public var passed: Bool
        public var message: String
    }

    /// Loaded and every check passed.
    public private(set) var succeeded = false
    public var failure: String? {
        didSet { updateVerdict() }
    }
    public var failedStage: String?
    /// The archive loaded (after any fallback).
    public var archive: String?
    public var archiveHasManifest = false
    /// When the loaded backup was taken (from its manifest).
    public var backupFinishedAt: Date?
    /// Newer backups skipped because they failed verification, with the reason.
    public var skippedBackups: [String] = []
    /// Remote copies fetched from `REMOTE_TARGET` because no local backup was valid.
    public var fetchedFromRemote: [String] = []
    public var targetDatabase: String
    /// How the archive was loaded: over several connections, or one (and why).
    public var loadMethod: String?
    /// A parallel load: the most bytes of spill files that were on disk at once, and the
    /// ceiling it kept under (`RESTORE_SPILL_LIMIT`; passed only by a single row longer than
    /// about three quarters of it).
    public var peakSpillBytes: Int64?
    public var spillLimitBytes: Int64?
    /// A parallel load: the most chunks of one table that loaded at the same time.
    public var peakConnectionsPerTable: Int?
    public var phases: [Phase] = []
    public var checks: [Check] = [] {
        didSet { updateVerdict() }
    }
    public var startedAt: Date
    public var seconds: Double = 0
    public var reportFile: String?
    /// For `pra restore --pitr`: the point reached and the recovered server.
    public var pointInTime: PointInTimeDetails?
    /// Why the report file could not be written (the restore's own verdict is unchanged).
    public var reportError: String?
    /// The evidence log the restore's record was appended to (`EVIDENCE_FILE`).
    public var evidenceFile: String?
    /// Why its record could not be appended (the restore's own verdict is unchanged).
    public var evidenceError: String?

    public init(targetDatabase: String, startedAt: Date) {
        self.targetDatabase = targetDatabase
        self.startedAt = startedAt
    }

    private mutating func updateVerdict() {
        succeeded = failure == nil && !checks.isEmpty && checks.allSatisfy(\.passed)
    }

    /// One line for the terminal.
    public var summary: String {
        let name = archive.map { ($0 as NSString).lastPathComponent } ?? "no archive"
        if let failure { return "restore failed (\(failedStage ?? "?")): \(failure)" }
        let failed = checks.filter { !$0.passed }
        if !failed.isEmpty {
            return "restore of \(name) into \(targetDatabase) loaded but \(failed.count) check(s) failed: " + failed.map { "\($0.name): \($0.message)" }.joined(separator: "; ")
        }
        if let pitr = pointInTime {
            let reached = pitr.reachedTime.map { ", data as of \(RecoveryTarget.format($0))" } ?? ""
            return "recovered \(pitr.dataDirectory) from \(name) to \(pitr.target)\(reached) in \(DurationParser.format(seconds)); \(checks.count) checks passed; server \(pitr.serverRunning ? "running on port \(pitr.port)" : "stopped")"
        }
        return "restored \(name) into \(targetDatabase) in \(DurationParser.format(seconds)); \(checks.count) checks passed"
    }
}
