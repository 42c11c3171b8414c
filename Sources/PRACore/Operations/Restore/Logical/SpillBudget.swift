import Foundation

/// The ceiling on a parallel restore's scratch space (`RESTORE_SPILL_LIMIT`): the bytes of
/// spill files on disk at any moment. The reader reserves bytes before it writes them and
/// waits while they would pass the limit; a worker releases a file's bytes once it has loaded
/// and deleted it.
///
/// No deadlock: the reader only waits while files it has handed over exist (the workers load
/// them without waiting for the reader). Bytes of the chunk being written are its own: when
/// they alone would pass the limit (one data line longer than the limit), it writes on, and
/// ``peak`` says so.
final class SpillBudget: @unchecked Sendable {
    /// The waiting reader was released because the load stopped (a worker failed, or abort).
    struct Cancelled: Error {}

    /// The ceiling, in bytes.
    let limit: Int
    /// Where COPY data is cut (at the next data-line boundary): a quarter of the limit, so
    /// that several chunks fit under it at once, and at most 32 MiB (measured in
    /// bench/README.md: larger chunks load no faster, and spread a table over fewer workers).
    let chunkSize: Int
    private let condition = NSCondition()
    private var onDisk = 0
    private var highWater = 0
    private var cancelled = false

    static let maximumChunk = 32 << 20
    static let minimumChunk = 64 << 10

    init(limit: Int) {
        self.limit = max(limit, 1)
        chunkSize = Self.chunkSize(limit: limit)
    }

    /// The chunk size for a limit (see ``chunkSize``).
    static func chunkSize(limit: Int) -> Int {
        max(minimumChunk, min(maximumChunk, limit / 4))
    }

    /// The most bytes that were on disk at once.
    var peak: Int {
        condition.lock()
        defer { condition.unlock() }
        return highWater
    }

    /// Bytes on disk now.
    var current: Int {
        condition.lock()
        defer { condition.unlock() }
        return onDisk
    }

    /// Reserves `count` bytes about to be written, waiting while they would pass the limit and
    /// other files than the caller's own `held` bytes are on disk (a worker will free them).
    func reserve(_ count: Int, held: Int) throws(Cancelled) {
        condition.lock()
        defer { condition.unlock() }
        while onDisk + count > limit && onDisk > held && !cancelled { condition.wait() }
        if cancelled { throw Cancelled() }
        onDisk += count
        highWater = max(highWater, onDisk)
    }

    /// A file of `count` bytes was deleted.
    func release(_ count: Int) {
        condition.lock()
        onDisk -= count
        condition.broadcast()
        condition.unlock()
    }

    /// The load stopped: a waiting reader is released (and throws).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
