import ArgumentParser
import Foundation
import PRACore

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check archives end to end: gzip stream, size and SHA-256 against the manifest, dump trailer; base backups and the WAL archive.",
        discussion: """
            Detects truncation, bit flips, zeroed blocks, appended garbage and missing or mismatched \
            manifests. With --all, every archive in BACKUP_DIR is checked, and an archive without its \
            manifest counts as an incomplete (invalid) backup. A stock `pg_dump | gzip` file named \
            on the command line is checked for gzip integrity and the dump trailer; the verdict says \
            that no manifest vouches for it.

            Base backups (with --all): the pra manifest, size and SHA-256, the gzip stream, the tar \
            archive through its end marker and PostgreSQL's backup_manifest inside it against the copy \
            beside it (pra restore --pitr also runs pg_verifybackup on the extracted directory). The WAL \
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
            local copy. The off-site WAL (REMOTE_TARGET/wal/) is read through file by file (gzip, \
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
        var targets: [(archive: String, manifest: String, requireManifest: Bool, owner: String?)] = resolved.map { ($0, $0 + BackupArchiveName.manifestSuffix, false, nil) }
        let bases = all ? BaseBackupCatalogue(directory: configuration.backupDirectory).entries : []
        let checksWAL = wal || (all && FileManager.default.fileExists(atPath: WALArchive(backupDirectory: configuration.backupDirectory).root))
        if all {
            let catalogue = BackupCatalogue(directory: configuration.backupDirectory)
            if catalogue.entries.isEmpty && bases.isEmpty && !checksWAL && !remote {
                throw Terminal.fail("no archives in \(configuration.backupDirectory) (\(paths.origin)): it is empty; pra backup writes there, or point BACKUP_DIR or --backup-dir at the backups", exitCode: 1)
            }
            // All databases' backups are listed, each saying whose it is.
            targets += catalogue.entries.map { ($0.archivePath, $0.manifestPath, true, BackupCatalogue.owner(of: $0)) }
        }
        for target in targets {
            if !FileManager.default.fileExists(atPath: target.archive) {
                throw Terminal.fail("\(target.archive) does not exist", exitCode: 2)
            }
            if let problem = ArchiveVerifier.notARegularFile(target.archive) {
                throw Terminal.fail(problem, exitCode: 2)
            }
        }
        let progress = json ? nil : common.progress
        var results: [VerificationResult] = []
        for target in targets {
            let result = ArchiveVerifier().verify(archivePath: target.archive, manifestPath: target.manifest, requireManifest: target.requireManifest, progress: progress)
            VerificationRecord.save(result)
            results.append(result)
            if !json { Terminal.output(result.summary + (target.owner.map { " [\($0)]" } ?? "") + "\n") }
        }
        for entry in bases {
            let result = try BaseBackupVerifier().verify(entry, progress: progress)
            VerificationRecord.save(result)
            results.append(result)
            if !json { Terminal.output(result.summary + "\n") }
        }
        var offSiteWAL: OffSiteWAL?
        if remote {
            let verified = try verifyRemote(configuration, progress: progress)
            results += verified.results
            offSiteWAL = verified.offSiteWAL
        }
        let walVerification = checksWAL ? WALArchiveVerification(backupDirectory: configuration.backupDirectory, progress: progress) : nil
        if let walVerification, !json { Terminal.output(walVerification.summary + "\n") }
        let invalid = results.filter { !$0.valid }
        if json {
            Terminal.output(JSONCoding.document(VerificationReport(archives: results, wal: walVerification, offSiteWAL: offSiteWAL)))
        }
        var failures = invalid.map(\.summary)
        if let offSiteWAL, !offSiteWAL.valid {
            failures.append("off-site WAL: " + (offSiteWAL.corrupt + offSiteWAL.problems).joined(separator: "; "))
        }
        if let walVerification, !walVerification.valid {
            failures.append("WAL archive: " + (walVerification.corrupt + walVerification.problems).joined(separator: "; "))
        }
        if !failures.isEmpty {
            throw Terminal.fail("\(failures.count) problem(s): " + failures.joined(separator: " | "), exitCode: 1)
        }
    }

    /// The remote copies' verdicts, each printed as it comes (exit 2 when REMOTE_TARGET is unset
    /// or unreachable): full backups downloaded and verified, base backups read through against
    /// their manifests, and the off-site WAL read through with the window it gives alone.
    private func verifyRemote(_ configuration: Configuration, progress: ProgressReporter?) throws -> (results: [VerificationResult], offSiteWAL: OffSiteWAL?) {
        let operation: RemoteCopyOperation
        do {
            guard let configured = try RemoteCopyOperation(configuration: configuration) else {
                throw Terminal.fail("--remote needs REMOTE_TARGET (a directory, ssh://user@host/path or s3://bucket/prefix)", exitCode: 2)
            }
            operation = configured
        } catch let error as ConfigurationError {
            throw Terminal.fail(error.description, exitCode: 2)
        }
        let scratch = (configuration.backupDirectory as NSString).appendingPathComponent(".pra-remote-verify")
        var results: [VerificationResult]
        let offSite: OffSiteWAL?
        do {
            results = try operation.verifyRemote(scratchDirectory: scratch, progress: progress)
            // The off-site WAL is judged with continuous archiving here or base backups there:
            // a dump-only setup has no wal/ off-site to list.
            let names = Set(try operation.store.list())
            let basesOffSite = names.contains { name in BackupArchiveName(fileName: name, kind: .base).map { names.contains($0.manifestFileName) } ?? false }
            let archivesHere = ((try? WALArchive(backupDirectory: configuration.backupDirectory).identity()) ?? nil) != nil
            offSite = basesOffSite || archivesHere ? try OffSiteWAL.evaluate(configuration: configuration, readThrough: true, scratch: scratch + "-wal", progress: json ? nil : progress) : nil
            results += try operation.verifyRemoteBaseBackups(systemIdentifier: offSite?.systemIdentifier, scratchDirectory: scratch)
        } catch let error as RemoteError {
            throw Terminal.fail(error.description, exitCode: 2)
        } catch let error as RemoteWALError {
            throw Terminal.fail(error.description, exitCode: 2)
        }
        // Off-site WAL is judged when there is some, or a base backup it should serve.
        let offSiteWAL = offSite.flatMap { $0.filesListed > 0 || !$0.baseBackups.isEmpty ? $0 : nil }
        if results.isEmpty && offSiteWAL == nil {
            throw Terminal.fail("no complete backup on \(operation.store.description)", exitCode: 1)
        }
        if !json {
            for result in results { Terminal.output("remote " + result.summary + "\n") }
            if let offSiteWAL { Terminal.output(offSiteWAL.summary + "\n") }
        }
        return (results, offSiteWAL)
    }
}
