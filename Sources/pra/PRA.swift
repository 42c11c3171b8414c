import ArgumentParser
import Foundation
import PRACore

@main
struct PRA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pra",
        abstract: "Back up, verify, restore and watch a PostgreSQL database, and prove the recovery plan works.",
        discussion: """
            Configuration comes from command-line options, then the environment, then an env file \
            (--env-file, default ./.env). Connection settings are libpq's: PGHOST, PGPORT, PGUSER, \
            PGDATABASE, PGPASSFILE/PGPASSWORD, or DATABASE_URL. See docs/configuration.md.

            Exit codes: backup, verify, restore: 0 success, 1 failure or invalid archive, 2 usage or \
            configuration error; backup 3 when the local backup is complete but the remote copy failed. \
            activate: 0 activated within budget, 3 activated over budget, 1 failed, 2 refused. \
            status: 0 OK, 1 CRITICAL, 2 WARNING, 3 configuration error (--nagios: 0 OK, 1 WARNING, \
            2 CRITICAL, 3 UNKNOWN). \
            drill run: 0 every scenario passed, 1 one failed, 2 invalid scenario. report: 0 compliant, \
            1 not compliant, 2 no report. Nothing configured to connect to (no PGHOST, PGDATABASE or \
            DATABASE_URL, and libpq's defaults fail) is a configuration error: exit 2 (status: 3).

            Example (a scratch server to try it on):
              eval "$(pra cluster up)" && pra fixtures load --scale 0.2 && pra backup --full
            """,
        version: "\(PRAVersion.current) (\(BuildCommit.commit))",
        subcommands: [Backup.self, Verify.self, Restore.self, Activate.self, Status.self, Wal.self, Standby.self, Schedule.self, Drill.self, Report.self, Evidence.self, Cluster.self, Fixtures.self]
    )

    /// Argument-parser reports usage errors with EX_USAGE (64); pra's contract is exit 2.
    static func main() {
        if let unknown = UnknownSubcommand.find(in: Array(CommandLine.arguments.dropFirst()), root: PRA.self) {
            FileHandle.standardError.write(Data(("pra: error: " + unknown.message + "\n").utf8))
            Foundation.exit(2)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// The commit `pra --version` names. scripts/package-deb.sh writes the git-ignored
/// `BuildCommit.generated.swift` (`extension BuildCommit { static var commit: String { "commit ..." } }`)
/// for its release build and removes it afterwards; every other build (a tarball, a plain
/// `swift build`) falls back to this default, and the tree is never dirtied.
protocol BuildCommitDefault {}
extension BuildCommitDefault { static var commit: String { "unknown commit" } }
enum BuildCommit: BuildCommitDefault {}
