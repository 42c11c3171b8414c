/// Something the report wants management to act on, in one sentence.
public struct ComplianceFinding: Sendable, Equatable, Encodable {
    /// How much it weighs.
    public enum Severity: String, Sendable, Comparable, Encodable {
        /// Makes the plan not compliant (and `pra report` exit 1): a target missed, a scenario
        /// failed in the latest run, no recent passing full drill.
        case failing = "not compliant"
        /// Production evidence is missing or stale (no weekly restore test, no status samples,
        /// no evidence at all): the headline reads AT RISK; the exit code does not change.
        case atRisk = "at risk"
        /// A projection says production would miss a target; advisory, it does not change the
        /// compliance verdict, which rests on measurements.
        case warning = "projection"
        /// Worth knowing: skipped scenarios, a partial latest run, unreadable history lines, past gaps.
        case notice = "note"

        private var rank: Int {
            switch self {
            case .failing: return 0
            case .atRisk: return 1
            case .warning: return 2
            case .notice: return 3
            }
        }

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    /// How much it weighs.
    public var severity: Severity
    /// The finding in one sentence.
    public var text: String

    /// A finding of `severity` saying `text`.
    public init(_ severity: Severity, _ text: String) {
        self.severity = severity
        self.text = text
    }
}
