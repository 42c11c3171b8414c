import Foundation
import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// The scratch server's `archive_command` during a drill, made to copy WAL to the scenario's
/// off-site target. The server starts before an `s3-target` step sets `REMOTE_TARGET`, and its
/// `archive_command` reads `--env-file /dev/null`: without this, WAL would never leave the
/// backup directory and a `lose-site` recovery would have none. The target's settings go into a
/// private env file in the backup directory (owned by the server's OS user; no secret in the
/// server's configuration or argv) that `archive_command` then names.
enum DrillArchiveCommand {
    /// The env file the server's `archive_command` reads.
    static func envFile(_ context: ScenarioContext) -> String {
        (context.backupDirectory as NSString).appendingPathComponent(".pra-drill-archive.env")
    }

    /// Whether the scenario's server archives its WAL (`archiving:` in the scenario).
    static func isArchiving(_ context: ScenarioContext) -> Bool {
        guard let connection = try? PostgresConnection(context.cluster.connectionSettings, applicationName: "pra-drill") else { return false }
        return ((try? connection.scalar("SHOW archive_mode")) ?? nil) == "on"
    }

    /// Writes the env file (the scenario's store settings, `mode`, and `endpoint` in place of
    /// `S3_ENDPOINT` when given) and points `archive_command` at it (configuration reloaded).
    static func route(_ context: ScenarioContext, mode: String, endpoint: String? = nil) throws {
        try writeEnvFile(context, mode: mode, endpoint: endpoint)
        let connection = try PostgresConnection(context.cluster.connectionSettings, applicationName: "pra-drill")
        let command = ShellCommandLine.postgresCommand([.literal(context.praExecutable), "wal", "push", .placeholder("%p"), "--backup-dir", .literal(context.backupDirectory), "--env-file", .literal(envFile(context))])
        try connection.execute("ALTER SYSTEM SET archive_command = \(ShellCommandLine.configurationValue(command))")
        try connection.execute("SELECT pg_reload_conf()")
    }

    /// Rewrites the env file alone (the next `wal push` reads it).
    static func writeEnvFile(_ context: ScenarioContext, mode: String, endpoint: String?) throws {
        var lines = ["WAL_REMOTE_MODE=\(mode)"]
        // A stalled store must not hold a push (sync) or the copier (async) for minutes.
        if endpoint != nil { lines += ["S3_MAX_RETRIES=0", "S3_TIMEOUT=5s"] }
        for name in [Setting.remoteTarget, .s3Endpoint, .s3Region, .awsAccessKeyID, .awsSecretAccessKey, .awsSessionToken, .remoteSSHKey, .remoteSSHKnownHosts].map(\.name) {
            guard var value = context.environment[name] else { continue }
            if name == Setting.s3Endpoint.name, let endpoint { value = endpoint }
            lines.append("\(name)=\(value)")
        }
        let path = envFile(context)
        try DurableFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: path, permissions: 0o600)
        if let user = context.cluster.serverUser, let account = getpwnam(user) {
            chown(path, account.pointee.pw_uid, account.pointee.pw_gid)
        }
    }
}
