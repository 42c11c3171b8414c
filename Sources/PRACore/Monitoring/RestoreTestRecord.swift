import Foundation

/// The newest successful restore, read from the reports `pra restore` leaves in `REPORT_DIR`
/// (`pra_restore_report_<YYYYMMDD_HHMMSS>.txt`, "verdict:  SUCCESS"): how old the last proof that
/// the backups restore is, for `pra status --prometheus` (`pra_restore_test_timestamp_seconds`).
public enum RestoreTestRecord {
    /// When the newest successful restore started, or `nil` when `directory` holds none. Reads the
    /// newest `limit` reports only (newest first by the UTC stamp in their names).
    public static func newestSuccess(in directory: String, limit: Int = 50) -> Date? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        let reports = names.filter { $0.hasPrefix("pra_restore_report_") && $0.hasSuffix(".txt") }
            .sorted { stamp($0) > stamp($1) }
        for name in reports.prefix(limit) {
            guard let text = try? String(contentsOfFile: directory + "/" + name, encoding: .utf8) else { continue }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            guard lines.contains(where: { $0 == "verdict:  SUCCESS" }),
                  let started = lines.first(where: { $0.hasPrefix("started:") }),
                  let date = ISO8601DateFormatter().date(from: started.dropFirst("started:".count).trimmingCharacters(in: .whitespaces))
            else { continue }
            return date
        }
        return nil
    }

    /// Sort key: `YYYYMMDD_HHMMSS` then the same-second counter (`_2`, `_3`...), numerically.
    static func stamp(_ name: String) -> (String, Int) {
        let core = name.dropFirst("pra_restore_report_".count).dropLast(".txt".count)
        let parts = core.split(separator: "_")
        let base = parts.prefix(2).joined(separator: "_")
        return (base, parts.count > 2 ? Int(parts[2]) ?? 0 : 0)
    }
}
