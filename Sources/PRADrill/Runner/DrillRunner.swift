import Foundation
import PRACore
import PRADrillResults

/// `pra drill run`: validates every scenario first, runs them one after another (or `jobs` at
/// a time), each on its own scratch cluster cloned from a seeded template, and returns the
/// run for the reports.
public struct DrillRunner {
    public var options: DrillOptions

    public init(options: DrillOptions) {
        self.options = options
    }

    /// Loads every file; the first invalid one stops everything (exit 2), before anything runs.
    public static func load(paths: [String], only: [String] = []) throws(ScenarioError) -> [Scenario] {
        let files = try ScenarioLoader.files(in: paths)
        if files.isEmpty {
            throw ScenarioError(file: paths.joined(separator: ", "), line: nil, key: "", message: "no scenario files (*.yaml) found")
        }
        var scenarios: [Scenario] = []
        var seen: [String: String] = [:]
        for file in files {
            let scenario = try ScenarioLoader().load(file: file)
            if let other = seen[scenario.name] {
                throw ScenarioError(file: file, line: nil, key: "name", message: "\"\(scenario.name)\" is also the name of \(other); names must be unique")
            }
            seen[scenario.name] = file
            scenarios.append(scenario)
        }
        if !only.isEmpty {
            let unknown = only.filter { name in !scenarios.contains { $0.name == name } }
            if !unknown.isEmpty {
                throw ScenarioError(file: paths.joined(separator: ", "), line: nil, key: "--only", message: "no scenario named " + unknown.map { $0 + ClosestMatch.hint(for: $0, among: scenarios.map(\.name)) }.joined(separator: ", ") + " (known: \(scenarios.map(\.name).joined(separator: ", ")))")
            }
            scenarios = scenarios.filter { only.contains($0.name) }
        }
        return scenarios
    }

    /// Runs the scenarios in order.
    public func run(_ scenarios: [Scenario]) -> DrillRunResult {
        let startedAt = Date()
        let clock = MonotonicClock.now()
        let runID = "drill-" + BackupArchiveName.stamp(startedAt)
        var options = self.options
        options.workRoot = (options.workRoot as NSString).appendingPathComponent("pra-\(runID)-\(getpid())")
        try? FileManager.default.createDirectory(atPath: options.workRoot, withIntermediateDirectories: true)
        let root = options.workRoot
        let keep = options.keep
        let token = keep ? nil : InterruptCleanup.shared.register { try? FileManager.default.removeItem(atPath: root) }
        let templates = SeededTemplates(fixturesDirectory: options.fixturesDirectory)
        let results: [ScenarioResult]
        if options.jobs > 1 && scenarios.count > 1 {
            results = runSideBySide(scenarios, options: options, templates: templates)
        } else {
            var inOrder: [ScenarioResult] = []
            for (index, scenario) in scenarios.enumerated() {
                options.echo?("── [\(index + 1)/\(scenarios.count)] \(scenario.name): \(scenario.description)")
                let result = ScenarioRunner(scenario: scenario, options: options, templates: templates).run()
                options.echo?(Self.verdictLine(result))
                inOrder.append(result)
            }
            results = inOrder
        }
        templates.removeAll()
        if let token {
            InterruptCleanup.shared.unregister(token)
            try? FileManager.default.removeItem(atPath: root)
        }
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count)
        let hostName = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let sideBySide = min(options.jobs, scenarios.count)
        return DrillRunResult(runID: runID, toolVersion: PRAVersion.current, host: hostName, startedAt: startedAt, finishedAt: Date(), seconds: clock.elapsed(), scenarios: results, jobs: sideBySide > 1 ? sideBySide : nil)
    }

    /// `--jobs N`: N scenarios at a time, each on its own threads, cluster and directory,
    /// longest first (by the history's durations) so the last to start are the short ones.
    /// A scenario's lines are printed together when it ends; results keep catalogue order.
    private func runSideBySide(_ scenarios: [Scenario], options: DrillOptions, templates: SeededTemplates) -> [ScenarioResult] {
        let known = scenarios.compactMap { options.expectedSeconds[$0.name] }
        let fallback = known.isEmpty ? 1 : known.reduce(0, +) / Double(known.count)
        let order = scenarios.indices.sorted { a, b in
            let (left, right) = (options.expectedSeconds[scenarios[a].name] ?? fallback, options.expectedSeconds[scenarios[b].name] ?? fallback)
            return left != right ? left > right : a < b
        }
        let shared = SideBySideState(scenarios: scenarios, order: order)
        let group = DispatchGroup()
        for _ in 0..<min(options.jobs, scenarios.count) {
            group.enter()
            let worker = Thread {
                Self.drain(shared, options: options, templates: templates)
                group.leave()
            }
            worker.stackSize = 8 << 20
            worker.start()
        }
        group.wait()
        return shared.results
    }

    /// One worker: runs scenarios from the shared queue until none is left.
    private static func drain(_ shared: SideBySideState, options: DrillOptions, templates: SeededTemplates) {
        let echo = options.echo
        while let (index, scenario) = shared.claim() {
            let lines = LineBuffer()
            var scenarioOptions = options
            if echo != nil {
                scenarioOptions.echo = { @Sendable line in lines.append(line) }
            }
            echo?("── started \(scenario.name)")
            let result = ScenarioRunner(scenario: scenario, options: scenarioOptions, templates: templates).run()
            let finished = shared.finish(index, result)
            let header = "── [\(finished)/\(shared.count)] \(scenario.name): \(scenario.description)"
            echo?(([header] + lines.lines + [verdictLine(result)]).joined(separator: "\n"))
        }
    }

    /// `PASSED RTO 1.1s RPO 2.4s in 6.3s`, with the failure or skip reason.
    static func verdictLine(_ result: ScenarioResult) -> String {
        let rto = result.measurement.rtoSeconds.map { " RTO \(MeasuredDuration.format($0))" } ?? ""
        let rpo = result.measurement.rpoSeconds.map { " RPO \(MeasuredDuration.format($0))" } ?? ""
        return "   \(result.verdict.rawValue.uppercased())\(rto)\(rpo) in \(MeasuredDuration.format(result.seconds))" + (result.failureSummary.map { " — \($0)" } ?? "") + (result.skippedReason.map { " — \($0)" } ?? "")
    }

    /// The summary table printed at the end of a run.
    public static func summaryTable(_ run: DrillRunResult) -> String {
        let header = ["scenario", "verdict", "RTO", "RTO target", "RPO", "RPO target", "time"]
        var rows: [[String]] = [header]
        for scenario in run.scenarios {
            let m = scenario.measurement
            rows.append([
                scenario.name, scenario.verdict.rawValue.uppercased(),
                m.rtoSeconds.map { MeasuredDuration.format($0) } ?? "-", MeasuredDuration.format(m.rtoTargetSeconds),
                m.rpoSeconds.map { MeasuredDuration.format($0) } ?? "-", MeasuredDuration.format(m.rpoTargetSeconds),
                MeasuredDuration.format(scenario.seconds),
            ])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") }
        lines.insert(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "), at: 1)
        lines.append("")
        lines.append("\(run.passedCount) passed, \(run.failedCount) failed, \(run.skippedCount) skipped in \(MeasuredDuration.format(run.seconds))")
        // The worst-case RPO from a scenario that measured a backup (a point-in-time one has none).
        let all = run.scenarios.compactMap { $0.measurement.projections }
        let projected = all.last { $0.worstCaseRPOSeconds != nil } ?? all.last
        if let projected {
            var line = "projections (not measurements): worst-case RPO \(projected.worstCaseRPOSeconds.map { MeasuredDuration.format($0) } ?? "-") for BACKUP_INTERVAL \(MeasuredDuration.format(projected.backupIntervalSeconds))"
            if let archiving = run.scenarios.compactMap({ $0.measurement.projections }).filter({ $0.continuousArchivingRPOSeconds != nil }).max(by: { $0.continuousArchivingRPOSeconds! < $1.continuousArchivingRPOSeconds! }) {
                line += "; with continuous archiving (proven by a point-in-time recovery to the latest point): worst-case RPO \(MeasuredDuration.format(archiving.continuousArchivingRPOSeconds!)) (archive_timeout \(MeasuredDuration.format(archiving.archiveTimeoutSeconds!)) + archive lag \(archiving.archiveLagSeconds.map { MeasuredDuration.format($0) } ?? "not measured"))"
            }
            if let size = projected.productionDatabaseBytes {
                // One run's restores are all at about one size: fixed cost and throughput cannot
                // be told apart here. pra report fits them over the history and the calibration.
                line += "; RTO at PRODUCTION_DB_SIZE \(ByteCount.format(UInt64(size))): see pra report (fitted over the history and the calibration run)"
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The queue and the results of scenarios run side by side.
private final class SideBySideState: @unchecked Sendable {
    private let lock = NSLock()
    private let scenarios: [Scenario]
    private let order: [Int]
    private var position = 0
    private var finishedCount = 0
    private var slots: [ScenarioResult?]

    /// - Parameter order: the indexes of `scenarios` in the order to start them.
    init(scenarios: [Scenario], order: [Int]) {
        self.scenarios = scenarios
        self.order = order
        slots = Array(repeating: nil, count: scenarios.count)
    }

    var count: Int { scenarios.count }

    /// The next scenario to run and its catalogue index; `nil` when all are taken.
    func claim() -> (Int, Scenario)? {
        lock.lock()
        defer { lock.unlock() }
        guard position < order.count else { return nil }
        position += 1
        let index = order[position - 1]
        return (index, scenarios[index])
    }

    /// Stores a result; returns how many have finished, this one included.
    func finish(_ index: Int, _ result: ScenarioResult) -> Int {
        lock.lock()
        defer { lock.unlock() }
        slots[index] = result
        finishedCount += 1
        return finishedCount
    }

    /// Every result, in catalogue order (call after every worker is done).
    var results: [ScenarioResult] {
        lock.lock()
        defer { lock.unlock() }
        return slots.compactMap { $0 }
    }
}

/// A scenario's log lines, held until it ends.
private final class LineBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    func append(_ line: String) {
        lock.lock()
        stored.append(line)
        lock.unlock()
    }

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
