import Foundation
import PRACore
import PRATestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension ArchivingCluster {
    /// The env file the server's `archive_command` reads (beside the backup directory).
    var walEnvFile: String { backupDirectory + ".wal.env" }

    /// From now on `archive_command` pushes WAL in `codec`: `WAL_COMPRESSION` in an env file of
    /// its own, read by every push. The first call points archive_command at the file and
    /// reloads the server; later calls only rewrite the file (the next push reads it).
    func archiveWAL(in codec: CompressionCodec) throws {
        let exists = FileManager.default.fileExists(atPath: walEnvFile)
        let staging = walEnvFile + ".new"
        try "\(Setting.walCompression.name)=\(codec.rawValue)\n".write(toFile: staging, atomically: false, encoding: .utf8)
        chmod(staging, 0o644)
        rename(staging, walEnvFile)
        guard !exists else { return }
        let command = ShellCommandLine.postgresCommand([.literal(PraBinary.path), "wal", "push", .placeholder("%p"), "--backup-dir", .literal(backupDirectory), "--env-file", .literal(walEnvFile)])
        try TestEnvironment.psql("ALTER SYSTEM SET archive_command = E\(ShellCommandLine.configurationValue(command))", database: "postgres", cluster: cluster)
        try TestEnvironment.psql("SELECT pg_reload_conf()", database: "postgres", cluster: cluster)
        // The archiver takes the new command at its next loop: one segment through it settles it.
        usleep(1_000_000)
        try sql("INSERT INTO pitr_marker (note) VALUES ('codec switch')")
        let name = try switchAndWait()
        let file = try #require(try archive.find(WALFileName(name)!))
        #expect(file.codec == codec, "archive_command did not take WAL_COMPRESSION=\(codec.rawValue): \(file.path)")
    }

    /// Runs `script` with `sh -c` and the given arguments as $0, $1...; its standard output.
    func shell(_ script: String, _ arguments: [String]) throws -> String {
        let outcome = try TestEnvironment.shell(script, arguments)
        #expect(outcome.exitCode == 0, "sh -c \(script): \(outcome.standardError)")
        return outcome.stdoutText
    }

    /// Connects to the recovered server running on `directory`.
    func recovered(_ directory: String) throws -> PostgresConnection {
        let pid = try String(contentsOfFile: directory + "/postmaster.pid", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        return try PostgresConnection(ConnectionSettings(parameters: ["host": directory, "port": String(pid[3]), "user": "postgres", "dbname": database]), applicationName: "test")
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Rows before and after a moment: returns the moment (one second clear of both).
    func mark(before: String, after: String) throws -> Date {
        try sql("INSERT INTO pitr_marker (note) SELECT '\(before)' FROM generate_series(1, 7)")
        usleep(1_100_000)
        let mark = Date()
        usleep(1_100_000)
        try sql("INSERT INTO pitr_marker (note) SELECT '\(after)' FROM generate_series(1, 11)")
        return mark
    }
}
