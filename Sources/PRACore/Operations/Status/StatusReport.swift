import Foundation

/// The levels of `pra status`, ordered by severity.
public enum StatusLevel: String, Codable, Sendable, Comparable {
    case ok = "OK", warning = "WARNING", critical = "CRITICAL"

    var severity: Int {
        switch self {
        case .ok: return 0
        case .warning: return 1
        case .critical: return 2
        }
    }

    public static func < (lhs: StatusLevel, rhs: StatusLevel) -> Bool { lhs.severity < rhs.severity }

    /// Exit code of `pra status`: 0 OK, 1 CRITICAL, 2 WARNING (a warning is not an outage).
    public var exitCode: Int32 {
        switch self {
        case .ok: return 0
        case .critical: return 1
        case .warning: return 2
        }
    }
}

/// The result of `pra status`: one check per line, and the worst level overall.
public struct StatusReport: Codable, Sendable {
    public struct Check: Codable, Sendable {
        public var name: String
        public var level: StatusLevel
        public var message: String
        /// A measured value, when the check has one (seconds, bytes, percent).
        public var value: Double?
    }

    /// Figures for monitoring exports (``PrometheusExposition``, ``NagiosStatusLine``), keyed by
    /// ``Measurement``. Not part of the `--json` document, which stays as it was.
    public var measurements: [Measurement: Double] = [:]

    /// The figures a status run measures beyond its checks' levels.
    public enum Measurement: String, Sendable, CaseIterable {
        case backupAgeSeconds = "backup_age_seconds"
        case backupSizeBytes = "backup_size_bytes"
        case backupFinishedAt = "backup_finished_timestamp_seconds"
        case verificationValid = "verification_valid"
        case verifiedAt = "verified_timestamp_seconds"
        case databaseSizeBytes = "database_size_bytes"
        case databaseLatencySeconds = "database_latency_seconds"
        case diskFreeBytes = "disk_free_bytes"
        case diskFreePercent = "disk_free_percent"
        case rpoTargetSeconds = "rpo_target_seconds"
        case diskWarnPercent = "disk_warn_percent"
        case diskCriticalPercent = "disk_critical_percent"
        case walArchiveAgeSeconds = "wal_archive_age_seconds"
        case walArchivedAt = "wal_archived_timestamp_seconds"
        case archiverFailing = "archiver_failing"
        case recoverableFrom = "recoverable_from_timestamp_seconds"
        case recoverableTo = "recoverable_to_timestamp_seconds"
        case remoteWALLagSeconds = "remote_wal_lag_seconds"
        case remoteWALQueueBytes = "remote_wal_queue_bytes"
        case remoteRecoverableFrom = "remote_recoverable_from_timestamp_seconds"
        case remoteRecoverableTo = "remote_recoverable_to_timestamp_seconds"
    }

    enum CodingKeys: String, CodingKey {
        case checkedAt, level, checks, evidenceError
    }

    /// Why the run's sample could not be appended to the evidence log (or the log compacted);
    /// the status's level is unchanged. In `--json` only when there is one.
    public var evidenceError: String?

    public var checkedAt: Date
    /// The worst level of all checks.
    public private(set) var level: StatusLevel
    public var checks: [Check] {
        didSet { level = Self.worst(checks) }
    }

    public init(checkedAt: Date, checks: [Check]) {
        self.checkedAt = checkedAt
        self.checks = checks
        level = Self.worst(checks)
    }

    static func worst(_ checks: [Check]) -> StatusLevel { checks.map(\.level).max() ?? .ok }

    /// Text for a terminal or a log: the overall level, then one line per check.
    public var text: String {
        var lines = ["pra status: \(level.rawValue)"]
        for check in checks {
            lines.append("  " + check.level.rawValue.padded(to: 9) + check.name.padded(to: 16) + check.message)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The first line naming the worst problem, for alerts and one-line summaries.
    public var headline: String {
        let worst = checks.filter { $0.level == level && level != .ok }
        if worst.isEmpty { return "OK: all \(checks.count) checks passed" }
        return "\(level.rawValue): " + worst.map { "\($0.name): \($0.message)" }.joined(separator: "; ")
    }
}
