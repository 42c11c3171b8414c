import Foundation

/// The bookkeeping every operation shares: when it started (the wall clock, for its result),
/// how long it has run (the monotonic clock, immune to clock changes), the time of each
/// ``OperationPhase`` in the order phases first start (a phase entered again adds to its time),
/// and the stage and message it failed with. Operations keep their own result types (their
/// `--json` shapes); this is what they record into them.
public struct RunRecorder: Sendable {
    /// One phase and the seconds spent in it.
    public struct Phase: Sendable, Equatable {
        public var phase: OperationPhase
        public var seconds: Double
    }

    /// Why the operation failed: the stage, and the message.
    public struct Failure: Sendable, Equatable {
        public var stage: OperationPhase
        public var message: String
    }

    /// When the run started, by the wall clock.
    public let startedAt: Date
    /// When the run started, by the monotonic clock (deadlines count from it).
    public let started: MonotonicClock
    /// The phases so far; the current one is added when it ends.
    public private(set) var phases: [Phase] = []
    private var current: (phase: OperationPhase, started: MonotonicClock)?
    /// The failure recorded, when the operation failed.
    public private(set) var failure: Failure?

    public init(startedAt: Date = Date()) {
        self.startedAt = startedAt
        started = MonotonicClock.now()
    }

    /// Seconds since the run started.
    public func elapsed() -> Double {
        started.elapsed()
    }

    /// Starts timing `phase`, ending the one before.
    public mutating func begin(_ phase: OperationPhase) {
        end()
        current = (phase, MonotonicClock.now())
    }

    /// Ends the current phase, adding its time.
    public mutating func end() {
        guard let current else { return }
        let seconds = current.started.elapsed()
        if let index = phases.firstIndex(where: { $0.phase == current.phase }) {
            phases[index].seconds += seconds
        } else {
            phases.append(Phase(phase: current.phase, seconds: seconds))
        }
        self.current = nil
    }

    /// Records that the run failed in `stage`; the first failure stands (a later one is a
    /// consequence of it).
    public mutating func fail(stage: OperationPhase, message: String) {
        if failure == nil { failure = Failure(stage: stage, message: message) }
    }
}
