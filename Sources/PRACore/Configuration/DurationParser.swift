/// Parses human durations used in configuration: `3600`, `90s`, `30m`, `1h`, `7d`, `1h30m`.
public enum DurationParser {
    /// Seconds for `text`, or `nil` when it is not a duration.
    public static func seconds(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed.isEmpty { return nil }
        if let plain = Double(trimmed) { return plain >= 0 && plain.isFinite ? plain : nil }
        var total = 0.0
        var number = ""
        for character in trimmed {
            if character.isNumber || character == "." {
                number.append(character)
                continue
            }
            guard let value = Double(number) else { return nil }
            switch character {
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            case "d": total += value * 86400
            default: return nil
            }
            number = ""
        }
        return number.isEmpty ? total : nil
    }

    /// Formats seconds compactly: `42s`, `5m12s`, `3h04m`, `2d03h`.
    public static func format(_ seconds: Double) -> String {
        if seconds < 60 { return seconds < 10 ? String(format: "%.1fs", seconds) : "\(Int(seconds.rounded()))s" }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return "\(whole / 60)m\(String(format: "%02d", whole % 60))s" }
        if whole < 86400 { return "\(whole / 3600)h\(String(format: "%02d", (whole % 3600) / 60))m" }
        return "\(whole / 86400)d\(String(format: "%02d", (whole % 86400) / 3600))h"
    }
}

import Foundation
