import Foundation
import PRACore
import PRADrillResults

/// How the compliance reports write numbers: durations precise to the second at every size
/// (a worst-case RPO of `1h00m12s` must not read as the `1h00m` target), UTC dates, rates and
/// percentages. Shared by the HTML and Markdown renderers so both say the same thing.
public enum ComplianceFormat {
    /// A duration, by the one rounding rule every rendering shares (``MeasuredDuration``):
    /// `0.05s`, `2.6s`, `42s`, `5m12s`, `1h00m12s`, `2d03h`; negative values get a minus sign.
    public static func duration(_ seconds: Double) -> String {
        MeasuredDuration.format(seconds)
    }

    /// A margin against a target: `margin 29m57s` when within it, `over by 12s` when not.
    public static func margin(_ marginSeconds: Double) -> String {
        marginSeconds >= 0 ? "a margin of \(duration(marginSeconds))" : "over by \(duration(-marginSeconds))"
    }

    /// `2026-11-25` (UTC).
    public static func day(_ date: Date) -> String {
        let c = components(date)
        return "\(c.year ?? 0)-" + twoDigits(c.month ?? 0) + "-" + twoDigits(c.day ?? 0)
    }

    /// `2026-11-25 15:44 UTC`.
    public static func dateTime(_ date: Date) -> String {
        let c = components(date)
        return day(date) + " " + twoDigits(c.hour ?? 0) + ":" + twoDigits(c.minute ?? 0) + " UTC"
    }

    /// `85%` (`passed` of `total`); `-` when there is nothing to count.
    public static func percent(_ fraction: Double?) -> String {
        guard let fraction, fraction.isFinite else { return "-" }
        // A share far outside 0...1 comes only from a damaged record; `Int` of it must not trap.
        guard abs(fraction) < 1e12 else { return fraction > 0 ? ">1e14%" : "<-1e14%" }
        return "\(Int((fraction * 100).rounded()))%"
    }

    /// A size in bytes, binary units: `50.0 GiB`.
    public static func bytes(_ bytes: Double) -> String {
        ByteCount.format(UInt64(max(0, min(bytes, 1.8e19))))
    }

    /// A throughput: `35.2 MiB/s`.
    public static func rate(_ bytesPerSecond: Double) -> String {
        bytes(bytesPerSecond) + "/s"
    }

    /// Whole days between two dates, rounded down.
    public static func days(from start: Date, to end: Date) -> Int {
        Int((end.timeIntervalSince(start) / 86400).rounded(.down))
    }

    /// `today`, `1 day ago`, `40 days ago`.
    public static func ago(_ days: Int) -> String {
        days <= 0 ? "today" : count(days, "day") + " ago"
    }

    /// `1 scenario`, `3 scenarios`.
    public static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) " + (n == 1 ? singular : (plural ?? singular + "s"))
    }

    /// `text` for one terminal line: line breaks become spaces and control characters (an
    /// ESC from a server message, say) visible `\x1B`, so history text cannot drive the terminal.
    public static func oneLine(_ text: String) -> String {
        text.unicodeScalars.map { scalar in
            scalar == "\n" || scalar == "\r" || scalar == "\t" ? " " : HTMLEscaping.visible(scalar)
        }.joined()
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    private static func components(_ date: Date) -> DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
    }

    /// Parses `--since`: `2026-01-31` (midnight UTC) or a full ISO-8601 date and time.
    public static func parseDate(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }),
           let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
           (1...12).contains(month), (1...31).contains(day) {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let components = DateComponents(year: year, month: month, day: day)
            guard let date = calendar.date(from: components),
                  calendar.component(.day, from: date) == day else { return nil }
            return date
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: trimmed) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: trimmed)
    }
}
