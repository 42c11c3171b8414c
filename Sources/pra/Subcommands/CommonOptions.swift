import ArgumentParser
import Foundation
import PRACore

/// Options every operation takes: where configuration comes from and how much to say.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Env file to read (default: ./.env when present).", valueName: "file"))
    var envFile: String?

    @Option(name: .long, help: ArgumentHelp("Backup directory (overrides BACKUP_DIR).", valueName: "dir"))
    var backupDir: String?

    @Flag(name: .shortAndLong, help: "No progress display.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Print details: configuration sources, every check.")
    var verbose = false

    /// Loads the configuration, printing its warnings on stderr.
    func loadConfiguration(overrides: [String: String] = [:]) throws -> Configuration {
        var all = overrides
        if let backupDir { all["BACKUP_DIR"] = backupDir }
        do {
            let configuration = try Configuration(envFile: envFile, overrides: all)
            for warning in configuration.warnings { Terminal.warn(warning) }
            if verbose {
                for name in configuration.values.keys.sorted() where name != "PGPASSWORD" {
                    var value = configuration.values[name] ?? ""
                    if name == "DATABASE_URL" { value = "(set, not shown)" }
                    Terminal.info("config \(name)=\(value) [\(configuration.sources[name]?.rawValue ?? "?")]")
                }
            }
            return configuration
        } catch {
            throw Terminal.fail(error.description, exitCode: 2)
        }
    }

    var progress: ProgressReporter { ProgressReporter.forTerminal(quiet: quiet) }
}

/// Output conventions: results on stdout, one clear line per problem on stderr.
enum Terminal {
    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("pra: warning: \(message)\n".utf8))
    }

    static func info(_ message: String) {
        FileHandle.standardError.write(Data("pra: \(message)\n".utf8))
    }

    /// Prints `pra: error: message` and returns the exit code to throw.
    static func fail(_ message: String, exitCode: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("pra: error: \(message)\n".utf8))
        return ExitCode(exitCode)
    }

    /// Renders an operation failure: exit 2 for usage/configuration, else 1.
    static func fail(_ failure: OperationFailure) -> ExitCode {
        fail(failure.description, exitCode: failure.isUsageError ? 2 : 1)
    }

    static func output(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// The JSON shape of a failed operation.
struct FailureDocument: Encodable {
    var ok = false
    var stage: String
    var error: String
    var sqlState: String?

    init(_ failure: OperationFailure) {
        stage = failure.stage
        error = failure.message
        sqlState = failure.sqlState
    }
}
