/// Builds the command lines PostgreSQL runs through the shell (`archive_command`,
/// `restore_command`): every word single-quoted for the shell, `%` doubled where PostgreSQL
/// would read a placeholder, and the whole quoted again as a `postgresql.conf` string.
public enum ShellCommandLine {
    /// One shell word: as it is when it holds only characters the shell leaves alone, else
    /// single-quoted (`'` written as `'\''`).
    public static func quote(_ word: String) -> String {
        let safe = word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/._-:=@+,".contains($0)) }
        if safe && !word.isEmpty { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A command for PostgreSQL: literal words quoted with `%` escaped; `placeholders` (such as
    /// `%p`, `%f`) left for PostgreSQL to fill in.
    public static func postgresCommand(_ words: [Word]) -> String {
        words.map { word in
            switch word {
            case .literal(let text): return quote(text.replacingOccurrences(of: "%", with: "%%"))
            case .placeholder(let text): return text
            }
        }.joined(separator: " ")
    }

    /// A `postgresql.conf` string value: single-quoted, `'` doubled, `\` doubled (the
    /// configuration file reads backslash escapes inside quotes).
    public static func configurationValue(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
    }

    public enum Word: Sendable, ExpressibleByStringLiteral {
        case literal(String)
        case placeholder(String)

        public init(stringLiteral value: String) {
            self = .literal(value)
        }
    }
}
