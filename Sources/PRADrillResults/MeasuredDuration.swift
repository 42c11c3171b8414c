import Foundation

/// The one rounding rule for durations in everything a drill or a report shows: the drill's
/// terminal summary and JUnit text, the RTO/RPO checks' messages, and the compliance report in
/// HTML, Markdown and on the terminal. The same RPO therefore reads the same everywhere
/// (`0.05s`, never `0.05s` in one place and `0.1s` or `50ms` in another).
///
/// The rule: under 1 s two decimals (`0.05s`, `0.38s`); under 10 s one decimal (`2.6s`); then
/// whole seconds, precise to the second at every size (`42s`, `5m12s`, `1h00m12s` — a worst
/// case of `1h00m12s` must not read as the `1h00m` target); from a day on `2d03h`. Negative
/// values get a leading minus sign (`−12s`), 0 is `0s`, NaN `-`, infinity `∞`.
public enum MeasuredDuration {
    /// `seconds` by the rule above.
    public static func format(_ seconds: Double) -> String {
        if seconds.isNaN { return "-" }
        if seconds < 0 { return "−" + format(-seconds) }
        if seconds.isInfinite { return "∞" }
        if seconds == 0 { return "0s" }
        if seconds < 1 {
            let text = String(format: "%.2fs", seconds)
            // 0.996 rounds to 1.00: say 1.0s as the next range would.
            return text == "1.00s" ? "1.0s" : text
        }
        if seconds < 10 {
            let text = String(format: "%.1fs", seconds)
            return text == "10.0s" ? "10s" : text
        }
        // Beyond about 30 million years `Int(seconds)` would trap: say it in days, as a float.
        if seconds >= 1e15 { return String(format: "%.3gd", seconds / 86400) }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m" + twoDigits(whole % 60) + "s" }
        if whole < 86400 {
            return "\(whole / 3600)h" + twoDigits((whole % 3600) / 60) + "m" + twoDigits(whole % 60) + "s"
        }
        return "\(whole / 86400)d" + twoDigits((whole % 86400) / 3600) + "h"
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
