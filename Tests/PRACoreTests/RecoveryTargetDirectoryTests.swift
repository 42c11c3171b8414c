import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// What `pra restore --pitr` writes into and around a recovered data directory, which the
/// server's account (and so anyone who forged a base backup) can prepare.
@Suite("recovery target directory: no write through a link, quoting that holds")
struct RecoveryTargetDirectoryTests {
    @Test("recovery settings are never written through a symbolic link or into a hard-linked or foreign file")
    func appendRefusesLinks() throws {
        let directory = TestEnvironment.temporaryDirectory("target-append")
        let outside = TestEnvironment.temporaryDirectory("target-outside") + "/root.conf"
        try "# root's\n".write(toFile: outside, atomically: true, encoding: .utf8)
        let target = RecoveryTargetDirectory(path: directory, user: nil)
        symlink(outside, directory + "/postgresql.auto.conf")
        #expect(throws: (any Error).self) { try target.append("restore_command = 'x'\n", to: "postgresql.auto.conf") }
        link(outside, directory + "/postgresql.conf")
        #expect(throws: (any Error).self) { try target.append("port = 1\n", to: "postgresql.conf") }
        #expect(try String(contentsOfFile: outside, encoding: .utf8) == "# root's\n")
        // createOnly leaves an existing file alone; a new one is created, not followed.
        try target.append("a\n", to: "pg_hba.conf", createOnly: true)
        try target.append("b\n", to: "pg_hba.conf", createOnly: true)
        #expect(try String(contentsOfFile: directory + "/pg_hba.conf", encoding: .utf8) == "a\n")
        try target.append("c\n", to: "pg_hba.conf")
        #expect(try String(contentsOfFile: directory + "/pg_hba.conf", encoding: .utf8) == "a\nc\n")
    }

    @Test("a socket directory for a long path is a new private one, never /tmp itself")
    func privateSocketDirectory() throws {
        let short = "/tmp/x"
        #expect(try PointInTimeRestoreOperation.socketDirectory(for: short, port: 5432, user: nil) == short)
        let long = "/tmp/" + String(repeating: "d", count: 120)
        let chosen = try PointInTimeRestoreOperation.socketDirectory(for: long, port: 5432, user: nil)
        defer { rmdir(chosen) }
        #expect(chosen != "/tmp" && chosen.hasPrefix("/tmp/pra-pitr-"))
        var info = stat()
        #expect(stat(chosen, &info) == 0 && info.st_mode & 0o777 == 0o700)
    }

    @Test("the export lines are shell-quoted: eval gives back the exact directory and database names")
    func exportsQuoted() throws {
        let dir = "/srv/pg/re covered $(touch /tmp/pra-export-ran) `id` 'q'"
        let details = PointInTimeDetails(target: "latest", dataDirectory: dir, port: 5433, socketDirectory: dir, baseBackup: "b", serverRunning: true, serverLog: "l")
        let script = details.exports(user: "o'neil", database: "akig; rm -rf /") + "printf '%s\\n' \"$PGHOST\" \"$PGDATABASE\" \"$PGUSER\" \"$PRA_RESTORED_DIR\"\n"
        let outcome = try ExternalProcess(executable: "/bin/bash", arguments: ["-c", script], environment: ChildEnvironment.base()).runChecked()
        #expect(outcome.stdoutText == "\(dir)\nakig; rm -rf /\no'neil\n\(dir)\n")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/pra-export-ran"))
    }

    @Test("a value with a backslash and a quote reaches PostgreSQL as written (postgresql.conf escapes)",
          .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs are not installed"))
    func configurationValueRoundTrips() throws {
        let directory = TestEnvironment.temporaryDirectory("confvalue")
        chmod(directory, 0o755)
        let value = #"/srv/pra\bin/pra wal get %f '%p' \n"#
        try "restore_command = \(ShellCommandLine.configurationValue(value))\n".write(toFile: directory + "/postgresql.conf", atomically: true, encoding: .utf8)
        let postgres = ((try PostgresBinaries().locate("pg_ctl")) as NSString).deletingLastPathComponent + "/postgres"
        let user = OSUser.processIsRoot ? OSUser.named("postgres") ?? OSUser.named("nobody") : nil
        let outcome = try ExternalProcess(executable: postgres, arguments: ["-D", directory, "-C", "restore_command"], environment: ChildEnvironment.base(), user: user).runChecked()
        #expect(outcome.stdoutText.trimmingCharacters(in: .newlines) == value)
    }
}
