import Foundation

/// Where point-in-time recovery stops.
public enum RecoveryTarget: Sendable, Equatable, CustomStringConvertible {
    /// Everything archived.
    case latest
    /// The last commit at or before this moment.
    case time(Date)
    /// This WAL position.
    case lsn(LogSequenceNumber)
    /// A restore point made with `pg_create_restore_point(name)`.
    case name(String)

    public var description: String {
        switch self {
        case .latest: return "the latest archived point"
        case .time(let date): return RecoveryTarget.format(date)
        case .lsn(let lsn): return "LSN \(lsn)"
        case .name(let name): return "restore point \(name)"
        }
    }

    /// The `postgresql.conf` lines that set this target.
    var settings: [String: String] {
        switch self {
        case .latest: return [:]
        case .time(let date): return ["recovery_target_time": Self.postgresFormat(date)]
        case .lsn(let lsn): return ["recovery_target_lsn": lsn.description]
        case .name(let name): return ["recovery_target_name": name]
        }
    }

    /// ISO 8601 in UTC with microseconds (`2026-12-06T18:00:55.702249Z`): how a target is echoed.
    public static func format(_ date: Date) -> String {
        TimestampText.utc(date, separator: "T") + "Z"
    }

    /// `2026-12-01 14:01:30.250000+00`: the timestamptz form `recovery_target_time` accepts,
    /// with microseconds (PostgreSQL's own precision), so a target copied from `select now()`
    /// is not moved.
    static func postgresFormat(_ date: Date) -> String {
        TimestampText.utc(date, separator: " ") + "+00"
    }

    /// Parses `--target-time` and scenario marks: what `select now()`, the server log and
    /// `recovery_target_time` print (`2026-12-06 18:00:55.702249+00`, `... UTC`), ISO 8601
    /// (`2026-12-01T14:01:30Z`, `+01:00` offsets, fractional seconds), or
    /// `YYYY-MM-DD HH:MM[:SS[.fraction]]` without a zone: the machine's time zone (what `date`
    /// prints to the operator).
    public static func parseTime(_ text: String) -> Date? {
        TimestampText.parse(text)
    }
}
