import Foundation

/// Verify and load, newest first, falling back past archives that fail verification. The cheap
/// checks (manifest, size) run first; the checksum, gzip stream and dump trailer are verified
/// in the same pass that loads, and a load that does not verify is thrown away with its
/// staging database.
extension RestoreOperation {
    /// How one candidate ended.
    enum Attempt {
        /// Loaded into the staging database, and its checks passed.
        case loaded(VerificationResult)
        /// Loaded, but its content failed the checks (row counts, tables): thrown away.
        case refused(RefusedLoad)
        /// Not loaded: failed verification, or a backup of another database.
        case skipped
    }

    /// A load whose content failed the checks, with them.
    struct RefusedLoad {
        let verdict: VerificationResult
        let checks: [RestoreResult.Check]
        let note: String
    }

    /// Loads the newest candidate that verifies and passes its checks into `staging`. `nil`:
    /// none did, and the last load refused by its checks is recorded as the result (the target
    /// was never touched; nothing of the load is left). Throws when nothing could be loaded.
    func loadNewestValid(_ candidates: inout RestoreCandidates, into staging: Staging, setup: Setup, run: inout RestoreRun) throws(RestoreStop) -> VerificationResult? {
        var refused: RefusedLoad?
        while let candidate = candidates.next(run: &run) {
            switch try attempt(candidate, isFallback: candidates.tried > 1, into: staging, setup: setup, run: &run) {
            case .loaded(let verdict): return verdict
            case .refused(let load): refused = load
            case .skipped: continue
            }
        }
        if let refused {
            // Nothing better to fall back to: report the checks that refused the last load.
            run.result.archive = refused.verdict.archive
            run.result.archiveHasManifest = refused.verdict.hasManifest
            run.result.backupFinishedAt = refused.verdict.backupFinishedAt
            run.result.checks = refused.checks
            // Its checks say it in full; the others skipped stay listed.
            run.result.skippedBackups.removeAll { $0 == refused.note }
            return nil
        }
        staging.drop()
        if case .file(let path) = setup.source {
            throw RestoreStop.failed(stage: .verify, message: "\((path as NSString).lastPathComponent) is not a valid archive: \(run.result.skippedBackups.joined(separator: "; "))")
        }
        throw RestoreStop.failed(stage: .verify, message: ArchiveError.noValidBackup(directory: configuration.backupDirectory, tried: run.result.skippedBackups).description)
    }

    /// Verifies `candidate` and loads it into a new staging database.
    func attempt(_ candidate: Candidate, isFallback: Bool, into staging: Staging, setup: Setup, run: inout RestoreRun) throws(RestoreStop) -> Attempt {
        let name = (candidate.archive as NSString).lastPathComponent
        if candidate.requireManifest, let manifest = try? BackupManifest.load(path: candidate.manifest), manifest.database != setup.sourceDatabase {
            run.result.skippedBackups.append("\(name) is a backup of database \(manifest.database), not \(setup.sourceDatabase)")
            return .skipped
        }
        if isFallback { progress?.announce("fallback: trying the previous backup, \(name)") }
        run.begin(.verify)
        let problems = ArchiveVerifier().precheck(archivePath: candidate.archive, manifestPath: candidate.manifest, requireManifest: candidate.requireManifest)
        if !problems.isEmpty {
            var verdict = VerificationResult(archive: candidate.archive)
            verdict.problems = problems
            VerificationRecord.save(verdict)
            run.result.skippedBackups.append("\(name) failed verification (\(problems.map(\.message).joined(separator: "; ")))")
            return .skipped
        }
        run.begin(.create)
        do {
            try staging.recreate()
        } catch {
            throw RestoreStop.failed(stage: .create, message: OperationFailure(stage: "create", error).message)
        }
        run.begin(.load)
        switch load(candidate, into: staging.name, settings: setup.settings, jobs: setup.jobs, spillLimit: setup.spillLimit, result: &run.result) {
        case .loaded(let verdict):
            VerificationRecord.save(verdict)
            return check(verdict, name: name, in: staging, settings: setup.settings, run: &run)
        case .invalid(let verdict):
            VerificationRecord.save(verdict)
            run.result.skippedBackups.append("\(name) failed verification (\(verdict.problems.map(\.message).joined(separator: "; ")))")
            return .skipped
        case .loadFailed(let message):
            // A damaged archive can also make psql fail first: read it whole to tell which.
            run.begin(.verify)
            let verdict = ArchiveVerifier().verify(archivePath: candidate.archive, manifestPath: candidate.manifest, requireManifest: candidate.requireManifest, progress: progress)
            VerificationRecord.save(verdict)
            if verdict.valid {
                staging.drop()
                throw RestoreStop.failed(stage: .load, message: message)
            }
            run.result.skippedBackups.append("\(name) failed verification (\(verdict.problems.map(\.message).joined(separator: "; ")))")
            return .skipped
        }
    }

    /// The content is checked in the staging database, before it replaces anything: a load
    /// that differs from its manifest never becomes the target, and --latest falls back to the
    /// previous backup as for one that fails verification.
    func check(_ verdict: VerificationResult, name: String, in staging: Staging, settings: ConnectionSettings, run: inout RestoreRun) -> Attempt {
        progress?.announce("checks: tables, row counts against the manifest, critical tables")
        run.begin(.check)
        let checks = contentChecks(of: verdict, in: staging.name, settings: settings)
        if checks.allSatisfy(\.passed) {
            run.result.checks = checks
            return .loaded(verdict)
        }
        staging.drop()
        let note = "\(name) loaded but failed its checks (" + checks.filter { !$0.passed }.map { "\($0.name): \($0.message)" }.joined(separator: "; ") + ")"
        run.result.skippedBackups.append(note)
        return .refused(RefusedLoad(verdict: verdict, checks: checks, note: note))
    }
}
