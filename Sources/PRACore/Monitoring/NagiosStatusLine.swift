import Foundation

/// `pra status --nagios`: one plugin output line with performance data, and the Nagios
/// plugin exit code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
///
/// Format: `PRA <STATE> - <headline> | 'label'=value[UOM];[warn];[crit];[min];[max] ...`.
public struct NagiosStatusLine: Sendable {
    /// A Nagios service state.
    public enum State: String, Sendable {
        case ok = "OK", warning = "WARNING", critical = "CRITICAL", unknown = "UNKNOWN"

        /// The plugin exit code.
        public var exitCode: Int32 {
            switch self {
            case .ok: return 0
            case .warning: return 1
            case .critical: return 2
            case .unknown: return 3
            }
        }

        public init(_ level: StatusLevel) {
            switch level {
            case .ok: self = .ok
            case .warning: self = .warning
            case .critical: self = .critical
            }
        }
    }

    public let state: State
    /// The whole line, without a trailing newline.
    public let line: String

    /// The line for a completed status run.
    public init(report: StatusReport) {
        state = State(report.level)
        let summary = Self.clean(report.headline.hasPrefix("\(report.level.rawValue): ") ? String(report.headline.dropFirst(report.level.rawValue.count + 2)) : report.headline)
        line = "PRA \(state.rawValue) - \(summary) | " + Self.performanceData(report).joined(separator: " ")
    }

    /// The line for a status run that could not be made (configuration error, unexpected failure): UNKNOWN.
    public init(unknown reason: String) {
        state = .unknown
        line = "PRA UNKNOWN - " + Self.clean(reason)
    }

    /// Performance data: backup age against the RPO target, backup and database size, free
    /// space against the thresholds (`20:` means "alert below 20"), database latency.
    static func performanceData(_ report: StatusReport) -> [String] {
        let figures = report.measurements
        var data: [String] = []
        func number(_ value: Double) -> String {
            value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.3f", value)
        }
        if let age = figures[.backupAgeSeconds] {
            data.append("backup_age=\(number(age))s;;\(figures[.rpoTargetSeconds].map(number) ?? "");0;")
        }
        if let age = figures[.walArchiveAgeSeconds] {
            data.append("wal_age=\(number(age))s;;\(figures[.rpoTargetSeconds].map(number) ?? "");0;")
        }
        if let lag = figures[.remoteWALLagSeconds] {
            data.append("offsite_wal_lag=\(number(lag))s;;\(figures[.rpoTargetSeconds].map(number) ?? "");0;")
        }
        if let failing = figures[.archiverFailing] { data.append("archiver_failing=\(number(failing));;1;0;1") }
        if let size = figures[.backupSizeBytes] { data.append("backup_size=\(number(size))B;;;0;") }
        if let size = figures[.databaseSizeBytes] { data.append("database_size=\(number(size))B;;;0;") }
        if let latency = figures[.databaseLatencySeconds] { data.append("database_latency=\(String(format: "%.4f", latency))s;;;0;") }
        if let free = figures[.diskFreePercent] {
            let warn = figures[.diskWarnPercent].map { number($0) + ":" } ?? ""
            let critical = figures[.diskCriticalPercent].map { number($0) + ":" } ?? ""
            data.append("disk_free=\(String(format: "%.1f", free))%;\(warn);\(critical);0;100")
        }
        let counts = Dictionary(grouping: report.checks, by: \.level).mapValues(\.count)
        data.append("checks_critical=\(counts[.critical] ?? 0);;;0;")
        data.append("checks_warning=\(counts[.warning] ?? 0);;;0;")
        return data
    }

    /// Plugin output is one line, and `|` starts the performance data.
    static func clean(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "/").split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
