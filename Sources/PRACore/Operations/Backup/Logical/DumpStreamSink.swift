import Crypto
import Foundation

/// Where a full backup's plain SQL goes, in order, from pg_dump and from the threads that copy
/// a split table's rows: its first bytes (for the `\restrict` key) and last bytes (for the
/// completion trailer) are kept, its COPY rows counted (``DumpRowTally``), and it is compressed
/// (`BACKUP_COMPRESSION`), hashed and written to the archive. Calls are serialised by a lock,
/// so that each piece lands whole.
final class DumpStreamSink: @unchecked Sendable {
    private let lock = NSLock()
    private let compressor: any StreamCompressor
    private let file: DurableFile
    private let tally: DumpRowTally
    private let progress: ProgressReporter?
    private let estimatedBytes: UInt64?
    private var hasher = SHA256()
    private(set) var head: [UInt8] = []
    private var tail = TailBuffer(capacity: 512)
    static let headCapacity = 8192

    init(compressor: any StreamCompressor, file: DurableFile, tally: DumpRowTally, progress: ProgressReporter?, estimatedBytes: UInt64?) {
        self.compressor = compressor
        self.file = file
        self.tally = tally
        self.progress = progress
        self.estimatedBytes = estimatedBytes
        head.reserveCapacity(Self.headCapacity)
    }

    /// The next piece of the dump.
    func write(_ chunk: UnsafeRawBufferPointer) throws {
        lock.lock()
        defer { lock.unlock() }
        if head.count < Self.headCapacity { head.append(contentsOf: chunk.prefix(Self.headCapacity - head.count)) }
        tail.append(chunk)
        tally.consume(chunk)
        try compressor.compress(chunk) { compressed in
            hasher.update(bufferPointer: compressed)
            try file.write(compressed)
        }
        progress?.update(phase: "backup", bytes: compressor.bytesIn, total: estimatedBytes)
    }

    /// The dump's last bytes, where pg_dump's completion trailer is.
    var tailText: String {
        lock.lock()
        defer { lock.unlock() }
        return tail.text
    }

    /// Ends the compressed stream; returns the archive's SHA-256 and the dump's size.
    func finish() throws -> (sha256: String, uncompressedBytes: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        try compressor.finish { compressed in
            hasher.update(bufferPointer: compressed)
            try file.write(compressed)
        }
        return (hasher.finalize().hex, compressor.bytesIn)
    }
}
