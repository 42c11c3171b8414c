import Foundation

/// Parses sizes: `65536`, `64k`, `64KiB`, `1m`, `1MiB`, `10GB`, `2.5G` (powers of 1024).
public enum ByteSizeParser {
    public static func bytes(_ text: String) -> UInt64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        guard let number = Double(digits), number >= 0 else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        let kibi = 1024.0
        let multipliers: [String: Double] = [
            "": 1, "b": 1, "k": kibi, "kb": kibi, "kib": kibi, "m": kibi * kibi, "mb": kibi * kibi, "mib": kibi * kibi,
            "g": kibi * kibi * kibi, "gb": kibi * kibi * kibi, "gib": kibi * kibi * kibi,
            "t": kibi * kibi * kibi * kibi, "tb": kibi * kibi * kibi * kibi, "tib": kibi * kibi * kibi * kibi,
        ]
        guard let multiplier = multipliers[unit], number * multiplier < 1.8e19 else { return nil }
        return UInt64(number * multiplier)
    }
}

import Foundation
