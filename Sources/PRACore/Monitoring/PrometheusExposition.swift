import Foundation

/// `pra status --prometheus FILE`: the status as Prometheus text exposition format, for
/// node_exporter's textfile collector.
///
/// The file is replaced atomically (written beside it as `.<name>.partial`, which the collector
/// ignores, fsynced, renamed), so a scrape never reads half a file.
public struct PrometheusExposition: Sendable {
    public let text: String

    /// Renders `report`. Metrics are gauges prefixed `pra_`; a figure that could not be
    /// measured (no backup yet, database down) is left out rather than reported as 0.
    /// `restoreTestAt`: when the newest successful restore started (``RestoreTestRecord``).
    public init(report: StatusReport, restoreTestAt: Date? = nil) {
        var lines: [String] = []
        let figures = report.measurements
        func gauge(_ name: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            guard !samples.isEmpty else { return }
            lines.append("# HELP pra_\(name) \(help)")
            lines.append("# TYPE pra_\(name) gauge")
            for sample in samples { lines.append("pra_\(name)\(sample.labels) \(Self.format(sample.value))") }
        }
        func figure(_ key: StatusReport.Measurement, _ help: String) {
            if let value = figures[key] { gauge(key.rawValue, help, [("", value)]) }
        }
        gauge("status_level", "Overall pra status: 0 OK, 1 WARNING, 2 CRITICAL.", [("", Double(report.level.severity))])
        gauge("check_level", "Level of each status check: 0 OK, 1 WARNING, 2 CRITICAL.",
              report.checks.map { ("{check=\"\(Self.escape($0.name))\"}", Double($0.level.severity)) })
        gauge("status_timestamp_seconds", "When pra status ran (Unix time).", [("", report.checkedAt.timeIntervalSince1970)])
        figure(.backupAgeSeconds, "Age of the newest complete backup, in seconds.")
        figure(.backupFinishedAt, "When the newest complete backup finished (Unix time).")
        figure(.backupSizeBytes, "Compressed size of the newest complete backup, in bytes.")
        figure(.verificationValid, "Result of the newest backup's last verification: 1 valid, 0 invalid (absent: not verified yet).")
        figure(.verifiedAt, "When the newest backup was last verified (Unix time).")
        figure(.databaseSizeBytes, "Size of the watched database, in bytes.")
        figure(.databaseLatencySeconds, "Time to connect to the database and run SELECT 1, in seconds.")
        figure(.diskFreeBytes, "Free bytes on the file system holding BACKUP_DIR.")
        figure(.diskFreePercent, "Free space on the file system holding BACKUP_DIR, in percent.")
        figure(.rpoTargetSeconds, "The configured RPO target (RPO_TARGET), in seconds.")
        figure(.walArchiveAgeSeconds, "Age of the newest archived WAL segment, in seconds.")
        figure(.walArchivedAt, "When the newest WAL segment was archived (Unix time).")
        figure(.archiverFailing, "1 when the server's archive_command is failing (pg_stat_archiver), else 0.")
        figure(.recoverableFrom, "Start of the point-in-time recovery window (Unix time).")
        figure(.recoverableTo, "End of the point-in-time recovery window (Unix time).")
        figure(.remoteWALLagSeconds, "Off-site WAL lag: how long the oldest archived WAL file not yet on REMOTE_TARGET has waited, in seconds (0: all off-site); the WAL a site loss would lose.")
        figure(.remoteWALQueueBytes, "Compressed bytes of archived WAL not yet on REMOTE_TARGET.")
        figure(.remoteRecoverableFrom, "Start of the point-in-time recovery window of the off-site copy alone (Unix time).")
        figure(.remoteRecoverableTo, "End of the point-in-time recovery window of the off-site copy alone (Unix time).")
        if let remote = report.check(.remoteCopyAge)?.value {
            gauge("remote_copy_age_seconds", "Age of the newest complete off-site copy (REMOTE_TARGET), in seconds.", [("", remote)])
        }
        if let restoreTestAt {
            gauge("restore_test_timestamp_seconds", "When the newest successful restore (its report in REPORT_DIR) started (Unix time).", [("", restoreTestAt.timeIntervalSince1970)])
        }
        text = lines.joined(separator: "\n") + "\n"
    }

    /// Writes the exposition to `path` atomically, mode 644 (node_exporter usually runs as another
    /// user); `-`, a link, a device or a FIFO is written through instead (``OutputFile``).
    public func write(to path: String) throws(FileError) {
        try OutputFile.write(Data(text.utf8), to: path, permissions: 0o644)
    }

    static func format(_ value: Double) -> String {
        if value.rounded() == value && abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.3f", value)
    }

    /// Label values escape backslash, double quote and newline.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
