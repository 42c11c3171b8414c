/// Accumulates time per named phase, in the order phases first start.
struct PhaseTimer {
    private(set) var phases: [RestoreResult.Phase] = []
    private var current: (name: String, started: MonotonicClock)?

    mutating func begin(_ name: String) {
        end()
        current = (name, MonotonicClock.now())
    }

    mutating func end() {
        guard let current else { return }
        let seconds = current.started.elapsed()
        if let index = phases.firstIndex(where: { $0.name == current.name }) {
            phases[index].seconds += seconds
        } else {
            phases.append(.init(name: current.name, seconds: seconds))
        }
        self.current = nil
    }
}
