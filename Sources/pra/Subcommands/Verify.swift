import ArgumentParser
import Foundation
import PRACore

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check archives end to end: gzip stream, size and SHA-256 against the manifest, dump trailer; base backups and the WAL archive.",
        discussion: """
            Detects truncation, bit flips, zeroed blocks, appended garbage and missing or mismatched \
            manifests. With --all, every archive in BACKUP_DIR is checked, and an archive without its \
            manifest counts as an incomplete (invalid) backup. A stock `pg_dump | gzip` (or `| zstd`, `| lz4`) file named \
            on the command line is checked for the compressed stream's integrity (the codec its name or first bytes give) \
            and the dump trailer; the verdict says \
            that no manifest vouches for it.

            Base backups (with --all): the pra manifest, size and SHA-256, the gzip, zstd or lz4 stream, the tar \
            archive through its end marker, PostgreSQL's backup_manifest inside it against the copy \
            beside it, and every file's content against the CRC-32C that backup_manifest gives it, all in \
            one read (pra restore --pitr also runs pg_verifybackup on the extracted directory). The WAL \
            archive (with --all or --wal): every file read back against the SHA-256 in its name, no \
            gap from each base backup's start to the newest segment, and the recoverable window: \
            "can restore to any moment between A and B".

            A bare archive name (as pra backup prints it) is looked up in BACKUP_DIR when it is not in \
            the current directory.

            Remote copies (with --remote): every complete backup on REMOTE_TARGET (a directory, ssh:// \
            or s3://) is downloaded, one at a time, into BACKUP_DIR/.pra-remote-verify and verified the \
            same way against its manifest, then the download is removed. Base backups off-site \
            (their pra manifest present) are read through against the size and SHA-256 of the \
            archive and of PostgreSQL's backup_manifest that their manifest records, without a \
            local copy. The off-site WAL (REMOTE_TARGET/wal/) is read through file by file (gzip/zstd/lz4, \
            the SHA-256 in its name, each segment's header against the system in wal/archive.json) \
            and its continuity from each off-site base backup stated: "from the off-site copy \
            alone: can restore to any moment between A and about B".

            Exit codes: 0 everything valid, 1 an archive is invalid or the WAL has a gap or a corrupt \
            file, 2 usage error (a named archive does not exist, or with --all the backup directory \
            does not exist).

            Examples:
              pra verify --all
              pra verify akig_backup_full_20261125_030000.sql.gz --json  # in BACKUP_DIR
              pra verify --wal       # the WAL archive and the recoverable window only
              pra verify --remote    # the off-site copies on REMOTE_TARGET
            """)

    @Argument(help: ArgumentHelp("Archives to verify.", valueName: "archive"))
    var archives: [String] = []

    @Flag(name: .long, help: "Verify every archive in BACKUP_DIR: full and base backups, and the WAL archive.")
    var all = false

    @Flag(name: .long, help: "Verify the WAL archive and state the recoverable window.")
    var wal = false

    @Flag(name: .long, help: "Verify the complete backups, base backups and WAL on REMOTE_TARGET, and the window they give alone.")
    var remote = false

    @Flag(name: .long, help: "Print the verdicts as one JSON document.")
    var json = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if archives.isEmpty && !all && !wal && !remote {
            throw ValidationError("name at least one archive, or use --all, --wal or --remote")
        }
    }

    func run() throws {
        let configuration = try common.loadConfiguration(logAs: "verify")
        let paths = BackupDirectoryPaths(configuration: configuration)
        var resolved: [String] = []
        do {
            for archive in archives { resolved.append(try paths.resolve(archive)) }
            if all { try paths.requireDirectory() }
        } catch {
            throw Terminal.fail(error.description, exitCode: 2)
        }
        let operation = VerifyOperation(
            configuration: configuration, scope: .init(archives: resolved, all: all, wal: wal, remote: remote),
            progress: json ? nil : common.progress, emit: json ? nil : { Terminal.output($0 + "\n") }, directoryOrigin: paths.origin)
        let report: VerificationReport
        do {
            report = try operation.run()
        } catch {
            throw Terminal.fail(error.message, exitCode: error.kind == .usage ? 2 : 1)
        }
        if json { Terminal.output(JSONCoding.document(report)) }
        let problems = report.problems
        if !problems.isEmpty {
            throw Terminal.fail("\(problems.count) problem(s): " + problems.joined(separator: " | "), exitCode: 1)
        }
    }
}
