import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The steps of ``BaseBackupOperation/run()``, in the order it calls them.
extension BaseBackupOperation {
    /// The settings a base backup reads, checked once: those it shares with a full backup
    /// (``ArchiveSettings``, read through as `settings.jobs`, ...) and its own.
    @dynamicMemberLookup
    struct BaseBackupSettings {
        var shared: ArchiveSettings
        var retention: RetentionPolicy
        /// `ARCHIVE_WAIT_TIMEOUT`: how long the copy may wait while archive_command fails.
        var archiveWait: Double
        /// The off-site copy, when `REMOTE_TARGET` is set.
        var remote: RemoteCopyOperation?
        /// `BASE_BACKUP_COMPRESSION` and the level it compresses at (gzip's `BACKUP_COMPRESSION_LEVEL`).
        var codec: CompressionCodec
        var codecLevel: Int
        /// `BASE_BACKUP_READ`: the data directory or pg_basebackup.
        var read: DataDirectoryAccess.Mode

        subscript<Value>(dynamicMember keyPath: KeyPath<ArchiveSettings, Value>) -> Value { shared[keyPath: keyPath] }

        init(_ configuration: Configuration) throws(OperationFailure) {
            do {
                shared = try ArchiveSettings(configuration: configuration)
                retention = try .baseBackups(configuration)
                archiveWait = try configuration.seconds(.archiveWaitTimeout)
                remote = try RemoteCopyOperation.forBaseBackups(configuration: configuration)
                codec = try configuration.codec(.baseBackupCompression)
                codecLevel = try configuration.compressionLevel(for: codec)
                read = DataDirectoryAccess.Mode(rawValue: try configuration.choice(.baseBackupRead)) ?? .auto
            } catch {
                throw OperationFailure(stage: "configuration", error)
            }
        }
    }

    /// The pg_basebackup that runs, and its version for the manifest.
    struct BasebackupProgram {
        var path: String
        var version: String
    }

    /// What the copy produced: PostgreSQL's `backup_manifest`, the tar's entry count and the
    /// archive's SHA-256.
    struct CopiedCluster {
        var postgresManifest: [UInt8]
        var entryCount: Int
        var sha256: String
    }

    /// What ties the copy to the range maps: the new map, how many ranges were stored and
    /// left to the reference, and the reference of an incremental.
    struct ChainedCopy {
        var map: RangeMap
        var storedRanges: Int
        var referencedRanges: Int
        var reference: IncrementalBaseBackupSource?
        /// What the result's warnings should say about how ranges were compared.
        var notes: [String] = []
        /// Data pages whose checksum pra verified (read from the data directory, `data_checksums` on).
        var pagesVerified: Int?

        init(map: RangeMap, storedRanges: Int, referencedRanges: Int, reference: IncrementalBaseBackupSource?) {
            self.map = map
            self.storedRanges = storedRanges
            self.referencedRanges = referencedRanges
            self.reference = reference
        }

        init(ranges: RangeMapTarFilter, reference: IncrementalBaseBackupSource?) {
            self.init(map: ranges.map, storedRanges: ranges.storedRanges, referencedRanges: ranges.referencedRanges, reference: reference)
        }
    }

    /// Connects and checks the server archives its WAL into this backup directory's archive.
    func connectArchivingServer(_ settings: BaseBackupSettings, directory: String) throws(OperationFailure) -> ArchivingServer {
        let server: ArchivingServer
        do {
            server = try ArchivingServer(settings: settings.connection, applicationName: Self.applicationName)
        } catch {
            throw OperationFailure(stage: "connect", error)
        }
        try server.requireArchiving(into: WALArchive(backupDirectory: directory))
        return server
    }

    /// pg_basebackup when the backup streams it; none (an empty path) when pra reads the data
    /// directory itself.
    func locateReader(for server: ArchivingServer, reading: DataDirectoryAccess.Decision) throws(OperationFailure) -> BasebackupProgram {
        if case .local = reading { return BasebackupProgram(path: "", version: "none (data directory read by pra)") }
        do {
            let path = try PostgresBinaries(configuration: configuration).locate("pg_basebackup", preferredMajor: server.majorVersion)
            return BasebackupProgram(path: path, version: try PostgresBinaries.majorVersion(of: path).text)
        } catch {
            throw OperationFailure(stage: "pg_basebackup", error)
        }
    }

    /// The archive file and its compressor: `BASE_BACKUP_COMPRESSION` on `PRA_JOBS` threads
    /// (gzip's blocks, zstd's workers, lz4's frames).
    func openArchive(_ path: String, settings: BaseBackupSettings) throws(OperationFailure) -> (DurableFile, any StreamCompressor) {
        let file: DurableFile
        do {
            file = try DurableFile(finalPath: path)
        } catch {
            throw OperationFailure(stage: "write", error)
        }
        do {
            return (file, try settings.codec.archiveCompressor(level: settings.codecLevel, jobs: settings.jobs))
        } catch {
            file.discard()
            throw OperationFailure(stage: "write", error)
        }
    }

    /// The copy itself, by the way chosen: ``copyDataDirectory`` or ``copyCluster``.
    func copy(_ server: ArchivingServer, reading: DataDirectoryAccess.Decision, with tool: BasebackupProgram, label: String, settings: BaseBackupSettings, since startedAt: Date,
              reference: IncrementalBaseBackupSource?, deflater: any StreamCompressor, into file: DurableFile) throws -> (CopiedCluster, ChainedCopy) {
        if case .local(let root, let pageSize) = reading {
            return try copyDataDirectory(server, root: root, pageSize: pageSize, label: label, settings: settings, reference: reference, deflater: deflater, into: file)
        }
        var ranges = RangeMapTarFilter(reference: reference?.map)
        let copied = try copyCluster(server, with: tool, label: label, settings: settings, since: startedAt, ranges: &ranges, deflater: deflater, into: file)
        return (copied, ChainedCopy(ranges: ranges, reference: reference))
    }

    /// Streams `pg_basebackup` (tar on stdout, no WAL: `-X none`, so it waits until the WAL the
    /// backup needs is archived) through the tar scanner, the deflater and SHA-256 into `file`,
    /// while a watch stops it if archiving fails for `ARCHIVE_WAIT_TIMEOUT`; checks the tar is
    /// whole and holds `backup_manifest`.
    func copyCluster(_ server: ArchivingServer, with tool: BasebackupProgram, label: String, settings: BaseBackupSettings, since startedAt: Date, ranges: inout RangeMapTarFilter, deflater: any StreamCompressor, into file: DurableFile) throws -> CopiedCluster {
        var hasher = SHA256()
        var tar = TarStreamScanner(keeping: "backup_manifest")
        let network = settings.connection.childNetworkKeywords
        let process = ExternalProcess(
            executable: tool.path,
            arguments: ["--pgdata=-", "--format=tar", "--wal-method=none", "--checkpoint=fast", "--no-password",
                        "--label=pra \(label)"] + (network.isEmpty ? [] : ["--dbname=" + network.trimmingCharacters(in: .whitespaces)]),
            environment: settings.connection.childEnvironment(applicationName: Self.applicationName),
            timeout: settings.timeout)
        let progress = self.progress
        var filter = ranges
        defer { ranges = filter }
        let writeCompressed: (UnsafeRawBufferPointer) throws -> Void = { chunk in
            hasher.update(bufferPointer: chunk)
            try file.write(chunk)
        }
        // pg_basebackup waits without limit for WAL that a failing archive_command never archives.
        let stallWatch = ArchiveStallWatch(settings: settings.connection, applicationName: Self.applicationName, since: startedAt, patience: settings.archiveWait)
        stallWatch.start()
        let outcome: ExternalProcess.Outcome
        do {
            outcome = try process.run { chunk in
                tar.scan(chunk)
                // The range map of every file; for an incremental, only the changed ranges go on.
                try filter.process(chunk) { piece in try deflater.compress(piece, sink: writeCompressed) }
                progress?.update(phase: "base backup", bytes: deflater.bytesIn, total: server.clusterSize)
            }
            stallWatch.stop()
        } catch {
            stallWatch.stop()
            throw error
        }
        if let stalled = stallWatch.reason {
            throw OperationFailure(stage: "archiving", message: stalled)
        }
        progress?.announce("base backup: copy complete; checking the tar archive and writing the manifests")
        try process.check(outcome)
        if let problem = tar.problem {
            throw OperationFailure(stage: "pg_basebackup", message: "the output is not a valid tar archive: \(problem)")
        }
        guard tar.reachedEnd, let content = tar.keptContent else {
            throw OperationFailure(stage: "pg_basebackup", message: "pg_basebackup exited 0 but its output \(tar.reachedEnd ? "holds no backup_manifest" : "ends before the end-of-archive marker"); the backup is incomplete")
        }
        try deflater.finish(sink: writeCompressed)
        return CopiedCluster(postgresManifest: content, entryCount: tar.entryCount, sha256: hasher.finalize().hex)
    }

    /// Writes PostgreSQL's `backup_manifest` beside the archive, renames the archive into place,
    /// then writes the pra manifest last (the backup is complete only once it is there). From the
    /// rename until then, an interrupt removes the archive; a failed manifest write removes it too.
    func commit(_ file: DurableFile, archivePath: String, copied: CopiedCluster, chained: ChainedCopy, server: ArchivingServer, tool: BasebackupProgram, startedAt: Date, codec: CompressionCodec, level: Int, uncompressedBytes: UInt64) throws -> BaseBackupManifest {
        let walRange = try Self.walRange(of: copied.postgresManifest)
        let postgresManifestPath = archivePath + BaseBackupManifest.postgresManifestSuffix
        let manifestPath = archivePath + BackupArchiveName.manifestSuffix
        let rangeMapPath = archivePath + RangeMap.fileSuffix
        let incompleteToken = InterruptCleanup.shared.register {
            if !FileManager.default.fileExists(atPath: manifestPath) { unlink(archivePath); unlink(postgresManifestPath); unlink(rangeMapPath) }
        }
        defer { InterruptCleanup.shared.unregister(incompleteToken) }
        try chained.reference?.check(startLSN: walRange.start, timeline: walRange.timeline, archive: WALArchive(backupDirectory: (archivePath as NSString).deletingLastPathComponent))
        let rangeMap = Data(chained.map.encoded())
        try DurableFile.write(Data(copied.postgresManifest), to: postgresManifestPath)
        do {
            try DurableFile.write(rangeMap, to: rangeMapPath)
        } catch {
            unlink(postgresManifestPath)
            throw error
        }
        try file.commit()
        let segmentSize = server.segmentSize
        var manifest = BaseBackupManifest(
            database: server.database, systemIdentifier: server.systemIdentifier, serverVersion: server.version,
            pgBasebackupVersion: tool.version, startedAt: startedAt, finishedAt: Date(), archive: (archivePath as NSString).lastPathComponent,
            compressedBytes: file.bytesWritten, uncompressedBytes: uncompressedBytes, sha256: copied.sha256,
            compressionLevel: level, compression: codec, timeline: walRange.timeline, startLSN: walRange.start, endLSN: walRange.end,
            startSegment: WALFileName.segment(containing: walRange.start, timeline: walRange.timeline, segmentSize: segmentSize).text,
            endSegment: WALFileName.segment(containing: walRange.end, timeline: walRange.timeline, segmentSize: segmentSize).text,
            postgresManifest: (postgresManifestPath as NSString).lastPathComponent,
            postgresManifestSHA256: SHA256.hash(data: copied.postgresManifest).hex, fileCount: copied.entryCount)
        manifest.rangeMap = (rangeMapPath as NSString).lastPathComponent
        manifest.rangeMapSHA256 = SHA256.hash(data: rangeMap).hex
        manifest.incrementalFrom = chained.reference?.reference
        manifest.chainDepth = chained.reference.map { $0.depth + 1 } ?? 0
        do {
            try DurableFile.write(manifest.encoded(), to: manifestPath)
        } catch {
            unlink(archivePath)
            unlink(postgresManifestPath)
            unlink(rangeMapPath)
            throw error
        }
        return manifest
    }
}
