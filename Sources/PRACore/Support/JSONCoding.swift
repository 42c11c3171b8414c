import Foundation

/// The project's JSON conventions: ISO-8601 dates with milliseconds (RPO is measured in
/// seconds), sorted keys, pretty output.
public enum JSONCoding {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        // One formatter per encoder, not per date: creating one costs about a millisecond on
        // Linux, which made a long JSON-lines file (the evidence log) take seconds to write.
        let fractional = LockedFormatter(formatter(fractional: true))
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(fractional.string(from: date))
        }
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// One-line JSON (for JSON Lines files such as the drill history).
    public static var compactEncoder: JSONEncoder {
        let encoder = self.encoder
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        // One pair of formatters per decoder (see encoder).
        let fractional = LockedFormatter(formatter(fractional: true))
        let whole = LockedFormatter(formatter(fractional: false))
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = fractional.date(from: text) ?? whole.date(from: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO-8601 date: \(text)")
            }
            return date
        }
        return decoder
    }

    /// A formatter an encoder or decoder keeps, used by one thread at a time (a shared
    /// encoder may be used from several).
    final class LockedFormatter: @unchecked Sendable {
        private let formatter: ISO8601DateFormatter
        private let lock = NSLock()

        init(_ formatter: ISO8601DateFormatter) {
            self.formatter = formatter
        }

        func string(from date: Date) -> String {
            lock.lock()
            defer { lock.unlock() }
            return formatter.string(from: date)
        }

        func date(from text: String) -> Date? {
            lock.lock()
            defer { lock.unlock() }
            return formatter.date(from: text)
        }
    }

    static func formatter(fractional: Bool) -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = fractional ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter
    }

    /// One JSON document for `--json` output, ending with a newline.
    public static func document<T: Encodable>(_ value: T) -> String {
        // Results are plain value types; encoding them cannot fail.
        String(decoding: try! encoder.encode(value), as: UTF8.self) + "\n"
    }

    /// "field X: what is wrong" for a document that is JSON but holds a bad field, "not JSON" otherwise.
    static func describeField(_ error: Error) -> String {
        func path(_ context: DecodingError.Context) -> String { context.codingPath.map(\.stringValue).joined(separator: ".") }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            let parent = path(context)
            return "field \(parent.isEmpty ? "" : parent + ".")\(key.stringValue): missing key \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "field \(path(context)): wrong type"
        case DecodingError.dataCorrupted(let context):
            let field = path(context)
            if field.isEmpty {
                // Foundation reports a number that does not fit with an empty path but says which.
                let text = "\(context.debugDescription) \(context.underlyingError.map { "\($0)" } ?? "")"
                if text.contains("does not fit") || text.contains("Number") || text.contains("number") { return "a number out of range (\(context.debugDescription))" }
                return "not JSON"
            }
            return "field \(field): out of range or malformed"
        default: return "\(error)"
        }
    }

    /// A short description of a decoding error: which key, what was wrong.
    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing key \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\""
        case DecodingError.dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "not JSON" : "bad value at \"\(path)\""
        default: return "\(error)"
        }
    }
}
