import Foundation
import PRACore

/// Applies a fault during a running step, when its trigger fires.
final class FaultTrigger: @unchecked Sendable {
    let fault: any FaultKind
    let trigger: TimedFault.Trigger
    let context: ScenarioContext
    let step: StepAction
    let label: String
    private let lock = NSLock()
    private var stepDone = false
    private var outcome: (applied: Bool, note: String) = (false, "the step finished before the trigger")
    private let done = DispatchSemaphore(value: 0)

    init(fault: any FaultKind, trigger: TimedFault.Trigger, context: ScenarioContext, step: StepAction, label: String) {
        self.fault = fault
        self.trigger = trigger
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
            // A fault acting on the step's own work reports for itself that the step ended first.
            if isStepDone && type(of: fault).timing != .duringStep { return }
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

    /// The fault kind's name, for the log and the check.
    var kind: String { type(of: fault).name }

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
