/// Parses human durations used in configuration: `3600`, `90s`, `30m`, `1h`, `7d`, `1h30m`.
public enum DurationParser {
    /// Seconds for `text`, or `nil` when it is not a duration.
    public static func seconds(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed.isEmpty { return nil }
        if let plain = Double(trimmed) { return plain >= 0 && plain.isFinite ? plain : nil }
        var total = 0.0
        var number = ""
        let characters = Array(trimmed)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            index += 1
            if character.isNumber || character == "." {
                number.append(character)
                continue
            }
            guard let value = Double(number) else { return nil }
            switch character {
            case "m" where index < characters.count && characters[index] == "s":
                index += 1
                total += value / 1000
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

    /// Formats seconds compactly: `250ms`, `4.2s`, `42s`, `5m12s`, `3h04m`, `2d03h`; under a
    /// tenth of a second in milliseconds, so a small bound never prints as `0.0s`.
    public static func format(_ seconds: Double) -> String {
        if seconds > 0 && seconds < 0.1 {
            let milliseconds = seconds * 1000
            return milliseconds >= 1 ? String(format: "%.0fms", milliseconds) : String(format: "%.2fms", milliseconds)
        }
        if seconds < 60 { return seconds < 10 ? String(format: "%.1fs", seconds) : "\(Int(seconds.rounded()))s" }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return "\(whole / 60)m\(String(format: "%02d", whole % 60))s" }
        if whole < 86400 { return "\(whole / 3600)h\(String(format: "%02d", (whole % 3600) / 60))m" }
        return "\(whole / 86400)d\(String(format: "%02d", (whole % 86400) / 3600))h"
    }
}

import Foundation
