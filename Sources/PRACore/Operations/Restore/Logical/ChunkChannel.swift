import Foundation

/// A bounded hand-over of byte chunks from one thread to another (the restore's stream to
/// the psql that loads the schema): the producer waits when `depth` chunks are pending.
final class ChunkChannel: @unchecked Sendable {
    /// The consumer gave up (its psql failed, or the load was aborted).
    struct Cancelled: Error {}

    private let condition = NSCondition()
    private var chunks: [Data] = []
    private var closed = false
    private var cancelled = false
    private let depth: Int

    init(depth: Int) {
        self.depth = depth
    }

    /// Hands over `chunk`; `false` once the channel was cancelled.
    func put(_ chunk: Data) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= depth && !cancelled { condition.wait() }
        if cancelled { return false }
        chunks.append(chunk)
        condition.broadcast()
        return true
    }

    /// The next chunk; `nil` once closed and drained. Throws when cancelled.
    func next() throws(Cancelled) -> Data? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !closed && !cancelled { condition.wait() }
        if cancelled { throw Cancelled() }
        if chunks.isEmpty { return nil }
        condition.broadcast()
        return chunks.removeFirst()
    }

    /// No more chunks will come.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Both sides stop: the producer's `put` returns false, the consumer's `next` throws.
    func cancel() {
        condition.lock()
        cancelled = true
        chunks.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
