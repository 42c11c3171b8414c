import CPosix
import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads a running cluster's data directory (between `pg_backup_start` and `pg_backup_stop`)
/// and writes the tar stream of a base backup, the way ``RangeMapTarFilter`` rewrites
/// pg_basebackup's: the same entries, the same `pra-range/<index>/<path>` entries for the ranges
/// of an incremental, and the same ``RangeMap``.
///
/// What it saves over the stream is work on what did not change. With a reference, a range
/// of a relation's main fork whose pages all carry an LSN older than the reference's start
/// (`referenceStart`) is left out without being hashed (``PageLSNScan``: such a page is in the
/// reference as it is now); every other range of a file the reference has is hashed and stored
/// unless its hash equals the reference's. Without `referenceStart`, every range is compared by
/// its hash. The new map records, for a range left out, the reference's hash:
/// it describes what a restore of the chain assembles, which the restore checks.
///
/// Memory: two batches of two range buffers (4 MiB), the map, and one manifest line per file.
struct DataDirectoryCopy {
    /// PostgreSQL's manifest inside the archive, as pg_basebackup names it.
    static let postgresManifestEntry = "backup_manifest"
    /// The data directory, absolute.
    let root: String
    let reference: RangeMap?
    private(set) var map: RangeMap
    private(set) var storedRanges = 0
    private(set) var referencedRanges = 0
    /// Ranges of main forks left out by their page LSNs alone, without hashing.
    private(set) var rangesSkippedByLSN = 0
    private(set) var bytesRead: UInt64 = 0
    /// Data pages whose checksum was verified (``PageChecksumCheck``; 0 without `data_checksums`).
    private(set) var pagesVerified = 0
    /// Pages whose checksum failed: how many, and the first ``failuresKept``.
    private(set) var pageChecksumFailureCount = 0
    private(set) var pageChecksumFailures: [PageChecksumCheck.Failure] = []
    static let failuresKept = 10
    private(set) var manifest = PostgresBackupManifestWriter()
    /// Reads, classifies and hashes the ranges, batch by batch, on all cores.
    private let examiner: RangeExaminer

    /// - Parameters:
    ///   - referenceStart: where the reference's WAL starts (its checkpoint's redo point).
    ///   - pageSize: `block_size`.
    ///   - pageChecks: verifies data page checksums as they are read (`data_checksums` on).
    init(root: String, reference: RangeMap?, referenceStart: LogSequenceNumber?, pageSize: Int, rangeSize: UInt64 = RangeMap.defaultRangeSize, pageChecks: PageChecksumCheck? = nil) {
        self.root = root
        self.reference = reference
        map = RangeMap(rangeSize: reference?.rangeSize ?? rangeSize)
        examiner = RangeExaminer(reference: reference, referenceStart: referenceStart, pageSize: pageSize, rangeSize: map.rangeSize, pageChecks: pageChecks)
    }

    /// Sends every directory and file of the data directory (``DataDirectoryWalk``).
    mutating func copyTree(emit: (UnsafeRawBufferPointer) throws -> Void, progress: (UInt64) -> Void) throws {
        try DataDirectoryWalk(root: root).walk { entry in
            switch entry.kind {
            case .directory:
                try emitHeader(TarHeader.make(name: try Self.tarName(entry.path), kind: .directory, mode: entry.mode & ~0o027, modified: entry.modified), emit)
            case .file:
                try copyFile(entry, emit: emit)
                progress(bytesRead)
            }
        }
    }

    /// A file whose content pra has in memory (`backup_label` from `pg_backup_stop`), stored
    /// whole; `inManifest`: listed in PostgreSQL's manifest (all but `backup_manifest`).
    mutating func add(path: String, content: [UInt8], modified: Int, inManifest: Bool = true, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try emitHeader(TarHeader.make(name: try Self.tarName(path), kind: .file(size: UInt64(content.count)), mode: 0o600, modified: modified), emit)
        var hashes: [UInt8] = []
        var offset = 0
        while offset < content.count {
            let end = min(content.count, offset + Int(map.rangeSize))
            hashes += SHA256.hash(data: content[offset..<end])
            storedRanges += 1
            offset = end
        }
        try content.withUnsafeBytes { try emit($0) }
        try emitPadding(after: UInt64(content.count), emit)
        map.add(path: path, size: UInt64(content.count), mode: 0o600, rangeHashes: hashes)
        if inManifest {
            let checksum = content.withUnsafeBytes { pra_crc32c(0xFFFF_FFFF, $0.baseAddress, $0.count) } ^ 0xFFFF_FFFF
            manifest.add(.init(path: path, size: UInt64(content.count), modified: modified, crc32c: checksum))
        }
    }

    /// The end-of-archive marker.
    func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try [UInt8](repeating: 0, count: 1024).withUnsafeBytes { try emit($0) }
    }

    /// One regular file: whole when the reference lacks it, else range by range.
    private mutating func copyFile(_ entry: DataDirectoryWalk.Entry, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let absolute = (root as NSString).appendingPathComponent(entry.path)
        let descriptor = open(absolute, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if descriptor < 0 && errno == ENOENT { return }  // dropped since the walk listed it: recovery removes it too
        guard descriptor >= 0 else { throw DataDirectoryReadError(path: absolute, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw DataDirectoryReadError(path: absolute, reason: "no longer a regular file")
        }
        // The size when opened: a file growing during the copy is cut there and one shrinking is
        // padded with zeros (as pg_basebackup does); WAL replay from this backup's start sets both right.
        let size = UInt64(info.st_size)
        let mode = UInt32(info.st_mode) & 0o7777 & ~0o027
        let referenceFile = reference?.files[entry.path]
        let ranged = referenceFile != nil && RangeMapTarFilter.rangeEntryName(path: entry.path, index: max(map.rangeCount(size: size) - 1, 0)) != nil
        if !ranged {
            try emitHeader(TarHeader.make(name: try Self.tarName(entry.path), kind: .file(size: size), mode: mode, modified: entry.modified), emit)
        }
        let relation = RelationFileName(path: entry.path)
        var hashes: [UInt8] = []
        hashes.reserveCapacity(map.rangeCount(size: size) * 32)
        // CRC-32C of a file sent whole, for PostgreSQL's manifest (pg_verifybackup checks it),
        // joined from the ranges' CRCs the examiner computed on its threads.
        var checksum: UInt32 = 0xFFFF_FFFF
        let total = map.rangeCount(size: size)
        let file = RangeExaminer.File(descriptor: descriptor, path: entry.path, absolute: absolute, size: size, ranged: ranged, mainFork: relation?.fork == .main,
                                        checksumSegment: examiner.pageChecks == nil ? nil : relation?.segment)
        // Batches of ranges are read, classified and hashed on all cores, the next one while
        // this one is sent in order (two sets of buffers).
        var batch = total > 0 ? try examiner.examine(file, set: 0, firstIndex: 0, count: min(examiner.batchRanges, total)) : nil
        var index = 0
        while let current = batch {
            let nextIndex = index + current.outcomes.count
            let next = nextIndex < total ? examiner.start(file, set: 1 - current.set, firstIndex: nextIndex, count: min(examiner.batchRanges, total - nextIndex)) : nil
            defer { _ = try? next?.wait() }
            for (slot, outcome) in current.outcomes.enumerated() {
                let bytes = examiner.bytes(set: current.set, slot: slot, length: outcome.length)
                hashes += outcome.digest
                bytesRead += UInt64(outcome.length)
                if outcome.skippedByLSN { rangesSkippedByLSN += 1 }
                pagesVerified += outcome.pagesVerified
                pageChecksumFailureCount += outcome.pageChecksumFailures.count
                pageChecksumFailures += outcome.pageChecksumFailures.prefix(Self.failuresKept - pageChecksumFailures.count)
                if !ranged {
                    storedRanges += 1
                    checksum = pra_crc32c_shift(checksum, UInt64(bytes.count)) ^ outcome.crc32c
                    try emit(bytes)
                } else if !outcome.store {
                    referencedRanges += 1
                } else {
                    storedRanges += 1
                    try emitHeader(TarHeader.make(name: RangeMapTarFilter.rangeEntryName(path: entry.path, index: index + slot)!, kind: .file(size: UInt64(outcome.length)), mode: mode, modified: entry.modified), emit)
                    try emit(bytes)
                    try emitPadding(after: UInt64(outcome.length), emit)
                }
            }
            index = nextIndex
            batch = try next?.wait()
        }
        if !ranged { try emitPadding(after: size, emit) }
        map.add(path: entry.path, size: size, mode: mode, rangeHashes: hashes)
        // A file stored in ranges gets no checksum: the assembled file's unchanged ranges come
        // from the reference, not from what was read.
        manifest.add(.init(path: entry.path, size: size, modified: entry.modified, crc32c: ranged ? nil : checksum ^ 0xFFFF_FFFF))
    }

    private func emitHeader(_ block: [UInt8], _ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try block.withUnsafeBytes { try emit($0) }
    }

    private func emitPadding(after size: UInt64, _ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let count = TarHeader.padding(after: size)
        if count > 0 { try [UInt8](repeating: 0, count: count).withUnsafeBytes { try emit($0) } }
    }

    /// `path` as a tar name, or the error pg_basebackup gives too for a longer one.
    static func tarName(_ path: String) throws -> String {
        if let problem = TarHeader.nameProblem(path) { throw DataDirectoryReadError(path: path, reason: "\(problem); pg_basebackup cannot send it either") }
        return path
    }
}
