/// The caller's side of a parallel block compressor: cuts the input into blocks of one size,
/// hands each to a ``BlockWorkPool`` and gives the finished blocks back in input order, always
/// on the caller's thread. Memory is bounded: at most ``maxInFlight`` blocks (`2 × jobs`) are
/// in flight; the caller waits for the oldest when that many are. Which worker ran a block
/// never shows in the order or the content, so the output depends on the block size only.
final class BlockPipeline<Block: PoolBlock> {
    let blockSize: Int
    let maxInFlight: Int
    /// The most blocks ever in flight at once (the memory bound, checked by the tests).
    private(set) var peakInFlight = 0
    /// Blocks handed to the pool so far.
    private(set) var submitted = 0
    private let pool: BlockWorkPool<Block>
    private let makeBlock: (_ input: UnsafeRawBufferPointer, _ last: Bool) -> Block
    /// The input buffers, allocated once and used in turn: one being filled and at most
    /// `maxInFlight` in flight, so a buffer comes round again only after its block was emitted.
    /// (A new buffer per block cost a page fault every 4 KiB: 40 % more system time.)
    private let slots: [UnsafeMutableRawBufferPointer]
    private var current = 0
    private var filled = 0
    private var inFlight: [Block] = []

    /// - Parameters:
    ///   - jobs: worker threads (at least 1).
    ///   - blockSize: uncompressed bytes per block.
    ///   - name: the worker threads' name prefix.
    ///   - makeWorker: each worker thread's own state, made on that thread.
    ///   - makeBlock: the block for one cut of the input (`last` for the one
    ///     ``finish(submitEmptyLast:emit:)`` cuts). The input is the pipeline's: valid until the
    ///     block has been emitted, not after.
    init(jobs: Int, blockSize: Int, name: String,
         makeWorker: @escaping @Sendable () -> Block.Worker,
         makeBlock: @escaping (_ input: UnsafeRawBufferPointer, _ last: Bool) -> Block) {
        precondition(blockSize > 0, "blocks of at least one byte")
        self.blockSize = blockSize
        self.makeBlock = makeBlock
        maxInFlight = max(1, jobs) * 2
        slots = (0...maxInFlight).map { _ in .allocate(byteCount: blockSize, alignment: 64) }
        pool = BlockWorkPool(jobs: max(1, jobs), name: name, makeWorker: makeWorker)
    }

    deinit {
        // Blocks not started are dropped; one a worker is compressing still reads its buffer.
        pool.stop()
        for block in inFlight { pool.wait(for: block) }
        for slot in slots { slot.deallocate() }
    }

    /// Copies `input` into blocks, submitting each full one; `emit` gets finished blocks in order.
    func take(_ input: UnsafeRawBufferPointer, emit: (Block) throws -> Void) throws {
        guard var source = input.baseAddress, !input.isEmpty else { return }
        var remaining = input.count
        while remaining > 0 {
            let taken = min(remaining, blockSize - filled)
            (slots[current].baseAddress! + filled).copyMemory(from: source, byteCount: taken)
            filled += taken
            remaining -= taken
            source += taken
            if filled == blockSize {
                try submit(last: false, emit: emit)
            }
        }
    }

    /// Submits what is left as the last block (when it is empty, only if `submitEmptyLast`),
    /// then emits every block still in flight.
    func finish(submitEmptyLast: Bool, emit: (Block) throws -> Void) throws {
        if filled > 0 || submitEmptyLast {
            try submit(last: true, emit: emit)
        }
        while !inFlight.isEmpty {
            try emitOldest(emit)
        }
    }

    private func submit(last: Bool, emit: (Block) throws -> Void) throws {
        let job = makeBlock(UnsafeRawBufferPointer(rebasing: slots[current][0..<filled]), last)
        current = (current + 1) % slots.count
        filled = 0
        pool.enqueue(job)
        submitted += 1
        inFlight.append(job)
        peakInFlight = max(peakInFlight, inFlight.count)
        // Emit what is already done, then wait only when the bound is reached.
        while let oldest = inFlight.first, inFlight.count >= maxInFlight || pool.isDone(oldest) {
            try emitOldest(emit)
        }
    }

    private func emitOldest(_ emit: (Block) throws -> Void) throws {
        let job = inFlight.removeFirst()
        pool.wait(for: job)
        try emit(job)
    }
}
