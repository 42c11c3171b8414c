import Foundation

/// What a point-in-time restore reached and where the recovered server runs.
public struct PointInTimeDetails: Codable, Sendable {
    /// The target as asked (`the latest archived point`, a time, an LSN, a restore point).
    public var target: String
    public var dataDirectory: String
    public var port: Int
    public var socketDirectory: String
    /// The timeline the recovered server continues on.
    public var timeline: UInt32?
    /// The commit time of the last transaction replayed: the moment the data reflects.
    public var reachedTime: Date?
    /// The WAL position replay ended at.
    public var reachedLSN: String?
    /// The base backup restored.
    public var baseBackup: String
    /// The server is left running (not with `--stop`).
    public var serverRunning: Bool
    public var serverLog: String
    /// Where the base backup came from: its local path, or the off-site target and its name.
    public var baseBackupSource: String?
    /// Where recovery reads the WAL from (`restore_command`): the local archive, then the off-site copy when configured.
    public var walSource: String?
    /// The shell line that stops the recovered server as the account it runs as
    /// (``ServerControl/stopCommandLine``); `nil` in results written before it existed.
    public var stopCommand: String? = nil

    /// `export` lines that reach the recovered server, as `pra cluster up` prints them.
    public func exports(user: String?, database: String) -> String {
        // Each value shell-quoted: the lines are meant for `eval`, and a directory or database
        // name may hold anything.
        var lines = ["export PGHOST=\(ShellCommandLine.quote(socketDirectory))", "export PGPORT=\(port)", "export PGDATABASE=\(ShellCommandLine.quote(database))", "export PRA_RESTORED_DIR=\(ShellCommandLine.quote(dataDirectory))"]
        if let user { lines.insert("export PGUSER=\(ShellCommandLine.quote(user))", at: 2) }
        // A comment, so the output stays eval-able; pg_ctl run as root is refused, the line is not.
        if let stopCommand { lines.append("# stop it with: \(stopCommand)") }
        return lines.joined(separator: "\n") + "\n"
    }
}
