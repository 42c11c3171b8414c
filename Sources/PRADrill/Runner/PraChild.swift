import Foundation
import PRACore

/// Runs the `pra` executable as cron would: a child process with its own environment and
/// no env file, so exit codes, messages and files are observed as in production.
struct PraChild {
    struct Result {
        var exitCode: Int32
        var stdout: String
        var stderr: String
        var seconds: Double
        /// The `--json` document on stdout, decoded as the command's own PRACore result type
        /// (`RestoreResult`, `StatusReport`, ...); `nil` when stdout is not that document (a
        /// failure prints an `OperationFailureReport` instead, a crash prints nothing).
        func document<Document: Decodable>(_ type: Document.Type) -> Document? {
            try? JSONCoding.decoder.decode(Document.self, from: Data(stdout.utf8))
        }
        /// The one-line error the command printed, if any.
        var errorLine: String? {
            stderr.split(separator: "\n").last { $0.hasPrefix("pra: error:") }.map(String.init)
        }
    }

    let executable: String

    func run(_ arguments: [String], environment: [String: String], timeout: Double = 3600) throws -> Result {
        let clock = MonotonicClock.now()
        let outcome = try ExternalProcess(executable: executable, arguments: arguments + ["--env-file", "/dev/null"], environment: environment, timeout: timeout).run()
        return Result(exitCode: outcome.exitCode ?? (128 + (outcome.signal ?? 0)), stdout: outcome.stdoutText, stderr: outcome.standardError, seconds: clock.elapsed())
    }
}
