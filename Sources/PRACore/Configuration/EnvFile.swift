import Foundation

/// A parsed `.env` file: `KEY=value` lines, `#` comments, optional `export ` and quotes.
public struct EnvFile: Sendable {
    public let path: String
    public let values: [String: String]
    /// File mode bits (`st_mode & 0o777`).
    public let permissions: UInt32

    /// Reads and parses `path`. A line that is not `KEY=value` is a configuration error naming the line.
    public init(path: String) throws(ConfigurationError) {
        self.path = path
        // FileHandle rather than FileManager.contents: `--env-file /dev/null` (no env file) must work.
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() ?? Data() else {
            throw ConfigurationError("cannot read env file \(path)")
        }
        let text = try Self.decode(data, path: path)
        var info = stat()
        permissions = stat(path, &info) == 0 ? UInt32(info.st_mode) & 0o777 : 0
        values = try Self.parse(text, path: path)
    }

    /// The file's text: UTF-8, a leading byte-order mark dropped; invalid UTF-8 is an error
    /// naming the first line that holds it.
    static func decode(_ data: Data, path: String) throws(ConfigurationError) -> String {
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        for (index, line) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() where String(validating: Array(line), as: UTF8.self) == nil {
            throw ConfigurationError("\(path):\(index + 1): not valid UTF-8 (save the file as UTF-8)")
        }
        throw ConfigurationError("\(path): not valid UTF-8")
    }

    /// Parses env-file text; `path` only names the file in errors.
    ///
    /// Lines end with LF, CRLF or CR; a leading byte-order mark and spaces around keys and
    /// values are ignored. A malformed line's error shows its key (its first word), never the
    /// rest of it, which may be a secret.
    public static func parse(_ text: String, path: String = "<text>") throws(ConfigurationError) -> [String: String] {
        var result: [String: String] = [:]
        var body = text
        if body.unicodeScalars.first == "\u{FEFF}" { body.unicodeScalars.removeFirst() }
        // "\r\n" is a single Character in Swift, so splitting on "\n" would see one line: work on scalars.
        body = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        for (index, scalars) in body.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let piece = String(String.UnicodeScalarView(scalars))
            var line = piece.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else {
                let key = line.prefix { !$0.isWhitespace && $0 != ":" }
                throw ConfigurationError("\(path):\(index + 1): expected KEY=value on the line starting with \"\(key.prefix(40))\" (the rest is not shown)")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw ConfigurationError("\(path):\(index + 1): invalid variable name \"\(key)\"")
            }
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if let quote = value.first, quote == "\"" || quote == "'" {
                guard value.count >= 2, value.last == quote else {
                    throw ConfigurationError("\(path):\(index + 1): unterminated quote in \(key)")
                }
                value = String(value.dropFirst().dropLast())
                if quote == "\"" {
                    value = value.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\\"", with: "\"")
                }
            } else if let hash = value.range(of: " #") {
                value = value[..<hash.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            result[key] = value
        }
        return result
    }
}
