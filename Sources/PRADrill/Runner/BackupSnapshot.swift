import Foundation
import PRACore

/// The backup directory as it was before a step: which files, which complete backups, and
/// (when asked) the SHA-256 of each complete backup's files, to prove them untouched.
struct BackupSnapshot {
    let directory: String
    let files: Set<String>
    let complete: [BackupCatalogue.Entry]
    let digests: [String: String]

    init(directory: String, digests wanted: Bool) {
        self.directory = directory
        files = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        complete = BackupCatalogue(directory: directory).complete
        var digests: [String: String] = [:]
        if wanted {
            for entry in complete {
                for path in [entry.archivePath, entry.manifestPath] { digests[path] = Self.digest(path) }
            }
        }
        self.digests = digests
    }

    /// SHA-256 of a file, streamed; `nil` when it cannot be read.
    static func digest(_ path: String) -> String? {
        (try? FileDigest(path: path))?.sha256
    }

    /// Earlier complete backups whose files changed or vanished since the snapshot.
    func changedBackups() -> [String] {
        digests.compactMap { path, digest in Self.digest(path) == digest ? nil : (path as NSString).lastPathComponent }.sorted()
    }
}

/// Applies a fault during a running step, when its trigger fires.
final class FaultTrigger: @unchecked Sendable {
    let fault: FaultInjector
    let trigger: TimedFault.Trigger
    let kind: String
    let context: ScenarioContext
    let step: StepAction
    let label: String
    private let lock = NSLock()
    private var stepDone = false
    private var outcome: (applied: Bool, note: String) = (false, "the step finished before the trigger")
    private let done = DispatchSemaphore(value: 0)

    init(fault: FaultInjector, trigger: TimedFault.Trigger, kind: String, context: ScenarioContext, step: StepAction, label: String) {
        self.fault = fault
        self.trigger = trigger
        self.kind = kind
        self.context = context
        self.step = step
        self.label = label
    }

    func start() {
        Thread { [self] in
            defer { done.signal() }
            let clock = MonotonicClock.now()
            while !isStepDone {
                if fired(clock) { break }
                usleep(1000)
            }
            if isStepDone && kind != "kill-connections" { return }
            do {
                let what = try fault.apply(context, step: step)
                context.log("\(label): \(kind) during the step: \(what)")
                set((true, what))
            } catch {
                context.log("\(label): \(kind) during the step FAILED: \(error)")
                set((false, "\(error)"))
            }
        }.start()
    }

    private func fired(_ clock: MonotonicClock) -> Bool {
        switch trigger {
        case .before: return true
        case .afterSeconds(let seconds): return clock.elapsed() >= seconds
        case .afterBytes(let bytes):
            let names = (try? FileManager.default.contentsOfDirectory(atPath: context.backupDirectory)) ?? []
            return names.filter { $0.hasSuffix(".partial") }.contains { name in
                let size = ((try? FileManager.default.attributesOfItem(atPath: context.backupDirectory + "/" + name)[.size]) as? NSNumber)?.uint64Value ?? 0
                return size >= bytes
            }
        }
    }

    private var isStepDone: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stepDone
    }

    private func set(_ value: (Bool, String)) {
        lock.lock()
        outcome = value
        lock.unlock()
    }

    /// Marks the step finished and waits for the fault thread; returns whether it struck.
    @discardableResult
    func finish() -> (applied: Bool, note: String) {
        lock.lock()
        stepDone = true
        lock.unlock()
        done.wait()
        lock.lock()
        defer { lock.unlock() }
        return outcome
    }
}
