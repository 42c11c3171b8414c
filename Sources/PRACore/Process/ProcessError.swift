/// A failure to start or to finish an external program.
public struct ProcessError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case notFound = "not-found"
        case spawnFailed = "spawn-failed"
        case failed
        case timedOut = "timed-out"
    }

    public let kind: Kind
    /// Program name (not its arguments, which may be long).
    public let program: String
    public let exitCode: Int32?
    public let signal: Int32?
    /// The last lines the program wrote on stderr.
    public let stderr: String

    public init(kind: Kind, program: String, exitCode: Int32? = nil, signal: Int32? = nil, stderr: String = "") {
        self.kind = kind
        self.program = program
        self.exitCode = exitCode
        self.signal = signal
        self.stderr = stderr
    }

    /// The most telling stderr line: the last `error:`/`FATAL:` line, else the last line.
    public var stderrSummary: String? {
        let lines = stderr.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        let telling = lines.last { $0.contains("error:") || $0.contains("FATAL:") || $0.contains("ERROR:") }
        return telling ?? lines.last
    }

    public var description: String {
        let reason = stderrSummary.map { ": \($0)" } ?? ""
        switch kind {
        case .notFound: return "\(program) not found\(reason)"
        case .spawnFailed: return "cannot start \(program)\(reason)"
        case .timedOut: return "\(program) timed out and was stopped\(reason)"
        case .failed:
            if let signal { return "\(program) was killed by signal \(signal)\(reason)" }
            return "\(program) exited with status \(exitCode ?? -1)\(reason)"
        }
    }
}
