import ArgumentParser
import Foundation
import PRACore
import PRADrill
import PRADrillResults
import PRAReport

struct DrillRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run scenarios; write JUnit XML, a JSON result and a history line.",
        discussion: """
            Exit codes: 0 every scenario passed (skipped ones, e.g. disk-full when not root, are \
            reported as skipped, never passed), 1 a scenario failed, 2 an invalid scenario, an \
            unknown --only name, no scenarios/ directory, or a usage error.

            Without a path it reads ./scenarios: run it from the project directory, or name the \
            scenario files or directories.

            Writes reports/junit.xml, reports/drill-<stamp>.json and appends one line to \
            reports/history.jsonl (REPORT_DIR, default ./reports). A partial run (some of the \
            catalogue in scenarios/: a file of it, or --only) writes them, and the compliance report \
            of --report, in reports/partial/ instead, so that it never replaces the full drill's \
            junit.xml nor adds a partial run to the history pra report reads; --junit, --json and \
            --history name other files. A --shard job is never partial (its history is one part \
            of a full drill). Measured RTO/RPO are compared with the scenario's targets \
            (default RPO_TARGET, RTO_TARGET); projections use PRODUCTION_DB_SIZE and BACKUP_INTERVAL. \
            With --report, also writes reports/compliance.html and reports/compliance.md from the \
            history (see `pra report`).

            Examples:
              pra drill run                    # the whole catalogue in scenarios/
              pra drill run --only baseline-drop-database --keep
              pra drill run --report           # monthly: catalogue + compliance report
              pra drill run scenarios/disk-full-during-backup.yaml --junit out/junit.xml
              pra drill run --shard 2/3        # the second of three parallel CI jobs
              pra drill run --jobs 2           # two scenarios at a time

            Sharding: --shard I/N runs a deterministic share of the catalogue, balanced by each \
            scenario's latest duration in the history (the same history in every job gives the \
            same split; without one, by count). The N jobs together run every scenario exactly \
            once. Each result records its shard and pipeline (--group, default the CI pipeline id: \
            CI_PIPELINE_ID, GITHUB_RUN_ID, BUILDKITE_BUILD_ID or BUILD_TAG); `pra report --history \
            A --history B ...` reports the shards of one pipeline as one run. See docs/ci.md.

            Speed: the fixture is seeded once per scale and every scenario's cluster starts \
            from a copy of it. --jobs N runs N scenarios at a time, longest first by the \
            history; each keeps its own cluster, proxy and directories, its lines are printed \
            together when it ends, and the reports keep catalogue order. Scenarios then share \
            the cores, so each measured RTO is an upper bound of what it would be alone (the \
            result records jobs); for the quietest measurement use --jobs 1.
            """)

    @Argument(help: ArgumentHelp("Scenario files or directories (default: scenarios/).", valueName: "path"))
    var paths: [String] = []

    @Option(name: .long, help: ArgumentHelp("JUnit XML output (default: reports/junit.xml).", valueName: "file"))
    var junit: String?

    @Option(name: .long, help: ArgumentHelp("JSON result output (default: reports/drill-<stamp>.json).", valueName: "file"))
    var json: String?

    @Option(name: .long, help: ArgumentHelp("History file to append to (default: reports/history.jsonl).", valueName: "file"))
    var history: String?

    @Option(name: .long, help: "Fixture scale for every scenario (overrides theirs).")
    var scale: Double?

    @Option(name: .long, help: "Seed for the bit-flip positions of corrupt-archive faults (overrides theirs).")
    var seed: UInt64?

    @Flag(name: .long, help: "Keep each scenario's directory (backups, reports, server log) for debugging.")
    var keep = false

    @Option(name: .long, help: ArgumentHelp("Run only this scenario (by name); repeat for several.", valueName: "name"), completion: .custom(ScenarioCompletion.names))
    var only: [String] = []

    @Option(name: .long, help: ArgumentHelp("Run shard I of N (1-based): a deterministic, balanced share of the catalogue, for N parallel jobs.", valueName: "I/N"))
    var shard: String?

    @Option(name: .long, help: ArgumentHelp("The pipeline the shards belong to (default: the CI pipeline id from the environment).", valueName: "id"))
    var group: String?

    @Option(name: .long, help: ArgumentHelp("Run N scenarios at a time, each on its own cluster (default 1; the main job uses the number of cores).", valueName: "N"))
    var jobs: Int = 1

    @Flag(name: .long, help: "Also build the compliance report from the history (reports/compliance.html and .md, as `pra report`).")
    var report = false

    @Option(name: .long, help: ArgumentHelp("Also write the verdict and measured RTO/RPO in Prometheus text format to this file (atomically).", valueName: "file"))
    var prometheus: String?

    @OptionGroup var common: CommonOptions

    func run() throws {
        let configuration = try common.loadConfiguration(logAs: "drill")
        InterruptCleanup.shared.installSignalHandlers()
        let (selected, loaded) = try loadScenarios()
        var scenarios = selected
        // A subset of the catalogue (a file of scenarios/, --only) writes its reports apart: the
        // full drill's junit.xml, history and compliance report stay as they were.
        // (The catalogue read quietly: an unreadable ./scenarios is pra report's to name.)
        let catalogue = FileManager.default.fileExists(atPath: ScenarioPaths.defaultDirectory) ? (try? Report.scenarioCatalogue(path: ScenarioPaths.defaultDirectory))?.names : nil
        let partial = shard == nil && PartialRun.isPartial(running: scenarios.map(\.name), loaded: loaded, catalogue: catalogue)
        let reports = configuration.reportDirectory + (partial ? "/" + PartialRun.directoryName : "")
        let historyPath = history ?? reports + "/history.jsonl"
        // Scenario durations (for the order and the shards) from the full drill's history too.
        let durations = ShardPlan.durations(from: RunReportFiles.readHistory(path: history ?? configuration.reportDirectory + "/history.jsonl").runs)
        let shardRecord = try selectShard(&scenarios, durations: durations)
        if partial && !common.quiet && (junit == nil || json == nil || history == nil || report) {
            Terminal.info("a partial run (\(scenarios.count) scenario(s), not the whole catalogue): its reports go to \(reports)/, the full drill's in \(configuration.reportDirectory)/ are left as they are (name --junit, --json and --history to write elsewhere)")
        }
        let options = try drillOptions(configuration, durations: durations)
        var run = DrillRunner(options: options).run(scenarios)
        run.shard = shardRecord
        let junitPath = junit ?? reports + "/junit.xml"
        let jsonPath = json ?? reports + "/drill-\(BackupArchiveName.stamp(run.startedAt)).json"
        try writeReports(run, junit: junitPath, json: jsonPath, history: historyPath)
        exportPrometheus(run)
        Terminal.output(DrillRunner.summaryTable(run))
        Terminal.output("reports: \(junitPath), \(jsonPath), \(historyPath)\n")
        let complianceWritten = report ? writeComplianceReport(configuration: configuration, historyPath: historyPath, directory: reports) : true
        try conclude(run, junitPath: junitPath, configuration: configuration)
        if !complianceWritten { throw ExitCode(1) }
    }

    /// The scenarios to run (after `--only` and `--seed`) and the names of all those the paths hold.
    private func loadScenarios() throws -> (scenarios: [Scenario], loaded: [String]) {
        var scenarios: [Scenario]
        let sources = try ScenarioPaths.resolve(paths, command: "run")
        let loaded: [String]
        do {
            scenarios = try DrillRunner.load(paths: sources, only: only)
            loaded = only.isEmpty ? scenarios.map(\.name) : try DrillRunner.load(paths: sources).map(\.name)
        } catch {
            throw Terminal.fail(error.description, exitCode: 2)
        }
        if let seed { scenarios = scenarios.map { $0.withBitFlipSeed(seed) } }
        guard (1...64).contains(jobs) else {
            throw Terminal.fail("--jobs \(jobs) is not between 1 and 64", exitCode: 2)
        }
        return (scenarios, loaded)
    }

    /// `--shard I/N`: keeps this shard's scenarios (planned by their durations in the history).
    private func selectShard(_ scenarios: inout [Scenario], durations: [String: Double]) throws -> ShardRecord? {
        guard let shard else { return nil }
        guard let (index, count) = ShardPlan.parseShard(shard) else {
            throw Terminal.fail("--shard \(shard) is not I/N with 1 ≤ I ≤ N (examples: 1/3, 3/3)", exitCode: 2)
        }
        let plan = ShardPlan(catalogue: scenarios.map(\.name), count: count, durations: durations)
        let names = plan.names(ofShard: index)
        scenarios = scenarios.filter { names.contains($0.name) }
        if !common.quiet {
            Terminal.info("shard \(index)/\(count) (plan \(plan.fingerprint)): \(names.count) of \(plan.catalogue.count) scenarios, about \(DurationParser.format(plan.expectedSeconds[index - 1])) by the history: \(names.joined(separator: ", "))")
        }
        return plan.record(shard: index, group: group ?? ShardPlan.ciGroup(environment: ProcessInfo.processInfo.environment))
    }

    private func drillOptions(_ configuration: Configuration, durations: [String: Double]) throws -> DrillOptions {
        var options = DrillOptions(praExecutable: RunningExecutable.path)
        do {
            try options.apply(configuration)
        } catch {
            throw Terminal.fail(error.description, exitCode: 2)
        }
        options.scaleOverride = scale
        options.keep = keep
        options.jobs = jobs
        options.expectedSeconds = durations
        let quiet = common.quiet
        options.echo = { line in if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) } }
        return options
    }

    private func writeReports(_ run: DrillRunResult, junit junitPath: String, json jsonPath: String, history historyPath: String) throws {
        do {
            for path in [junitPath, jsonPath, historyPath] {
                let directory = (path as NSString).deletingLastPathComponent
                if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            }
            try JUnitReportWriter(run: run).write(to: junitPath)
            try RunReportFiles.writeJSON(run, to: jsonPath)
            try RunReportFiles.appendHistory(run, to: historyPath)
        } catch {
            throw Terminal.fail("cannot write the reports: \(error)", exitCode: 1)
        }
    }

    /// `--prometheus FILE`: the run's figures for node_exporter's textfile collector.
    private func exportPrometheus(_ run: DrillRunResult) {
        guard let prometheus else { return }
        let figures = run.scenarios.map {
            DrillExposition.Scenario(name: $0.name, verdict: $0.verdict.rawValue, rtoSeconds: $0.measurement.rtoSeconds, rtoTargetSeconds: $0.measurement.rtoTargetSeconds,
                                     rpoSeconds: $0.measurement.rpoSeconds, rpoTargetSeconds: $0.measurement.rpoTargetSeconds)
        }
        do {
            try DrillExposition(finishedAt: run.finishedAt, scenarios: figures).write(to: prometheus)
        } catch {
            Terminal.warn("cannot write the Prometheus file: \(error)")
        }
    }

    /// Alerts with the outcome; a failed run exits 1 naming its failed scenarios.
    private func conclude(_ run: DrillRunResult, junitPath: String, configuration: Configuration) throws {
        if !run.succeeded {
            let failed = run.scenarios.filter { $0.verdict == .failed }
            let message = "\(failed.count) scenario(s) failed: " + failed.map { "\($0.name) (\($0.failureSummary ?? "failed"))" }.joined(separator: "; ")
            let exit = Terminal.fail(message, exitCode: 1)
            Terminal.alert(Alert(kind: .failure, command: "drill", what: "drill failed", location: junitPath, detail: message), configuration: configuration)
            throw exit
        }
        Terminal.alert(Alert(kind: .success, command: "drill", what: "drill passed", location: junitPath, detail: "\(run.scenarios.count) scenario(s), none failed"), configuration: configuration)
    }

    /// `--report`: the compliance report from the history this run appended to, as `pra report`
    /// builds it with its defaults. Its verdict does not change this command's exit code; a
    /// report that cannot be built or written prints one error line and makes it 1 (after the
    /// drill's own outcome and alert).
    private func writeComplianceReport(configuration: Configuration, historyPath: String, directory: String) -> Bool {
        var settings = ComplianceSettings(historyPath: historyPath)
        let html = directory + "/" + ComplianceReportFiles.defaultHTMLName
        let markdown = directory + "/" + ComplianceReportFiles.defaultMarkdownName
        do {
            try Report.applyProjectionSettings(configuration, to: &settings)
            settings.catalogue = Report.defaultCatalogue()
            settings.calibrationHistoryPaths = Report.defaultCalibrationHistory(configuration)
            try Report.applyEvidenceSettings(configuration, explicit: [], to: &settings)
            let compliance = try ComplianceReportFiles.build(settings: settings)
            try ComplianceReportFiles.write(compliance, html: html, markdown: markdown)
            Terminal.output(ComplianceReportFiles.summary(compliance, html: html, markdown: markdown))
            return true
        } catch {
            _ = Terminal.fail("cannot write the compliance report: \(error)", exitCode: 1)
            return false
        }
    }
}
