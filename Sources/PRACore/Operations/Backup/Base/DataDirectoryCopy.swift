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
/// Memory: four range buffers (4 MiB), the map, and one manifest line per file.
struct DataDirectoryCopy {
    /// PostgreSQL's manifest inside the archive, as pg_basebackup names it.
    static let postgresManifestEntry = "backup_manifest"
    /// The data directory, absolute.
    let root: String
    let reference: RangeMap?
    /// Where the reference's WAL starts (its checkpoint's redo point).
    let referenceStart: LogSequenceNumber?
    /// `block_size`.
    let pageSize: Int
    private(set) var map: RangeMap
    private(set) var storedRanges = 0
    private(set) var referencedRanges = 0
    /// Ranges of main forks left out by their page LSNs alone, without hashing.
    private(set) var rangesSkippedByLSN = 0
    private(set) var bytesRead: UInt64 = 0
    private(set) var manifest = PostgresBackupManifestWriter()
    /// One buffer per range of a batch (``batchRanges``), filled and hashed in parallel.
    private let buffers: [RangeBuffer]
    /// Ranges examined at once: enough for every core, few enough to keep memory flat.
    static let batchRanges = 4

    init(root: String, reference: RangeMap?, referenceStart: LogSequenceNumber?, pageSize: Int, rangeSize: UInt64 = RangeMap.defaultRangeSize) {
        self.root = root
        self.reference = reference
        self.referenceStart = referenceStart
        self.pageSize = pageSize
        map = RangeMap(rangeSize: reference?.rangeSize ?? rangeSize)
        let rangeBytes = Int(map.rangeSize)
        buffers = (0..<Self.batchRanges).map { _ in RangeBuffer(count: rangeBytes) }
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
        let mainFork = PageLSNScan.isMainFork(entry.path)
        var hashes: [UInt8] = []
        hashes.reserveCapacity(map.rangeCount(size: size) * 32)
        var offset: UInt64 = 0
        var index = 0
        // CRC-32C of a file sent whole, for PostgreSQL's manifest (pg_verifybackup checks it).
        var checksum: UInt32 = 0xFFFF_FFFF
        while offset < size {
            // A batch of ranges read, classified and hashed on all cores; then sent in order.
            let count = min(buffers.count, Int((size - offset + map.rangeSize - 1) / map.rangeSize))
            let outcomes = try examine(descriptor, path: entry.path, absolute: absolute, firstIndex: index, offset: offset, size: size, count: count, ranged: ranged, mainFork: mainFork)
            for (slot, outcome) in outcomes.enumerated() {
                let bytes = UnsafeRawBufferPointer(rebasing: buffers[slot].bytes[0..<outcome.length])
                hashes += outcome.digest
                bytesRead += UInt64(outcome.length)
                if outcome.skippedByLSN { rangesSkippedByLSN += 1 }
                if !ranged {
                    storedRanges += 1
                    checksum = pra_crc32c(checksum, bytes.baseAddress, bytes.count)
                    try emit(bytes)
                } else if !outcome.store {
                    referencedRanges += 1
                } else {
                    storedRanges += 1
                    try emitHeader(TarHeader.make(name: RangeMapTarFilter.rangeEntryName(path: entry.path, index: index + slot)!, kind: .file(size: UInt64(outcome.length)), mode: mode, modified: entry.modified), emit)
                    try emit(bytes)
                    try emitPadding(after: UInt64(outcome.length), emit)
                }
                offset += UInt64(outcome.length)
            }
            index += count
        }
        if !ranged { try emitPadding(after: size, emit) }
        map.add(path: entry.path, size: size, mode: mode, rangeHashes: hashes)
        // A file stored in ranges gets no checksum: the assembled file's unchanged ranges come
        // from the reference, not from what was read.
        manifest.add(.init(path: entry.path, size: size, modified: entry.modified, crc32c: ranged ? nil : checksum ^ 0xFFFF_FFFF))
    }

    /// What became of one range: its length, the hash the map records, whether it is stored.
    struct RangeOutcome {
        var length = 0
        var digest: [UInt8] = []
        var store = true
        var skippedByLSN = false
    }

    /// Reads `count` ranges from `offset` into the buffers, each on its own thread, and decides
    /// each (``decide(path:index:bytes:ranged:mainFork:)``).
    private func examine(_ descriptor: Int32, path: String, absolute: String, firstIndex: Int, offset: UInt64, size: UInt64, count: Int,
                         ranged: Bool, mainFork: Bool) throws -> [RangeOutcome] {
        let results = ResultSlots(count: count)
        let rangeSize = map.rangeSize
        DispatchQueue.concurrentPerform(iterations: count) { slot in
            let start = offset + UInt64(slot) * rangeSize
            let length = Int(min(rangeSize, size - start))
            do {
                try Self.read(descriptor, into: buffers[slot].bytes, path: absolute, length: length, at: start)
                let bytes = UnsafeRawBufferPointer(rebasing: buffers[slot].bytes[0..<length])
                results.set(slot, .success(decide(path: path, index: firstIndex + slot, bytes: bytes, ranged: ranged, mainFork: mainFork)))
            } catch {
                results.set(slot, .failure(error))
            }
        }
        return try results.values()
    }

    /// One range: stored whole (`ranged` false), or left to the reference (its hash kept) when
    /// the reference holds it with the same length and, for a main fork, its page LSNs say it
    /// is older, otherwise (or when they cannot tell) its SHA-256 equals the reference's.
    private func decide(path: String, index: Int, bytes: UnsafeRawBufferPointer, ranged: Bool, mainFork: Bool) -> RangeOutcome {
        var outcome = RangeOutcome(length: bytes.count)
        if ranged, let reference, let file = reference.files[path], let known = reference.hash(of: path, range: index),
           min(reference.rangeSize, file.size - UInt64(index) * reference.rangeSize) == UInt64(bytes.count) {
            if mainFork, let referenceStart {
                switch PageLSNScan.classify(bytes, pageSize: pageSize, since: referenceStart) {
                case .changed:
                    break
                case .older:
                    return RangeOutcome(length: bytes.count, digest: Array(known), store: false, skippedByLSN: true)
                case .unstamped:
                    outcome.digest = Array(SHA256.hash(data: bytes))
                    outcome.store = !known.elementsEqual(outcome.digest)
                    if !outcome.store { outcome.digest = Array(known) }
                    return outcome
                }
            } else {
                outcome.digest = Array(SHA256.hash(data: bytes))
                outcome.store = !known.elementsEqual(outcome.digest)
                return outcome
            }
        }
        outcome.digest = Array(SHA256.hash(data: bytes))
        return outcome
    }

    /// Fills the first `length` bytes of `buffer` from `offset`; zeros past the end of a file
    /// that shrank while it was read.
    private static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String, length: Int, at offset: UInt64) throws {
        var filled = 0
        while filled < length {
            let count = pread(descriptor, buffer.baseAddress! + filled, length - filled, off_t(offset) + off_t(filled))
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw DataDirectoryReadError(path: path, reason: "read failed at byte \(offset + UInt64(filled)): \(String(cString: strerror(errno)))") }
            if count == 0 {
                memset(buffer.baseAddress! + filled, 0, length - filled)
                filled = length
            }
            filled += count
        }
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

/// A range buffer of a copy, freed with it.
private final class RangeBuffer: @unchecked Sendable {
    let bytes: UnsafeMutableRawBufferPointer

    init(count: Int) {
        bytes = .allocate(byteCount: count, alignment: 16)
    }

    deinit { bytes.deallocate() }
}

/// The outcome of each slot of a batch, written by the worker that owns the slot.
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<DataDirectoryCopy.RangeOutcome, Error>?]

    init(count: Int) {
        slots = Array(repeating: nil, count: count)
    }

    func set(_ slot: Int, _ result: Result<DataDirectoryCopy.RangeOutcome, Error>) {
        lock.lock()
        slots[slot] = result
        lock.unlock()
    }

    /// Every slot's outcome in order; the first failure is thrown.
    func values() throws -> [DataDirectoryCopy.RangeOutcome] {
        lock.lock()
        defer { lock.unlock() }
        return try slots.map { try $0!.get() }
    }
}
