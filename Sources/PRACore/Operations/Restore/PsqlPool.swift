import Foundation

/// `jobs` psql connections taking scripts from one queue: the tables' COPY data (spill files,
/// deleted once loaded) or index and constraint statements. The first failure cancels the rest.
final class PsqlPool: @unchecked Sendable {
    /// One script for one worker.
    enum Job: Sendable {
        /// A spill file, streamed then deleted.
        case file(String)
        case text(String)
    }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var closed = false
    private var cancelled = false
    private var workers: [PsqlWorker] = []

    /// - Parameter preamble: written first to every psql (pg_dump's `\restrict` line).
    init(jobs: Int, psql: String, arguments: [String], environment: [String: String], preamble: String) {
        for _ in 0..<max(1, jobs) {
            workers.append(PsqlWorker(executable: psql, arguments: arguments, environment: environment) { [self] writer in
                try run(.text(preamble), writer)
                while let job = try next() {
                    try run(job, writer)
                }
            })
        }
    }

    func enqueue(_ job: Job) {
        condition.lock()
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    private func next() throws(ChunkChannel.Cancelled) -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !closed && !cancelled { condition.wait() }
        if cancelled { throw ChunkChannel.Cancelled() }
        return queue.isEmpty ? nil : queue.removeFirst()
    }

    private func run(_ job: Job, _ writer: FileDescriptorWriter) throws {
        switch job {
        case .text(let text):
            try Data(text.utf8).withUnsafeBytes { _ = try writer.write($0) }
        case .file(let path):
            defer { unlink(path) }
            guard let handle = FileHandle(forReadingAtPath: path) else { throw FileError(operation: .open, path: path, code: errno) }
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                try chunk.withUnsafeBytes { _ = try writer.write($0) }
            }
        }
    }

    /// No more jobs: waits for every worker; the first failure, `nil` when all succeeded.
    func finish() -> String? {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
        var first: String?
        for worker in workers {
            if let failure = worker.wait(), first == nil {
                first = failure
                cancel()
            }
        }
        return first
    }

    /// Stops every worker and waits for them.
    func abort() {
        cancel()
        for worker in workers { worker.wait() }
    }

    /// Stops every worker (their psql is killed before it sees the end of its input).
    func cancel() {
        condition.lock()
        cancelled = true
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
