import Crypto
import Foundation

/// The steps of a base backup that reads the data directory itself (`BASE_BACKUP_READ`,
/// ``DataDirectoryAccess``) instead of streaming `pg_basebackup`.
extension BaseBackupOperation {
    /// How this backup reads the cluster: the data directory or pg_basebackup (a note says why
    /// an incremental streams); `BASE_BACKUP_READ=local` that cannot be honoured is refused.
    func chooseReading(_ server: ArchivingServer, settings: BaseBackupSettings) throws(OperationFailure) -> DataDirectoryAccess.Decision {
        let decision = DataDirectoryAccess.decide(DataDirectoryAccess.probe(server, mode: settings.read, incremental: incrementalFrom != nil))
        if case .refused(let reason) = decision {
            throw OperationFailure(stage: "configuration", message: reason, isUsageError: true)
        }
        return decision
    }

    /// Copies the cluster from its data directory at `root`: `pg_backup_start` (fast
    /// checkpoint), every file read and sent (``DataDirectoryCopy``: an incremental's unchanged
    /// pages left out), `pg_backup_stop`, its `backup_label`, the wait until the WAL the backup
    /// ends in is archived, and a PostgreSQL `backup_manifest` of what was sent. The session
    /// that started the backup stays open throughout: if pra dies, the server ends the backup.
    func copyDataDirectory(_ server: ArchivingServer, root: String, pageSize: Int, label: String, settings: BaseBackupSettings,
                           reference: IncrementalBaseBackupSource?, deflater: any StreamCompressor, into file: DurableFile) throws -> (CopiedCluster, ChainedCopy) {
        var hasher = SHA256()
        var tar = TarStreamScanner(keeping: DataDirectoryCopy.postgresManifestEntry)
        let writeCompressed: (UnsafeRawBufferPointer) throws -> Void = { chunk in
            hasher.update(bufferPointer: chunk)
            try file.write(chunk)
        }
        let emit: (UnsafeRawBufferPointer) throws -> Void = { piece in
            tar.scan(piece)
            try deflater.compress(piece, sink: writeCompressed)
        }
        let started = MonotonicClock.now()
        let start = try startBackup(server, label: label)
        var notes: [String] = []
        let referenceStart = reference.flatMap { Self.pageLSNsUsable(since: $0, server: server, notes: &notes) }
        let pageChecks = try Self.pageChecksumCheck(server, pageSize: pageSize, backupStart: start)
        var copy = DataDirectoryCopy(root: root, reference: reference?.map, referenceStart: referenceStart, pageSize: pageSize, pageChecks: pageChecks)
        let progress = self.progress
        let stop: BackupStop
        do {
            try copy.copyTree(emit: emit) { bytes in progress?.update(phase: "base backup (data directory)", bytes: bytes, total: server.clusterSize) }
            stop = try stopBackup(server)
        } catch {
            _ = try? server.connection.execute("SELECT pg_backup_stop(false)")
            throw error
        }
        try Self.checkPageChecksums(of: copy)
        let timeline = try Self.timeline(ofLabel: stop.label, start: start)
        let now = Int(Date().timeIntervalSince1970)
        try copy.add(path: "backup_label", content: Array(stop.label.utf8), modified: now, emit: emit)
        progress?.announce("base backup: files read; waiting for WAL segment \(stop.segment.text) to be archived")
        try server.waitUntilArchived(stop.segment, in: WALArchive(backupDirectory: configuration.backupDirectory), started: started, timeout: settings.archiveWait)
        let postgresManifest = copy.manifest.encoded(timeline: timeline, start: start, end: stop.lsn)
        try copy.add(path: DataDirectoryCopy.postgresManifestEntry, content: postgresManifest, modified: now, inManifest: false, emit: emit)
        try copy.finish(emit: emit)
        if let problem = tar.problem ?? tar.forbiddenEntry {
            throw OperationFailure(stage: "read", message: "the tar stream pra wrote is not valid: \(problem)")
        }
        try deflater.finish(sink: writeCompressed)
        let copied = CopiedCluster(postgresManifest: postgresManifest, entryCount: tar.entryCount, sha256: hasher.finalize().hex)
        var chained = ChainedCopy(map: copy.map, storedRanges: copy.storedRanges, referencedRanges: copy.referencedRanges, reference: reference)
        chained.notes = notes
        chained.pagesVerified = pageChecks == nil ? nil : copy.pagesVerified
        return (copied, chained)
    }

    /// The page checksum check of this cluster, when it has `data_checksums` on (else `nil`):
    /// `segment_size` is in pages.
    static func pageChecksumCheck(_ server: ArchivingServer, pageSize: Int, backupStart: LogSequenceNumber) throws(OperationFailure) -> PageChecksumCheck? {
        do {
            guard try server.connection.scalar("SHOW data_checksums") == "on" else { return nil }
            guard let pages = try server.connection.scalar("SELECT setting FROM pg_settings WHERE name = 'segment_size'").flatMap({ UInt32($0) }), pages > 0 else {
                throw OperationFailure(stage: "read", message: "data_checksums is on but segment_size is not a number of pages; the page checksums cannot be placed")
            }
            return PageChecksumCheck(pageSize: pageSize, pagesPerSegment: pages, backupStart: backupStart)
        } catch {
            throw OperationFailure(stage: "read", error)  // an OperationFailure passes through as it is
        }
    }

    /// Fails the backup when a page's checksum failed, as the server fails `pg_basebackup`:
    /// a backup holding a corrupt page is not one to restore without knowing.
    static func checkPageChecksums(of copy: DataDirectoryCopy) throws(OperationFailure) {
        guard copy.pageChecksumFailureCount > 0 else { return }
        let more = copy.pageChecksumFailureCount - copy.pageChecksumFailures.count
        throw OperationFailure(stage: "read", message: "data page checksum verification failed for \(copy.pageChecksumFailureCount) page(s): "
            + copy.pageChecksumFailures.map(\.description).joined(separator: "; ") + (more > 0 ? "; and \(more) more" : "")
            + ". The cluster's data files are damaged (pg_basebackup fails the same way; pg_checksums --check, run on a stopped copy, lists every page); restore the damaged relation from an earlier backup")
    }

    /// The reference's start, when page LSNs may stand in for hashes: the WAL archive holds
    /// every segment from the reference's start to the newest archived one. A gap means
    /// archiving stopped in between, perhaps to run with `wal_level = minimal`, which writes
    /// pages without stamping them; then every range is compared by hash (and a note says why).
    static func pageLSNsUsable(since reference: IncrementalBaseBackupSource, server: ArchivingServer, notes: inout [String]) -> LogSequenceNumber? {
        let archive = WALArchive(backupDirectory: (reference.entry.manifestPath as NSString).deletingLastPathComponent)
        guard let start = WALFileName(reference.manifest.startSegment) else { return nil }
        let continuity = WALContinuity(files: archive.files(), start: start, segmentSize: server.segmentSize, history: archive.history(of:))
        guard let gap = continuity.gap ?? (continuity.lastContiguous == nil ? start : nil) else { return reference.manifest.startLSN }
        notes.append("WAL segment \(gap.text) is missing from the archive since the reference \(reference.entry.name.fileName): every range compared by SHA-256, not by page LSN")
        return nil
    }

    /// Where `pg_backup_stop` ended the backup, its label, and the WAL segment holding the end.
    struct BackupStop {
        var lsn: LogSequenceNumber
        var label: String
        var segment: WALFileName
    }

    private func startBackup(_ server: ArchivingServer, label: String) throws(OperationFailure) -> LogSequenceNumber {
        do {
            guard let text = try server.connection.scalar("SELECT pg_backup_start($1, true)::text", ["pra \(label)"]), let lsn = LogSequenceNumber(text) else {
                throw OperationFailure(stage: "read", message: "pg_backup_start returned no position")
            }
            return lsn
        } catch {
            throw OperationFailure(stage: "read", error)  // an OperationFailure passes through as it is
        }
    }

    /// `pg_backup_stop` without its own wait for the archive (pra waits, with
    /// `ARCHIVE_WAIT_TIMEOUT`, naming the segment); it switches to a new WAL segment itself.
    private func stopBackup(_ server: ArchivingServer) throws(OperationFailure) -> BackupStop {
        do {
            let row = try server.connection.execute("SELECT lsn::text, labelfile, pg_walfile_name(lsn) FROM pg_backup_stop(false)").rows.first ?? []
            guard row.count == 3, let lsn = row[0].flatMap(LogSequenceNumber.init), let label = row[1], let segment = row[2].flatMap(WALFileName.init) else {
                throw OperationFailure(stage: "read", message: "pg_backup_stop returned no usable position or label")
            }
            return BackupStop(lsn: lsn, label: label, segment: segment)
        } catch {
            throw OperationFailure(stage: "read", error)  // an OperationFailure passes through as it is
        }
    }

    /// The `START TIMELINE` of a backup label, checked against its `START WAL LOCATION`.
    static func timeline(ofLabel label: String, start: LogSequenceNumber) throws(OperationFailure) -> UInt32 {
        var timeline: UInt32?
        var location: LogSequenceNumber?
        for line in label.split(separator: "\n") {
            if line.hasPrefix("START TIMELINE: ") { timeline = UInt32(line.dropFirst(16).trimmingCharacters(in: .whitespaces)) }
            if line.hasPrefix("START WAL LOCATION: ") { location = line.dropFirst(20).split(separator: " ").first.flatMap { LogSequenceNumber(String($0)) } }
        }
        guard let timeline, location == start else {
            throw OperationFailure(stage: "read", message: "the backup label from pg_backup_stop does not name timeline and start \(start): \(label.prefix(200).debugDescription)")
        }
        return timeline
    }
}
