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

    /// ISO 8601 with milliseconds and offset: what PostgreSQL reads as a timestamptz.
    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// `2026-12-01 14:01:30.250+00`: the timestamptz form `recovery_target_time` accepts.
    static func postgresFormat(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        return formatter.string(from: date) + "+00"
    }

    /// Parses `--target-time`: ISO 8601 (`2026-12-01T14:01:30Z`, with an offset or fractions),
    /// or `YYYY-MM-DD HH:MM:SS` in the machine's time zone (what `date` prints to the operator).
    public static func parseTime(_ text: String) -> Date? {
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date }
        }
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_US_POSIX")
        local.timeZone = TimeZone.current
        for format in ["yyyy-MM-dd HH:mm:ss.SSS", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss"] {
            local.dateFormat = format
            if let date = local.date(from: text) { return date }
        }
        return nil
    }
}
