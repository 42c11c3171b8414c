import Foundation
import PRACore
import PRADrillResults
import Yams

extension StepKind {
    /// `disaster:` — a disaster injected by the runner (starts the RTO clock).
    public static let disaster = StepKind("disaster")
}

/// `disaster: KIND` or `disaster: {kind: KIND, table: TABLE}`: stops the workload, starts the
/// RTO clock, fixes the RPO reference time and injects the disaster (``DisasterInjector``).
struct DisasterStep: DrillStep {
    static let kind = StepKind.disaster
    var disaster: DisasterKind
    /// The table a `bad-transaction` empties (`nil`: chosen at run time).
    var table: String?

    static func read(_ options: StepOptions) throws(ScenarioError) -> DisasterStep {
        let reader = options.reader
        var kindNode = options.node
        var tableNode: Node?
        if case .mapping = options.node {
            let map = try options.mapping(allowed: ["kind", "table"])
            kindNode = try map.required("kind")
            tableNode = map.node("table")
        }
        let text = try reader.string(kindNode, key: options.key)
        let known = DisasterKind.allCases.map(\.rawValue)
        guard let kind = DisasterKind(rawValue: text) else {
            throw options.error(kindNode, "unknown disaster \"\(text)\"\(ClosestMatch.hint(for: text, among: known)) (known: \(known.joined(separator: ", ")))")
        }
        guard let tableNode else { return DisasterStep(disaster: kind) }
        guard kind == .badTransaction else {
            throw options.error(tableNode, option: "table", "table is the table a bad-transaction empties; \(kind.rawValue) takes none")
        }
        let table = try reader.string(tableNode, key: options.path("table"))
        let parts = table.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw options.error(tableNode, option: "table", "must be a table name or schema.table, e.g. receipts")
        }
        return DisasterStep(disaster: kind, table: table)
    }

    var description: String {
        "disaster \(disaster.rawValue)" + (table.map { " on \($0)" } ?? "")
    }

    func validate(_ step: Step, order: inout StepOrder) throws(ScenarioError) {
        if order.backups + order.baseBackups == 0 {
            throw order.fail("a disaster before any backup step leaves nothing to recover from")
        }
        if disaster == .badTransaction { order.badTransaction = true }
        order.disaster = true
    }

    func run(_ run: StepRun) -> StepOutcome {
        let state = run.state
        run.context.workload?.stop()
        state.heartbeatsWritten = run.context.workload?.acknowledgedCount
        state.disasterDate = Date()
        state.disasterClock = MonotonicClock.now()
        state.disasterClass = disaster.disasterClass
        var outcome = StepOutcome(disasterClass: disaster.disasterClass)
        do {
            let injected = try DisasterInjector(kind: disaster, table: table).inject(run.context)
            state.provisionSeconds = injected.provisionSeconds
            // Recorded only when the rows were really deleted: rows_back compares with it.
            state.damaged = injected.damaged
            run.context.log("\(run.label): \(disaster.rawValue): \(injected.summary); RTO clock started")
        } catch {
            run.context.log("\(run.label): \(disaster.rawValue) FAILED: \(error)")
            outcome.checks.append(run.failure("\(disaster.rawValue) injected", expected: "injected", actual: "\(error)", message: "expected the disaster to be injected, got: \(error)"))
        }
        return outcome
    }
}

extension StepAction {
    /// `disaster: {kind, table}`.
    static func disaster(_ kind: DisasterKind, table: String? = nil) -> StepAction {
        StepAction(DisasterStep(disaster: kind, table: table))
    }
}
