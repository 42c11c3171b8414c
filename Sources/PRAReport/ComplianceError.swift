/// Why no compliance report could be built.
public enum ComplianceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The history has no readable run (missing, empty, or every line malformed).
    case emptyHistory(path: String, skippedLines: [Int])
    /// No run started at or after `--since`.
    case nothingSince(since: String, latest: String, path: String)

    /// One line naming the file and what to do.
    public var description: String {
        switch self {
        case .emptyHistory(let path, let skipped):
            if skipped.isEmpty {
                return "no drill run recorded in \(path) (the file is missing or empty): run `pra drill run` first, then `pra report`"
            }
            return "no readable drill run in \(path): \(ComplianceError.lines(skipped)) could not be read (truncated or malformed JSON); run `pra drill run` to record one"
        case .nothingSince(let since, let latest, let path):
            return "no drill run in \(path) since \(since) (the latest started \(latest)); choose an earlier --since"
        }
    }

    /// `line 7`, `lines 3, 9 and 12`.
    static func lines(_ numbers: [Int]) -> String {
        let text = numbers.map(String.init)
        if text.count == 1 { return "line \(text[0])" }
        return "lines " + text.dropLast().joined(separator: ", ") + " and " + text[text.count - 1]
    }
}
