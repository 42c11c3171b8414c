import Foundation

/// How a restore runs psql: the program, its environment (allow-listed, with the connection
/// settings), the account it runs as when pra is root (never root: what psql reads comes from an
/// archive), and the restriction every input starts with (``PsqlRestriction``).
struct PsqlProgram: Sendable {
    let executable: String
    let environment: [String: String]
    let user: OSUser?
    let restriction: PsqlRestriction

    /// A script on stdin, stopping at the first error, its output discarded.
    static let scriptArguments = ["-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1", "-o", "/dev/null", "-f", "-"]

    init(configuration: Configuration, settings: ConnectionSettings, applicationName: String) throws {
        executable = try PostgresBinaries(configuration: configuration).locate("psql")
        var environment = settings.childEnvironment(applicationName: applicationName)
        environment["PGOPTIONS"] = "-c client_min_messages=warning"
        self.environment = environment
        user = try OSUser.unprivileged(configured: configuration[.runAsUser])
        restriction = PsqlRestriction()
        let version = try ExternalProcess(executable: executable, arguments: ["--version"], environment: ChildEnvironment.base(), timeout: 60).run()
        guard PsqlRestriction.supports(versionOutput: version.stdoutText) else {
            throw ConfigurationError("\(executable) (\(version.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines))) does not support \\restrict, which a restore relies on to keep psql from running commands found in an archive: install psql 15.14, 16.10, 17.6 or later (or 13.22, 14.19), or set PG_BIN_DIR")
        }
    }

    /// psql with `arguments`, as ``user``.
    func process(arguments: [String]) -> ExternalProcess {
        ExternalProcess(executable: executable, arguments: arguments, environment: environment, user: user)
    }

    /// Writes `\restrict KEY` first to a psql's stdin.
    func writePreamble(to writer: FileDescriptorWriter) throws {
        try Data(restriction.preamble.utf8).withUnsafeBytes { _ = try writer.write($0) }
    }

    /// Runs psql on a script or spill file pra wrote, fed through stdin after the preamble (the
    /// file sits in a directory only pra may read); the failure, or `nil` when it succeeded or
    /// was stopped because `stopWhen` turned true (psql is killed before the end of its input).
    func runScript(_ path: String, arguments: [String], stopWhen stopped: () -> Bool = { false }) -> String? {
        let process = process(arguments: arguments)
        do {
            let outcome = try process.run { writer in
                try writePreamble(to: writer)
                guard let handle = FileHandle(forReadingAtPath: path) else { throw FileError(operation: .open, path: path, code: errno) }
                defer { try? handle.close() }
                while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                    if stopped() { throw ChunkChannel.Cancelled() }
                    try chunk.withUnsafeBytes { _ = try writer.write($0) }
                }
            }
            if outcome.succeeded { return nil }
            return ProcessError(kind: .failed, program: "psql", exitCode: outcome.exitCode, signal: outcome.signal, stderr: outcome.standardError).stderrSummary ?? "psql exited with status \(outcome.exitCode ?? -1)"
        } catch let consumer as ConsumerFailure {
            if consumer.underlying is ChunkChannel.Cancelled { return nil }
            return ProcessError(kind: .failed, program: "psql", stderr: consumer.standardError).stderrSummary ?? "\(consumer.underlying)"
        } catch {
            return "\(error)"
        }
    }
}
