import Foundation

/// The worker threads of one ``ParallelGzipDeflater``: each owns a ``BlockDeflater`` and
/// takes blocks from a shared queue until ``stop()``. Threads hold the pool, never the
/// deflater, so dropping the deflater stops them.
final class DeflateWorkPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [DeflateBlock] = []
    private var stopped = false

    init(jobs: Int, level: Int32) {
        for index in 0..<jobs {
            let thread = Thread { [self] in work(level: level) }
            thread.name = "pra-deflate-\(index)"
            thread.start()
        }
    }

    func enqueue(_ block: DeflateBlock) {
        condition.lock()
        queue.append(block)
        condition.signal()
        condition.unlock()
    }

    func isDone(_ block: DeflateBlock) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return block.done
    }

    func wait(for block: DeflateBlock) {
        condition.lock()
        while !block.done { condition.wait() }
        condition.unlock()
    }

    /// Ends the workers once they finish the block in hand; queued blocks are dropped.
    func stop() {
        condition.lock()
        stopped = true
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    private func work(level: Int32) {
        var initError: GzipError?
        let deflater: BlockDeflater?
        do {
            deflater = try BlockDeflater(level: level)
        } catch {
            deflater = nil
            initError = error
        }
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if stopped {
                condition.unlock()
                return
            }
            let block = queue.removeFirst()
            condition.unlock()
            block.run(deflater, initError: initError)
            condition.lock()
            block.done = true
            condition.broadcast()
            condition.unlock()
        }
    }
}
