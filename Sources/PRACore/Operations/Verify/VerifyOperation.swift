import Foundation

/// `pra verify`: archives named on the command line and, with `--all`, every full and base
/// backup in `BACKUP_DIR` and the WAL archive; with `--wal` the WAL archive; with `--remote` the
/// copies on `REMOTE_TARGET` and the window the off-site WAL gives alone. Each verdict line is
/// handed to ``emit`` as it comes; the whole is returned as one ``VerificationReport``, whose
/// ``VerificationReport/problems`` decide the exit code.
public struct VerifyOperation {
    /// What to verify.
    public struct Scope: Sendable {
        /// Archive paths, already resolved (they exist).
        public var archives: [String]
        public var all: Bool
        public var wal: Bool
        public var remote: Bool

        public init(archives: [String], all: Bool, wal: Bool, remote: Bool) {
            self.archives = archives
            self.all = all
            self.wal = wal
            self.remote = remote
        }
    }

    /// Why a verification could not be judged: ``Kind/usage`` (exit 2: a named archive or the
    /// backup directory or `REMOTE_TARGET` is wrong) or ``Kind/nothingToVerify`` (exit 1).
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public enum Kind: Sendable { case usage, nothingToVerify }
        public var kind: Kind
        public var message: String
        public var description: String { message }
    }

    /// One archive to verify, with whose it is (printed beside its verdict) under `--all`.
    struct Target {
        var archive: String
        var manifest: String
        var requireManifest: Bool
        var owner: String?
    }

    public var configuration: Configuration
    public var scope: Scope
    public var progress: ProgressReporter?
    /// Receives each verdict line as it comes (`nil` with `--json`).
    public var emit: ((String) -> Void)?
    /// Where `BACKUP_DIR` came from, for the message of an empty backup directory.
    public var directoryOrigin: String

    public init(configuration: Configuration, scope: Scope, progress: ProgressReporter? = nil, emit: ((String) -> Void)? = nil, directoryOrigin: String = Setting.backupDir.name) {
        self.configuration = configuration
        self.scope = scope
        self.progress = progress
        self.emit = emit
        self.directoryOrigin = directoryOrigin
    }

    /// Verifies everything in ``scope``; the report says what is invalid.
    public func run() throws(Failure) -> VerificationReport {
        let bases = scope.all ? BaseBackupCatalogue(directory: configuration.backupDirectory).entries : []
        let checksWAL = scope.wal || (scope.all && FileManager.default.fileExists(atPath: WALArchive(backupDirectory: configuration.backupDirectory).root))
        let targets = try targets(nothingElse: bases.isEmpty && !checksWAL && !scope.remote)
        var results = verifyArchives(targets)
        results += try verifyBaseBackups(bases)
        var offSiteWAL: OffSiteWAL?
        if scope.remote {
            let verified = try verifyRemote()
            results += verified.results
            offSiteWAL = verified.offSiteWAL
        }
        let walVerification = checksWAL ? WALArchiveVerification(backupDirectory: configuration.backupDirectory, progress: progress) : nil
        if let walVerification { emit?(walVerification.summary) }
        return VerificationReport(archives: results, wal: walVerification, offSiteWAL: offSiteWAL)
    }

    /// The named archives and, with `--all`, every full backup of every database in the
    /// directory (an archive without its manifest is then invalid); each must be a regular file.
    /// `nothingElse`: no base backup, WAL or remote copy is to be verified either.
    func targets(nothingElse: Bool) throws(Failure) -> [Target] {
        var targets = scope.archives.map { Target(archive: $0, manifest: $0 + BackupArchiveName.manifestSuffix, requireManifest: false, owner: nil) }
        if scope.all {
            let catalogue = BackupCatalogue(directory: configuration.backupDirectory)
            if catalogue.entries.isEmpty && nothingElse {
                throw Failure(kind: .nothingToVerify, message: "no archives in \(configuration.backupDirectory) (\(directoryOrigin)): it is empty; pra backup writes there, or point BACKUP_DIR or --backup-dir at the backups")
            }
            targets += catalogue.entries.map { Target(archive: $0.archivePath, manifest: $0.manifestPath, requireManifest: true, owner: BackupCatalogue.owner(of: $0)) }
        }
        for target in targets {
            if !FileManager.default.fileExists(atPath: target.archive) {
                throw Failure(kind: .usage, message: "\(target.archive) does not exist")
            }
            if let problem = ArchiveVerifier.notARegularFile(target.archive) {
                throw Failure(kind: .usage, message: problem)
            }
        }
        return targets
    }

    /// Each full backup against its manifest; the verdict is recorded for `pra status`.
    func verifyArchives(_ targets: [Target]) -> [VerificationResult] {
        targets.map { target in
            let result = ArchiveVerifier().verify(archivePath: target.archive, manifestPath: target.manifest, requireManifest: target.requireManifest, progress: progress)
            VerificationRecord.save(result)
            emit?(result.summary + (target.owner.map { " [\($0)]" } ?? ""))
            return result
        }
    }

    /// Each base backup in the directory, with its range map; then each incremental's chain,
    /// which is broken when a link is missing, altered or itself invalid. The verdict is
    /// recorded for `pra status`.
    func verifyBaseBackups(_ entries: [BaseBackupCatalogue.Entry]) throws(Failure) -> [VerificationResult] {
        var results: [VerificationResult] = []
        for entry in entries {
            var result: VerificationResult
            do {
                result = try BaseBackupVerifier().verify(entry, progress: progress)
            } catch {
                throw Failure(kind: .nothingToVerify, message: "\(entry.archivePath): \(error)")
            }
            if let problem = IncrementalBaseBackupChain.rangeMapProblem(of: entry) {
                result.problems.append(.init(kind: .chainBroken, message: problem))
            }
            results.append(result)
        }
        let invalid = Set(zip(entries, results).filter { !$0.1.valid }.map { $0.0.name.fileName })
        for (index, entry) in entries.enumerated() {
            if let problem = IncrementalBaseBackupChain.problem(of: entry, among: entries, invalid: invalid) {
                results[index].problems.append(.init(kind: .chainBroken, message: problem))
            }
            VerificationRecord.save(results[index])
            emit?(results[index].summary)
        }
        return results
    }

    /// The remote copies' verdicts (``Failure/Kind/usage`` when `REMOTE_TARGET` is unset or
    /// unreachable): full backups downloaded and verified, base backups read through against
    /// their manifests, and the off-site WAL read through with the window it gives alone.
    func verifyRemote() throws(Failure) -> (results: [VerificationResult], offSiteWAL: OffSiteWAL?) {
        let operation = try remoteOperation()
        let scratch = (configuration.backupDirectory as NSString).appendingPathComponent(".pra-remote-verify")
        var results: [VerificationResult]
        let offSite: OffSiteWAL?
        do {
            results = try operation.verifyRemote(scratchDirectory: scratch, progress: progress)
            offSite = try offSiteWAL(on: operation, scratch: scratch + "-wal")
            results += try operation.verifyRemoteBaseBackups(systemIdentifier: offSite?.systemIdentifier, scratchDirectory: scratch)
        } catch let error as RemoteError {
            throw Failure(kind: .usage, message: error.description)
        } catch let error as RemoteWALError {
            throw Failure(kind: .usage, message: error.description)
        } catch {
            throw Failure(kind: .usage, message: "\(error)")
        }
        // Off-site WAL is judged when there is some, or a base backup it should serve.
        let offSiteWAL = offSite.flatMap { $0.filesListed > 0 || !$0.baseBackups.isEmpty ? $0 : nil }
        if results.isEmpty && offSiteWAL == nil {
            throw Failure(kind: .nothingToVerify, message: "no complete backup on \(operation.store.description)")
        }
        for result in results { emit?("remote " + result.summary) }
        if let offSiteWAL { emit?(offSiteWAL.summary) }
        return (results, offSiteWAL)
    }

    /// The copy operation `REMOTE_TARGET` names.
    private func remoteOperation() throws(Failure) -> RemoteCopyOperation {
        do {
            guard let operation = try RemoteCopyOperation(configuration: configuration) else {
                throw Failure(kind: .usage, message: "--remote needs REMOTE_TARGET (a directory, ssh://user@host/path or s3://bucket/prefix)")
            }
            return operation
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(kind: .usage, message: "\(error)")
        }
    }

    /// The off-site WAL, judged when there is continuous archiving here or base backups there:
    /// a dump-only setup has no wal/ off-site to list.
    private func offSiteWAL(on operation: RemoteCopyOperation, scratch: String) throws -> OffSiteWAL? {
        let names = Set(try operation.store.list())
        let basesOffSite = names.contains { name in BackupArchiveName(fileName: name, kind: .base).map { names.contains($0.manifestFileName) } ?? false }
        let archivesHere = ((try? WALArchive(backupDirectory: configuration.backupDirectory).identity()) ?? nil) != nil
        guard basesOffSite || archivesHere else { return nil }
        return try OffSiteWAL.evaluate(configuration: configuration, readThrough: true, scratch: scratch, progress: progress)
    }
}
