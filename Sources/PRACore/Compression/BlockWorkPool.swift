import Foundation

/// One block of a parallel compressor's stream, as a ``BlockWorkPool`` runs it: once, on a
/// worker thread, with that thread's own `Worker` (a compressor context made once per thread).
/// `done` is written by the pool under its lock and read through ``BlockWorkPool/isDone(_:)``
/// and ``BlockWorkPool/wait(for:)``; what ``run(on:)`` writes is read by the caller only after
/// those, so the lock orders it.
protocol PoolBlock: AnyObject, Sendable {
    associatedtype Worker
    /// Set by the pool once ``run(on:)`` has returned.
    var done: Bool { get set }
    /// Does the block's work (on a worker thread).
    func run(on worker: Worker)
}

/// The worker threads of one parallel compressor (``ParallelGzipDeflater``,
/// ``ParallelLZ4Compressor``): each makes its own `Worker` and takes blocks from a shared queue
/// until ``stop()``. Threads hold the pool, never the compressor, so dropping the compressor
/// stops them.
final class BlockWorkPool<Block: PoolBlock>: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [Block] = []
    private var stopped = false

    /// - Parameters:
    ///   - jobs: worker threads (at least 1).
    ///   - name: the threads' name prefix (`name-0`, `name-1`, …), for debuggers and `top -H`.
    ///   - makeWorker: called once on each thread before its first block.
    init(jobs: Int, name: String, makeWorker: @escaping @Sendable () -> Block.Worker) {
        for index in 0..<max(1, jobs) {
            let thread = Thread { [self] in work(with: makeWorker()) }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    func enqueue(_ block: Block) {
        condition.lock()
        queue.append(block)
        condition.signal()
        condition.unlock()
    }

    func isDone(_ block: Block) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return block.done
    }

    func wait(for block: Block) {
        condition.lock()
        while !block.done { condition.wait() }
        condition.unlock()
    }

    /// Ends the workers once they finish the block in hand; queued blocks are dropped (and
    /// marked done, so that waiting for them returns: their output is never read).
    func stop() {
        condition.lock()
        stopped = true
        for block in queue { block.done = true }
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    private func work(with worker: Block.Worker) {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if stopped {
                condition.unlock()
                return
            }
            let block = queue.removeFirst()
            condition.unlock()
            block.run(on: worker)
            condition.lock()
            block.done = true
            condition.broadcast()
            condition.unlock()
        }
    }
}
