import Foundation

/// One psql process fed on a thread of its own (a parallel restore runs several at once).
/// ``wait()`` joins it and says why it failed, `nil` when it exited 0.
final class PsqlWorker: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var failure: String?
    private var joined = false

    /// Starts `process` and runs `produce` (which writes its stdin) on a new thread.
    init(process: ExternalProcess, produce: @escaping @Sendable (FileDescriptorWriter) throws -> Void) {
        let thread = Thread { [self] in
            do {
                let outcome = try process.run(feedingStdin: produce)
                if !outcome.succeeded {
                    failure = ProcessError(kind: .failed, program: "psql", exitCode: outcome.exitCode, signal: outcome.signal, stderr: outcome.standardError).stderrSummary ?? "psql exited with status \(outcome.exitCode ?? -1)"
                }
            } catch let consumer as ConsumerFailure {
                failure = ProcessError(kind: .failed, program: "psql", stderr: consumer.standardError).stderrSummary ?? "\(consumer.underlying)"
            } catch {
                failure = "\(error)"
            }
            done.signal()
        }
        thread.name = "pra-restore-psql"
        thread.start()
    }

    /// A psql that loads what `feed` hands over, until it is closed.
    convenience init(process: ExternalProcess, feed: ChunkChannel) {
        self.init(process: process) { writer in
            do {
                while let chunk = try feed.next() {
                    try chunk.withUnsafeBytes { _ = try writer.write($0) }
                }
            } catch {
                // psql is gone (or the load aborted): the stream must not wait for it.
                feed.cancel()
                throw error
            }
        }
    }

    /// Waits for the process to end; its failure, `nil` when it succeeded.
    @discardableResult
    func wait() -> String? {
        if !joined {
            done.wait()
            joined = true
        }
        return failure
    }
}
