import Foundation

/// Loading an archive into the staging database while verifying it.
extension RestoreOperation {
    enum LoadOutcome {
        case loaded(VerificationResult)
        case invalid(VerificationResult)
        case loadFailed(String)
    }

    private struct InvalidArchive: Error {}

    /// Loads the archive into `database` while verifying it: over `jobs` connections when the
    /// dump can be split (``ParallelDumpLoader``), else streamed into one
    /// `psql --single-transaction`. `result` gets which (``RestoreResult/loadMethod``) and why,
    /// and the parallel load's figures (spill, connections per table).
    func load(_ candidate: (archive: String, manifest: String, requireManifest: Bool), into database: String, settings: ConnectionSettings, jobs: Int, spillLimit: Int, result: inout RestoreResult) -> LoadOutcome {
        let psql: PsqlProgram
        do {
            psql = try PsqlProgram(configuration: configuration, settings: settings.with(database: database), applicationName: Self.applicationName)
        } catch let error as ConfigurationError {
            return .loadFailed(error.description)
        } catch {
            return .loadFailed("\(error)")
        }
        let reason = jobs < 2 ? "PRA_JOBS=\(jobs)" : Self.unsplittableReason(candidate.archive, manifest: candidate.manifest, spillLimit: spillLimit)
        if let reason {
            result.loadMethod = "one connection (\(reason))"
            return loadOneConnection(candidate, psql: psql, database: database, settings: settings)
        }
        let chunk = SpillBudget.chunkSize(limit: spillLimit)
        result.loadMethod = "\(jobs) connections in parallel (schema, then tables in chunks of \(chunk >= 1 << 20 ? "\(chunk >> 20) MiB" : "\(chunk >> 10) KiB"), then indexes and constraints)"
        result.spillLimitBytes = Int64(spillLimit)
        return loadParallel(candidate, psql: psql, jobs: jobs, spillLimit: spillLimit, settings: settings, database: database, result: &result)
    }

    /// Why the archive is not loaded in parallel: not a pg_dump plain dump, or not enough room
    /// for the spill files (`spillLimit`, or the table data when smaller). `nil` when it can be.
    static func unsplittableReason(_ archive: String, manifest: String, spillLimit: Int) -> String? {
        var head: [UInt8] = []
        let recorded = try? BackupManifest.load(path: manifest)
        do {
            guard let handle = FileHandle(forReadingAtPath: archive) else { return "cannot open the archive" }
            defer { try? handle.close() }
            let inflater = try CheckedDecompressor(codec: ArchiveVerifier.readingCodec(archivePath: archive, manifest: recorded))
            // An lz4 archive written on several threads gives nothing before its first 1 MiB
            // frame is complete: read on until the head is there (a few MiB at most).
            var read = 0
            while head.count < 256, read < 8 << 20, let compressed = try handle.read(upToCount: 64 * 1024), !compressed.isEmpty {
                read += compressed.count
                try compressed.withUnsafeBytes { bytes in
                    try inflater.decompress(bytes) { piece in
                        if head.count < 256 { head.append(contentsOf: piece.prefix(256 - head.count)) }
                    }
                }
            }
        } catch {
            return "its first bytes do not decompress (\(error))"
        }
        if let reason = ParallelDumpLoader.unsplittableReason(head: head) { return reason }
        let size = ((try? FileManager.default.attributesOfItem(atPath: archive)[.size]) as? NSNumber)?.uint64Value ?? 0
        // Table data is spilled uncompressed, but never more than the limit at once: the
        // ceiling (or the whole dump, when smaller) must fit in TMPDIR.
        let dump = recorded?.uncompressedBytes ?? size * 10
        var info = statvfs()
        let directory = Self.spillParent
        guard statvfs(directory, &info) == 0 else { return nil }
        return spillSpaceShortfall(directory: directory, free: UInt64(info.f_bavail) * UInt64(info.f_frsize), dumpBytes: dump, spillLimit: spillLimit)
    }

    /// Why `free` bytes in `directory` are too few for the spill files: they need the limit,
    /// or the dump's size when smaller, plus a tenth. `nil` when there is room.
    static func spillSpaceShortfall(directory: String, free: UInt64, dumpBytes: UInt64, spillLimit: Int) -> String? {
        let needed = min(dumpBytes, UInt64(max(spillLimit, 0)))
        guard free < needed + needed / 10 else { return nil }
        return "\(directory) has \(free / 1_048_576) MiB free, the spill files need up to \(needed / 1_048_576) MiB (\(Setting.restoreSpillLimit.name)=\(spillLimit / 1_048_576)MiB, or the dump's table data when smaller)"
    }

    /// Removes the spill directories of restores whose process is gone (killed with SIGKILL:
    /// no cleanup ran).
    static func removeOrphanedSpills() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: spillParent)) ?? []
        for name in names where name.hasPrefix("pra-restore-") {
            let parts = name.split(separator: "-")
            guard parts.count == 4, let pid = pid_t(parts[2]), pid != getpid() else { continue }
            // Only a directory this account made (mkdtemp, 0700): in a shared TMPDIR another
            // account could plant one by that name to have pra delete through it.
            var info = stat()
            let path = (spillParent as NSString).appendingPathComponent(name)
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid(), info.st_mode & 0o077 == 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(atPath: (spillParent as NSString).appendingPathComponent(name))
            }
        }
    }

    static var spillParent: String { ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp" }

    /// Verifies and loads over several connections (see ``ParallelDumpLoader``).
    private func loadParallel(_ candidate: (archive: String, manifest: String, requireManifest: Bool), psql: PsqlProgram, jobs: Int, spillLimit: Int, settings: ConnectionSettings, database: String, result: inout RestoreResult) -> LoadOutcome {
        Self.removeOrphanedSpills()
        // The pid in the name: a restore killed outright leaves its spill, the next one removes it.
        var template = Array(((Self.spillParent as NSString).appendingPathComponent("pra-restore-\(getpid())-XXXXXX")).utf8CString)
        guard let created = mkdtemp(&template) else {
            return .loadFailed("cannot create a spill directory in \(Self.spillParent): \(String(cString: strerror(errno)))")
        }
        let spill = String(cString: created)
        let cleanup = InterruptCleanup.shared.register { try? FileManager.default.removeItem(atPath: spill) }
        defer {
            try? FileManager.default.removeItem(atPath: spill)
            InterruptCleanup.shared.unregister(cleanup)
        }
        let connect: @Sendable () throws -> PostgresConnection = {
            let connection = try PostgresConnection(settings, database: database, applicationName: Self.applicationName)
            try connection.execute("SET client_min_messages = warning")
            return connection
        }
        let loader = ParallelDumpLoader(psql: psql, dbnameArgument: "--dbname=" + BackupOperation.connectionString(database: database) + settings.childNetworkKeywords, jobs: jobs, spillDirectory: spill, spillLimit: spillLimit, connect: connect)
        defer {
            result.peakSpillBytes = Int64(loader.budget.peak)
            result.peakConnectionsPerTable = loader.peakConnectionsPerTable
        }
        let verdict: VerificationResult
        do {
            verdict = try ArchiveVerifier(phase: "restore").verify(archivePath: candidate.archive, manifestPath: candidate.manifest, requireManifest: candidate.requireManifest, progress: progress, forPsql: true) { chunk in
                try loader.consume(chunk)
            }
        } catch {
            loader.abort()
            return .loadFailed("\(error)")
        }
        // Not valid: stop every psql; the staging database is thrown away.
        guard verdict.valid else {
            loader.abort()
            return .invalid(verdict)
        }
        progress?.announce("restore: archive read and verified; loading the last tables, then indexes and constraints")
        do {
            try loader.finish()
        } catch {
            loader.abort()
            return .loadFailed("\(error)")
        }
        return .loaded(verdict)
    }

    /// Streams the archive into `psql --single-transaction` while verifying it.
    private func loadOneConnection(_ candidate: (archive: String, manifest: String, requireManifest: Bool), psql: PsqlProgram, database: String, settings: ConnectionSettings) -> LoadOutcome {
        // The database as a quoted connection string, with the keywords that notice a dead link.
        let process = psql.process(arguments: PsqlProgram.scriptArguments + ["--single-transaction", "--dbname=" + BackupOperation.connectionString(database: database) + settings.childNetworkKeywords])
        var verdict: VerificationResult?
        let progress = self.progress
        do {
            let outcome = try process.run { stdin in
                try psql.writePreamble(to: stdin)
                let result = try ArchiveVerifier(phase: "restore").verify(archivePath: candidate.archive, manifestPath: candidate.manifest, requireManifest: candidate.requireManifest, progress: progress, forPsql: true) { chunk in
                    try stdin.write(chunk)
                }
                verdict = result
                // Not valid: stop psql before it sees the end of input and commits.
                if !result.valid { throw InvalidArchive() }
                progress?.announce("restore: archive read and verified; psql is committing the load")
            }
            try process.check(outcome)
        } catch let failure as ConsumerFailure {
            if failure.underlying is InvalidArchive, let verdict { return .invalid(verdict) }
            return .loadFailed(ProcessError(kind: .failed, program: "psql", stderr: failure.standardError).stderrSummary ?? "\(failure.underlying)")
        } catch {
            return .loadFailed("\(error)")
        }
        guard let verdict else { return .loadFailed("psql ended before the archive was read") }
        return .loaded(verdict)
    }
}
