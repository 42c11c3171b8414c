import Foundation
import PRACore

/// Runs the built `pra` executable as cron would: a child process with an environment.
public enum PraBinary {
    /// `.build/<config>/pra` beside the test bundle, or `PRA_BINARY`.
    public static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["PRA_BINARY"] { return explicit }
        let bundle = Bundle.main.bundlePath
        let candidates = [bundle + "/pra", (bundle as NSString).deletingLastPathComponent + "/pra", TestEnvironment.packageRoot + "/.build/debug/pra"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
    }

    public struct Result: Sendable {
        public var exitCode: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The subcommands that read an env file (and take `--env-file`).
    static let readEnvFile: [[String]] = [["backup"], ["verify"], ["restore"], ["activate"], ["status"], ["report"], ["drill", "run"], ["fixtures", "load"], ["schedule", "print"]]

    /// `arguments` plus `--env-file /dev/null` when the command reads an env file and none is
    /// given: a child never reads the checkout's `./.env`.
    public static func sealed(_ arguments: [String]) -> [String] {
        guard !arguments.contains("--env-file"), !arguments.contains("--help"),
              readEnvFile.contains(where: { arguments.starts(with: $0) }) else { return arguments }
        return arguments + ["--env-file", TestEnvironment.noEnvFile]
    }

    /// Runs `pra arguments...` with `environment` and no env file (unless the arguments name
    /// one); never throws for a non-zero exit.
    public static func run(_ arguments: [String], environment: [String: String], timeout: Double = 300) throws -> Result {
        let outcome = try ExternalProcess(executable: path, arguments: sealed(arguments), environment: environment, timeout: timeout).run()
        // A run the harness had to stop says so: "interrupted by signal 15" alone reads like a stranger's kill.
        let note = outcome.timedOut ? "\n[test harness: pra ran longer than \(Int(timeout)) s and was stopped]" : ""
        return Result(exitCode: outcome.exitCode ?? -1, stdout: outcome.stdoutText, stderr: outcome.standardError + note)
    }
}
