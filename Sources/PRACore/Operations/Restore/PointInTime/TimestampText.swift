import Foundation

/// Reads and writes timestamps the way PostgreSQL and ISO 8601 print them, to the microsecond.
/// Foundation's ISO 8601 formatter refuses PostgreSQL's `2026-12-06 18:00:55.702249+00` (space,
/// six fraction digits, an hours-only offset), so the grammar is read here by hand:
/// `YYYY-MM-DD` then `T` or spaces, `HH:MM[:SS[.fraction]]`, then optionally spaces and a zone:
/// `Z`, `UTC`, `GMT`, `+HH`, `+HHMM` or `+HH:MM` (or `-`). No zone: the machine's time zone.
enum TimestampText {
    static func parse(_ text: String, localZone: TimeZone = .current) -> Date? {
        func isDigit(_ character: Character) -> Bool { character.isASCII && character.isNumber }
        var scanner = Substring(text.trimmingCharacters(in: .whitespaces))
        func number(_ digits: Int) -> Int? {
            let part = scanner.prefix(digits)
            guard part.count == digits, part.allSatisfy(isDigit), let value = Int(part) else { return nil }
            scanner = scanner.dropFirst(digits)
            return value
        }
        func literal(_ character: Character) -> Bool {
            guard scanner.first == character else { return false }
            scanner = scanner.dropFirst()
            return true
        }
        guard let year = number(4), literal("-"), let month = number(2), literal("-"), let day = number(2) else { return nil }
        guard literal("T") || literal("t") || literal(" ") else { return nil }
        while literal(" ") {}
        guard let hour = number(2), literal(":"), let minute = number(2) else { return nil }
        var second = 0
        var fraction = 0.0
        if literal(":") {
            guard let value = number(2) else { return nil }
            second = value
            if literal(".") || literal(",") {
                let digits = scanner.prefix(while: isDigit)
                guard !digits.isEmpty, digits.count <= 9, let value = Double("0." + digits) else { return nil }
                fraction = value
                scanner = scanner.dropFirst(digits.count)
            }
        }
        while literal(" ") {}
        var offset: Int?
        let zone = scanner.uppercased()
        if zone.isEmpty {
            offset = nil
        } else if ["Z", "UTC", "GMT"].contains(zone) {
            offset = 0
        } else if let sign = scanner.first, sign == "+" || sign == "-" {
            scanner = scanner.dropFirst()
            guard let hours = number(2), hours <= 15 else { return nil }
            var minutes = 0
            if !scanner.isEmpty {
                _ = literal(":")
                guard let value = number(2), value < 60 else { return nil }
                minutes = value
            }
            guard scanner.isEmpty else { return nil }
            offset = (sign == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        guard let timeZone = offset.map({ TimeZone(secondsFromGMT: $0) }) ?? localZone else { return nil }
        calendar.timeZone = timeZone
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let whole = calendar.date(from: components),
              calendar.component(.day, from: whole) == day, calendar.component(.month, from: whole) == month else { return nil }
        return whole.addingTimeInterval(fraction)
    }

    /// `2026-12-06<separator>18:00:55.702249` in UTC, microseconds rounded.
    static func utc(_ date: Date, separator: String) -> String {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = (micros / 1_000_000).rounded(.down)
        let fraction = Int(micros - seconds * 1_000_000)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: seconds))
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))\(separator)\(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2)).\(pad(fraction, 6))"
    }
}
