/// The plan's time budget per phase (`ACTIVATION_*_BUDGET`, defaults 5/15/10 minutes), and the
/// accounting of an activation's elapsed time against them.
public struct ActivationBudgets: Codable, Sendable, Equatable {
    /// Seconds allowed per phase.
    public var seconds: [ActivationPhase: Double]

    public init(seconds: [ActivationPhase: Double]) {
        self.seconds = seconds
    }

    /// The plan's defaults: 5, 15 and 10 minutes.
    public static let plan = ActivationBudgets(seconds: [.preparation: 300, .restoration: 900, .verification: 600])

    /// The budgets `configuration` sets.
    public init(configuration: Configuration) throws(ConfigurationError) {
        var seconds: [ActivationPhase: Double] = [:]
        for phase in ActivationPhase.allCases {
            let value = configuration[phase.budgetSetting] == nil ? Self.plan.seconds[phase]! : try configuration.seconds(phase.budgetSetting)
            guard value > 0 else { throw ConfigurationError("\(phase.budgetVariable) must be longer than 0") }
            seconds[phase] = value
        }
        self.seconds = seconds
    }

    /// The whole plan: the sum of the phases' budgets.
    public var total: Double { ActivationPhase.allCases.reduce(0) { $0 + (seconds[$1] ?? 0) } }

    /// One phase against its budget.
    public struct PhaseVerdict: Codable, Sendable, Equatable {
        public var phase: ActivationPhase
        public var seconds: Double
        public var budgetSeconds: Double
        public var overBudget: Bool { seconds > budgetSeconds }

        /// `restoration 3m12s of 15m`, with `OVER BUDGET` when it is.
        public var line: String {
            "\(phase.rawValue) \(DurationParser.format(seconds)) of \(DurationParser.format(budgetSeconds))" + (overBudget ? " (OVER BUDGET)" : "")
        }
    }

    /// Each phase that ran (has elapsed time) against its budget, in plan order.
    public func verdicts(_ elapsed: [ActivationPhase: Double]) -> [PhaseVerdict] {
        ActivationPhase.allCases.compactMap { phase in
            elapsed[phase].map { PhaseVerdict(phase: phase, seconds: $0, budgetSeconds: seconds[phase] ?? 0) }
        }
    }

    /// Whether any phase, or the whole, went over its budget.
    public func overBudget(_ elapsed: [ActivationPhase: Double]) -> Bool {
        verdicts(elapsed).contains(where: \.overBudget) || elapsed.values.reduce(0, +) > total
    }
}
