import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starts and stops a PostgreSQL server on a data directory with `pg_ctl`, as the data
/// directory's unprivileged owner when pra runs as root (PostgreSQL refuses to run as root).
public struct ServerControl: Sendable {
    public let dataDirectory: String
    public let logFile: String
    public let binDirectory: String
    /// The OS user the server runs as (`nil`: as this process).
    public let user: OSUser?
    /// The environment server programs start with (`PG*` removed, `LC_ALL=C` added); by default
    /// the allow-listed part of pra's (``ChildEnvironment``): a server inherits it, and none of
    /// pra's secrets may reach a server whose superusers can read its environment.
    public let environment: [String: String]

    public init(dataDirectory: String, logFile: String, binDirectory: String, user: OSUser?, environment: [String: String] = ChildEnvironment.base()) {
        self.dataDirectory = dataDirectory
        self.logFile = logFile
        self.binDirectory = binDirectory
        self.user = user
        self.environment = environment
    }

    /// The postmaster's pid from `postmaster.pid`, when the file is there.
    public var postmasterPID: pid_t? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8),
              let first = text.split(separator: "\n").first, let pid = pid_t(first) else { return nil }
        return pid
    }

    /// True when the postmaster named in `postmaster.pid` is alive.
    public var isRunning: Bool { postmasterPID.map(ProcessLiveness.isAlive) ?? false }

    /// `pg_ctl start`; with `wait`, until the server accepts connections (or `timeout`).
    public func start(wait: Bool = true, timeout: Double = 60) throws {
        try run("pg_ctl", ["-D", dataDirectory, "-l", logFile] + (wait ? ["-w", "-t", "\(Int(timeout))"] : ["-W"]) + ["start"], timeout: timeout + 30)
    }

    /// `pg_ctl stop` in `mode` (`fast` or `immediate`).
    public func stop(mode: String = "fast") throws {
        guard isRunning else { return }
        try run("pg_ctl", ["-D", dataDirectory, "-m", mode, "-w", "-t", "60", "stop"], timeout: 90)
    }

    /// Stops the postmaster that `dataDirectory/postmaster.pid` names by signal (fast shutdown,
    /// then SIGKILL after `grace` seconds): no `pg_ctl` or user switch needed.
    public static func shutdown(dataDirectory: String, grace: Double = 30) {
        let control = ServerControl(dataDirectory: dataDirectory, logFile: "", binDirectory: "", user: nil)
        guard let pid = control.postmasterPID, ProcessLiveness.isAlive(pid) else { return }
        kill(pid, SIGINT)
        ProcessLiveness.waitUntilGone(pid, seconds: grace)
        if ProcessLiveness.isAlive(pid) {
            kill(pid, SIGKILL)
            ProcessLiveness.waitUntilGone(pid, seconds: 5)
        }
    }

    /// Runs a server program from `binDirectory` as the server's user, with ``environment``.
    public func run(_ program: String, _ arguments: [String], timeout: Double) throws {
        var environment = self.environment.filter { !$0.key.hasPrefix("PG") }
        environment["LC_ALL"] = "C"
        let executable = (binDirectory as NSString).appendingPathComponent(program)
        try ExternalProcess(executable: executable, arguments: arguments, environment: environment, timeout: timeout, user: user).runChecked()
    }

    /// The server log's lines.
    public func logLines() -> [String] {
        ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// The last lines of the server log, joined for an error message.
    public func logTail(lines: Int = 5) -> String {
        logLines().suffix(lines).joined(separator: " | ")
    }
}
