import CPosix
import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The parallel part of ``DataDirectoryCopy``: reads a batch of ranges of a file into one of
/// two sets of buffers, one range per thread, and decides for each whether it is stored (and
/// its hash) by page LSNs or SHA-256 against the reference's map. While the copy sends one
/// set's ranges in order, the next batch fills the other (``start(_:set:firstIndex:count:)``).
final class RangeExaminer: @unchecked Sendable {
    /// The file a batch belongs to.
    struct File: Sendable {
        var descriptor: Int32
        /// Relative (the map's key) and absolute (for errors).
        var path: String
        var absolute: String
        var size: UInt64
        /// Compared with the reference range by range (else stored whole).
        var ranged: Bool
        var mainFork: Bool
        /// The 1 GiB segment of a relation fork whose page checksums are verified; `nil`: none.
        var checksumSegment: UInt32?
    }

    /// What became of one range: its length, the hash the map records, whether it is stored.
    struct RangeOutcome: Sendable {
        var length = 0
        var digest: [UInt8] = []
        var store = true
        var skippedByLSN = false
        /// CRC-32C register of the range from 0 (no inversion), for a file sent whole: the copy
        /// joins them into the file's (``pra_crc32c_shift``) instead of reading it again.
        var crc32c: UInt32 = 0
        /// Pages whose checksum was verified, and those that failed (``PageChecksumCheck``).
        var pagesVerified = 0
        var pageChecksumFailures: [PageChecksumCheck.Failure] = []
    }

    /// A batch examined: which buffer set holds it, and each range's outcome in order.
    struct Batch: Sendable {
        var set: Int
        var outcomes: [RangeOutcome]
    }

    /// A batch being examined on another thread.
    final class Pending: @unchecked Sendable {
        fileprivate let done = DispatchSemaphore(value: 0)
        fileprivate var result: Result<Batch, Error>?
        private var waited = false

        /// The batch, once examined (waits for it); the first call only.
        func wait() throws -> Batch? {
            guard !waited else { return nil }
            waited = true
            done.wait()
            return try result!.get()
        }
    }

    /// Ranges per batch: one per core on the machine this was measured on (2).
    let batchRanges = 2
    let reference: RangeMap?
    let referenceStart: LogSequenceNumber?
    let pageSize: Int
    let rangeSize: UInt64
    /// Verifies data page checksums (a cluster with `data_checksums` on), or `nil`.
    let pageChecks: PageChecksumCheck?
    private let buffers: [[UnsafeMutableRawBufferPointer]]

    init(reference: RangeMap?, referenceStart: LogSequenceNumber?, pageSize: Int, rangeSize: UInt64, pageChecks: PageChecksumCheck?) {
        self.reference = reference
        self.referenceStart = referenceStart
        self.pageSize = pageSize
        self.rangeSize = rangeSize
        self.pageChecks = pageChecks
        let count = Int(rangeSize)
        buffers = (0..<2).map { _ in (0..<2).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16) } }
    }

    deinit {
        for set in buffers { for buffer in set { buffer.deallocate() } }
    }

    /// The first `length` bytes of a slot of a set.
    func bytes(set: Int, slot: Int, length: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffers[set][slot][0..<length])
    }

    /// Starts examining a batch into `set` on another thread.
    func start(_ file: File, set: Int, firstIndex: Int, count: Int) -> Pending {
        let pending = Pending()
        DispatchQueue.global().async {
            pending.result = Result { try self.examine(file, set: set, firstIndex: firstIndex, count: count) }
            pending.done.signal()
        }
        return pending
    }

    /// Reads ranges `firstIndex ..< firstIndex + count` into `set`, each on its own thread,
    /// and decides each.
    func examine(_ file: File, set: Int, firstIndex: Int, count: Int) throws -> Batch {
        precondition(count <= batchRanges)
        let results = ResultSlots(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { slot in
            let start = UInt64(firstIndex + slot) * rangeSize
            let length = Int(min(rangeSize, file.size - start))
            do {
                try Self.read(file.descriptor, into: buffers[set][slot], path: file.absolute, length: length, at: start)
                let range = bytes(set: set, slot: slot, length: length)
                var outcome = decide(file, index: firstIndex + slot, bytes: range)
                if !file.ranged { outcome.crc32c = pra_crc32c(0, range.baseAddress, range.count) }
                if let pageChecks, let segment = file.checksumSegment {
                    Self.verifyPages(range, of: file, segment: segment, at: start, with: pageChecks, into: &outcome)
                }
                results.set(slot, .success(outcome))
            } catch {
                results.set(slot, .failure(error))
            }
        }
        return Batch(set: set, outcomes: try results.values())
    }

    /// One range: stored whole (`ranged` false), or left to the reference (its hash kept) when
    /// the reference holds it with the same length and, for a main fork, its page LSNs say it
    /// is older, otherwise (or when they cannot tell) its SHA-256 equals the reference's.
    private func decide(_ file: File, index: Int, bytes: UnsafeRawBufferPointer) -> RangeOutcome {
        let path = file.path
        var outcome = RangeOutcome(length: bytes.count)
        if file.ranged, let reference, let known = reference.hash(of: path, range: index), let listed = reference.files[path],
           min(reference.rangeSize, listed.size - UInt64(index) * reference.rangeSize) == UInt64(bytes.count) {
            if file.mainFork, let referenceStart {
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

    /// Verifies the page checksums of a range read from `start` of `file`; a page that fails is
    /// read once more before it counts.
    private static func verifyPages(_ range: UnsafeRawBufferPointer, of file: File, segment: UInt32, at start: UInt64, with check: PageChecksumCheck, into outcome: inout RangeOutcome) {
        let pageSize = UInt64(check.pageSize)
        let firstBlock = segment &* check.pagesPerSegment &+ UInt32(truncatingIfNeeded: start / pageSize)
        let (verified, failing) = check.scan(range, firstBlock: firstBlock)
        outcome.pagesVerified = verified
        for offset in failing {
            let block = firstBlock &+ UInt32(offset / check.pageSize)
            if let failure = check.recheck(file.descriptor, path: file.path, at: start + UInt64(offset), block: block) {
                outcome.pageChecksumFailures.append(failure)
            }
        }
    }

    /// Fills the first `length` bytes of `buffer` from `offset`; zeros past the end of a file
    /// that shrank while it was read.
    private static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String, length: Int, at offset: UInt64) throws {
        let target = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])
        let filled: Int
        do {
            filled = try PositionalRead.fill(descriptor, target, at: offset, path: path)
        } catch {
            throw DataDirectoryReadError(path: path, reason: "read failed at byte \(error.bytes ?? offset): \(String(cString: strerror(error.code)))")
        }
        if filled < length { memset(target.baseAddress! + filled, 0, length - filled) }
    }
}

/// The outcome of each slot of a batch, written by the worker that owns the slot.
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<RangeExaminer.RangeOutcome, Error>?]

    init(count: Int) {
        slots = Array(repeating: nil, count: count)
    }

    func set(_ slot: Int, _ result: Result<RangeExaminer.RangeOutcome, Error>) {
        lock.lock()
        slots[slot] = result
        lock.unlock()
    }

    /// Every slot's outcome in order; the first failure is thrown.
    func values() throws -> [RangeExaminer.RangeOutcome] {
        lock.lock()
        defer { lock.unlock() }
        return try slots.map { try $0!.get() }
    }
}
