import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// Runs the built `pra` the way a new user would: in a directory, with nothing configured
/// unless given, and keeps what it printed.
enum CLIRun {
    /// The process environment without any connection or pra setting: nothing configured.
    static func bareEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("PG") && key != "DATABASE_URL" && !Configuration.variables.contains { $0.name == key }
        }
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// What one run of `pra` printed and how it exited.
    struct Output {
        var exitCode: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `pra arguments...` in `directory`.
    static func pra(_ arguments: [String], in directory: String, environment: [String: String]) throws -> Output {
        let script = "cd \"$1\" && shift && exec \"$@\""
        let outcome = try ExternalProcess(executable: "/bin/sh", arguments: ["-c", script, "sh", directory, PraBinary.path] + arguments, environment: environment, timeout: 120).run()
        return Output(exitCode: outcome.exitCode ?? -1, stdout: outcome.stdoutText, stderr: outcome.standardError)
    }

    static func errorLines(_ result: Output) -> [Substring] {
        result.stderr.split(separator: "\n").filter { $0.hasPrefix("pra: error:") }
    }
}
