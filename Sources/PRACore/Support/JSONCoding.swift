import Foundation

/// The project's JSON conventions: ISO-8601 dates, sorted keys, pretty output.
public enum JSONCoding {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// One JSON document for `--json` output, ending with a newline.
    public static func document<T: Encodable>(_ value: T) -> String {
        // Results are plain value types; encoding them cannot fail.
        String(decoding: try! encoder.encode(value), as: UTF8.self) + "\n"
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
