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

    /// Loads the configuration, printing its warnings on stderr. With `logAs`, the command's
    /// stderr lines also go to its daily log file in `LOG_DIR` (when set).
    func loadConfiguration(overrides: [String: String] = [:], logAs command: String? = nil) throws -> Configuration {
        var all = overrides
        if let backupDir { all[Setting.backupDir.name] = backupDir }
        do {
            let configuration = try Configuration(envFile: envFile, overrides: all)
            let redactor = SecretRedactor(configuration: configuration)
            CommandLog.shared.useRedactor(redactor)
            // A secret too short to be hidden wherever it appears (named, never shown); not for
            // wal push/get, whose stderr is the server log and whose silence is part of the contract.
            if let command, command != "wal" {
                for warning in redactor.warnings { Terminal.warn(warning) }
            }
            if let command, let directory = configuration[.logDir] {
                do {
                    try CommandLog.shared.open(directory: directory, command: command)
                    CommandLog.shared.record("pra \(command) started (pra \(PRAVersion.current))")
                } catch {
                    Terminal.warn("cannot write the log file in LOG_DIR=\(directory): \(error)")
                }
            }
            for warning in configuration.warnings { Terminal.warn(warning) }
            if verbose {
                for name in configuration.values.keys.sorted() {
                    var value = configuration.values[name] ?? ""
                    if name == Setting.databaseURL.name || SecretRedactor.secretVariables.contains(name) { value = value.isEmpty ? "" : "(set, not shown)" }
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
/// Every stderr line goes through ``CommandLog``: secrets redacted, and the same line appended
/// to the command's log file when one is open.
enum Terminal {
    static func warn(_ message: String) {
        stderr("pra: warning: \(message)")
    }

    static func info(_ message: String) {
        stderr("pra: \(message)")
    }

    /// Prints `pra: error: message` and returns the exit code to throw.
    static func fail(_ message: String, exitCode: Int32) -> ExitCode {
        stderr("pra: error: \(message)")
        record("pra: exit \(exitCode)")
        return ExitCode(exitCode)
    }

    /// A line for the log file only (a command's outcome, which goes to stdout).
    static func record(_ line: String) {
        CommandLog.shared.record(line)
    }

    private static func stderr(_ line: String) {
        FileHandle.standardError.write(Data((CommandLog.shared.record(line) + "\n").utf8))
    }

    /// Renders an operation failure: exit 2 for usage/configuration, else 1.
    static func fail(_ failure: OperationFailure) -> ExitCode {
        fail(failure.description, exitCode: failure.isUsageError ? 2 : 1)
    }

    /// Sends `alert` (when channels are configured); prints and logs a warning per failed delivery.
    static func alert(_ alert: Alert, configuration: Configuration, alertOnSuccess: Bool = false) {
        let dispatcher = AlertDispatcher(configuration: configuration, alertOnSuccess: alertOnSuccess ? true : nil)
        report(dispatcher.send(alert), from: dispatcher)
    }

    /// Prints and logs the warnings of alert deliveries; records the ones that got through.
    static func report(_ deliveries: [AlertDelivery], from dispatcher: AlertDispatcher) {
        for warning in dispatcher.warnings(for: deliveries) { warn(warning) }
        for delivery in deliveries where delivery.delivered { record("pra: alert sent via \(delivery.channel) (\(delivery.server))") }
    }

    /// Where the configured database is, without secrets, for alerts.
    static func location(_ configuration: Configuration) -> String {
        (try? configuration.connectionSettings().redactedDescription) ?? "database (connection settings invalid)"
    }

    static func output(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
