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
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() ?? Data(),
            let text = String(data: data, encoding: .utf8)
        else {
            throw ConfigurationError("cannot read env file \(path)")
        }
        var info = stat()
        permissions = stat(path, &info) == 0 ? UInt32(info.st_mode) & 0o777 : 0
        values = try Self.parse(text, path: path)
    }

    /// Parses env-file text; `path` only names the file in errors.
    public static func parse(_ text: String, path: String = "<text>") throws(ConfigurationError) -> [String: String] {
        var result: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigurationError("\(path):\(index + 1): expected KEY=value, found \"\(line.prefix(40))\"")
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
