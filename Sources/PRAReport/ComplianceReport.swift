import Foundation
import PRADrillResults

/// The compliance report built from the drill history: the verdict management reads first
/// (RTO and RPO of the latest run against their targets), the latest run scenario by scenario,
/// the projections for production, the trend across runs, and the findings.
///
/// It is a value computed from the history alone (plus ``ComplianceSettings``); the HTML and
/// Markdown renderers only present it, so both carry the same verdicts and figures.
///
/// Compliant means all of: RTO compliant and RPO compliant in the latest run (see
/// ``TargetVerdict``), no failed scenario in the latest run, a passing full drill (see
/// ``DrillCatalogue``) no older than ``ComplianceSettings/maximumDrillAgeSeconds``, and the
/// production evidence of every database within its targets (see ``DatabaseEvidence``); no
/// evidence at all reads AT RISK. Projections are shown next to the measurements and listed as
/// findings, but do not change the verdict.
public struct ComplianceReport: Sendable, Encodable {
    /// The latest run's identity.
    public struct RunInfo: Sendable, Equatable, Encodable {
        public var runID: String
        public var startedAt: Date
        public var host: String
        public var toolVersion: String
        public var seconds: Double
        /// Scenarios run at a time (`--jobs`), when more than one: their RTOs include the sharing.
        public var jobs: Int?

        /// ", 4 scenarios at a time (each measured RTO includes waiting for ...)", or nothing.
        var sharingNote: String {
            jobs.map { ", \($0) scenarios at a time (each measured RTO includes waiting for the CPU and disk the other scenarios were using, so it is longer than the same recovery run alone)" } ?? ""
        }
    }

    /// A scenario's projection, named.
    public struct NamedProjection: Sendable, Equatable, Encodable {
        public var scenario: String
        public var projection: ScheduleProjection
    }

    /// The reference time (`ComplianceSettings.now`).
    public var generatedAt: Date
    /// The history file the report was built from.
    public var historyPath: String
    /// History lines that could not be read (1-based), for example a run cut short mid-write.
    public var skippedLines: [Int]
    /// Notices about how the history was read (unreadable lines of one of several files, a
    /// sharded drill missing shards).
    public var historyNotices: [String]
    /// Runs in the whole history, and the window the trend covers.
    public var totalRunCount: Int
    /// `--since`: the start of the trend window.
    public var since: Date?
    /// The scenarios a full drill runs.
    public var catalogue: DrillCatalogue
    /// The latest run, which the verdict is about.
    public var latest: RunInfo
    /// The latest run's counts and full/partial status.
    public var latestPoint: ComplianceTrend.RunPoint
    /// The RTO and RPO verdicts of the latest run.
    public var rto: TargetVerdict
    public var rpo: TargetVerdict
    /// The latest run's scenarios, in run order.
    public var scenarios: [ScenarioCompliance]
    /// The scenario with the largest projected RTO, and the one with the largest worst-case RPO.
    public var rtoProjection: NamedProjection?
    public var rpoProjection: NamedProjection?
    /// The backup schedule's worst case without continuous archiving (`BACKUP_INTERVAL` +
    /// backup + copy): what a disaster class not proven by a point-in-time recovery gets.
    public var scheduleProjection: NamedProjection?
    /// The RPO per class of disaster (cluster lost, site lost), each with the drill that proved
    /// it; see ``DisasterClassRPO``.
    public var rpoByDisasterClass: [DisasterClassRPO]
    /// Restore and backup durations fitted over every measured restore (backup) of the
    /// history window plus the settings' extra measurements: what the RTO projection uses.
    public var restoreModel: RestoreTimeModel
    public var backupModel: RestoreTimeModel
    /// The production configuration the verdict assumes, when the settings state it.
    public var productionConfiguration: ProductionConfiguration?
    /// Runs and scenarios over the `--since` window.
    public var trend: ComplianceTrend
    /// The newest full run (any outcome) and the newest full run without a failure.
    public var lastFullDrill: ComplianceTrend.RunPoint?
    public var lastPassingFullDrill: ComplianceTrend.RunPoint?
    /// The age limit of the last passing full drill.
    public var maximumDrillAgeSeconds: Double
    /// Most severe first.
    public var findings: [ComplianceFinding]
    /// What production recorded over the period (`--evidence`), database by database.
    public var evidence: ProductionEvidence
    /// One row per database of the evidence: its verdict and headline figures.
    public var fleet: [FleetRow]
    /// The verdict from the drills alone, before the evidence.
    public var drillVerdict: Headline

    /// True when the plan is compliant (no finding of severity `failing`).
    public var isCompliant: Bool { !findings.contains { $0.severity == .failing } }

    /// The headline: compliant, at risk (measured within target, but the report's own
    /// projection says the schedule or the production size cannot meet a target), or not.
    public enum Headline: String, Sendable, Encodable {
        case compliant = "COMPLIANT"
        case atRisk = "AT RISK"
        case notCompliant = "NOT COMPLIANT"
    }

    public var headline: Headline {
        guard isCompliant else { return .notCompliant }
        return atRiskReasons.isEmpty ? .compliant : .atRisk
    }

    /// Why the verdict reads AT RISK: the projections that miss a target, the disaster classes
    /// not proven by any drill or whose worst case misses the RPO target, and the production
    /// evidence that is missing or stale.
    public var atRiskReasons: [String] {
        drillAtRiskReasons + evidenceAtRiskReasons
    }

    /// The AT RISK reasons of the drills alone: projections and disaster classes.
    var drillAtRiskReasons: [String] {
        var reasons: [String] = []
        if let rtoProjection, rtoProjection.projection.rtoMeetsTarget == false {
            reasons.append(rtoProjection.projection.rtoSentence + " (from \(rtoProjection.scenario))")
        }
        if let rpoProjection, !rpoProjection.projection.rpoMeetsTarget {
            reasons.append(rpoProjection.projection.rpoSentence + " (from \(rpoProjection.scenario))")
        }
        return reasons + disasterClassReasons
    }

    /// The evidence's AT RISK reasons: none at all, or a database's (no weekly restore test…).
    var evidenceAtRiskReasons: [String] {
        (evidence.absenceReason.map { [$0] } ?? []) + evidence.databases.flatMap(\.atRiskReasons)
    }

    /// The disaster classes that put the plan AT RISK (see ``DisasterClassRPO/atRiskReason``),
    /// leaving out a class whose only problem is the very schedule figure the RPO projection
    /// already reports as missing the target.
    var disasterClassReasons: [String] {
        let missed = rpoProjection.flatMap { $0.projection.rpoMeetsTarget ? nil : $0.projection.worstCaseRPOSeconds }
        return rpoByDisasterClass.compactMap { row in
            guard let reason = row.atRiskReason else { return nil }
            if row.status != .notProven, row.basis == .backupSchedule, let missed, row.worstCaseRPOSeconds == missed { return nil }
            return reason
        }
    }

    /// "Line 3 of reports/history.jsonl could not be read (...) and was skipped."
    static func unreadableLinesSentence(_ lines: [Int], path: String) -> String {
        "\(capitalized(ComplianceError.lines(lines))) of \(path) could not be read (truncated or malformed, for example a run killed mid-write, or holding values no drill writes such as a shard count of 0 or a negative duration) and \(lines.count == 1 ? "was" : "were") skipped."
    }

    /// Days since the last passing full drill, at ``generatedAt``.
    public var daysSinceLastPassingFullDrill: Int? {
        lastPassingFullDrill.map { ComplianceFormat.days(from: $0.startedAt, to: generatedAt) }
    }

    /// Builds the report from `runs` (as read from the history; any order) and the line numbers
    /// the reader skipped.
    public init(runs unsorted: [DrillRunResult], skippedLines: [Int] = [], notices: [String] = [], evidence input: EvidenceInput = .none, settings given: ComplianceSettings) throws(ComplianceError) {
        // Real restore tests join the RTO fit, and the newest status sample gives the production
        // size when PRODUCTION_DB_SIZE is unset.
        var settings = given
        settings.restoreMeasurements += input.restoreTestMeasurements
        if settings.productionSizeFromEvidence == nil { settings.productionSizeFromEvidence = input.newestDatabaseSize }
        let runs = unsorted.enumerated().sorted { ($0.element.startedAt, $0.offset) < ($1.element.startedAt, $1.offset) }.map(\.element)
        guard let latestRun = runs.last else {
            throw .emptyHistory(path: settings.historyPath, skippedLines: skippedLines)
        }
        let window = settings.since.map { since in runs.filter { $0.startedAt >= since } } ?? runs
        if window.isEmpty, let since = settings.since {
            throw .nothingSince(since: ComplianceFormat.dateTime(since), latest: ComplianceFormat.dateTime(latestRun.startedAt), path: settings.historyPath)
        }
        let catalogue = settings.catalogue ?? DrillCatalogue.fromHistory(runs)!

        generatedAt = settings.now
        historyPath = settings.historyPath
        self.skippedLines = skippedLines
        historyNotices = notices
        totalRunCount = runs.count
        since = settings.since
        self.catalogue = catalogue
        maximumDrillAgeSeconds = settings.maximumDrillAgeSeconds
        latest = RunInfo(runID: latestRun.runID, startedAt: latestRun.startedAt, host: latestRun.host, toolVersion: latestRun.toolVersion, seconds: latestRun.seconds, jobs: latestRun.jobs)
        latestPoint = ComplianceTrend.point(latestRun, catalogue: catalogue)
        let earlier = Array(runs.dropLast())
        rto = TargetVerdict.judge(.rto, run: latestRun, earlier: earlier)
        rpo = TargetVerdict.judge(.rpo, run: latestRun, earlier: earlier)
        restoreModel = RestoreTimeModel(fitting: window.flatMap { DrillTimeMeasurements.restores(in: $0, source: .drill) } + settings.restoreMeasurements)
        backupModel = RestoreTimeModel(fitting: window.flatMap { DrillTimeMeasurements.backups(in: $0, source: .drill) } + settings.backupMeasurements)
        productionConfiguration = input.refined(settings.productionConfiguration)
        scenarios = latestRun.scenarios.map { [restoreModel, backupModel] in ScenarioCompliance($0, settings: settings, restoreModel: restoreModel, backupModel: backupModel) }

        let projected = scenarios.compactMap { row in row.projection.map { NamedProjection(scenario: row.name, projection: $0) } }
        rtoProjection = projected.filter { $0.projection.projectedRTOSeconds != nil }
            .max { ($0.projection.projectedRTOSeconds ?? 0) < ($1.projection.projectedRTOSeconds ?? 0) }
        // Continuous archiving, once a drill proved it, governs the RPO; then figures scaled to
        // production beat drill-size ones; among equals, the worst case.
        let bestBasis = projected.map(\.projection.backupBasis).min { Self.basisRank($0) < Self.basisRank($1) }
        rpoProjection = projected.filter { $0.projection.backupBasis == bestBasis }
            .max { $0.projection.worstCaseRPOSeconds < $1.projection.worstCaseRPOSeconds }
        // The same without continuous archiving: what a disaster that took the WAL archive with
        // it (or one no point-in-time recovery proved) leaves.
        let scheduled = projected.map { named -> NamedProjection in
            var inputs = named.projection.inputs
            inputs.archiveTimeoutSeconds = nil
            inputs.archiveLagSeconds = nil
            return NamedProjection(scenario: named.scenario, projection: ScheduleProjection(inputs))
        }
        let scheduleBasis = scheduled.map(\.projection.backupBasis).min { Self.basisRank($0) < Self.basisRank($1) }
        scheduleProjection = scheduled.filter { $0.projection.backupBasis == scheduleBasis }
            .max { $0.projection.worstCaseRPOSeconds < $1.projection.worstCaseRPOSeconds }
        rpoByDisasterClass = DisasterClassRPO.rows(latest: latestRun.scenarios, compliance: scenarios, schedule: scheduleProjection, rpoTarget: settings.rpoTargetSeconds)

        trend = ComplianceTrend(window: window, all: runs, catalogue: catalogue)
        lastFullDrill = runs.last(where: catalogue.isFull).map { ComplianceTrend.point($0, catalogue: catalogue) }
        lastPassingFullDrill = runs.last(where: catalogue.isPassingFull).map { ComplianceTrend.point($0, catalogue: catalogue) }
        findings = []
        // A placeholder until the drills' findings are in; the evidence is read once, below.
        evidence = ProductionEvidence(.none, since: nil, now: settings.now, targets: .init(rpoSeconds: 3600, rtoSeconds: 1800, slaPercent: settings.slaTargetPercent, restoreTestMaximumAgeSeconds: settings.restoreTestMaximumAgeSeconds))
        fleet = []
        drillVerdict = .compliant
        findings = collectFindings(window: window, runs: runs, catalogue: catalogue)
        // The drills' verdict first, then the evidence's.
        drillVerdict = isCompliant ? (drillAtRiskReasons.isEmpty ? .compliant : .atRisk) : .notCompliant
        let targets = DatabaseEvidence.Targets(rpoSeconds: settings.rpoTargetSeconds ?? rpo.targetSeconds ?? 3600, rtoSeconds: settings.rtoTargetSeconds ?? rto.targetSeconds ?? 1800,
                                               slaPercent: settings.slaTargetPercent, restoreTestMaximumAgeSeconds: settings.restoreTestMaximumAgeSeconds)
        evidence = ProductionEvidence(input, since: settings.since, now: settings.now, targets: targets)
        fleet = evidence.databases.map { FleetRow($0, drillVerdict: drillVerdict) }
        findings = Self.sorted(findings + evidenceFindings)
    }

    /// The evidence's findings: each database's failing and AT RISK reasons, then notices.
    private var evidenceFindings: [ComplianceFinding] {
        var list = evidence.databases.flatMap { $0.failingReasons.map { ComplianceFinding(.failing, $0) } }
        list += evidenceAtRiskReasons.map { ComplianceFinding(.atRisk, $0) }
        list += evidence.notices.map { ComplianceFinding(.notice, $0) }
        list += evidence.databases.flatMap { $0.notices.map { ComplianceFinding(.notice, $0) } }
        return list
    }

    /// Most severe first, keeping the order within a severity.
    private static func sorted(_ list: [ComplianceFinding]) -> [ComplianceFinding] {
        list.enumerated().sorted { ($0.element.severity, $0.offset) < ($1.element.severity, $1.offset) }.map(\.element)
    }

    private static func capitalized(_ text: String) -> String {
        text.prefix(1).uppercased() + text.dropFirst()
    }

    private static func basisRank(_ basis: ScheduleProjection.BackupBasis) -> Int {
        switch basis {
        case .continuousArchiving: return 0
        case .productionSize, .fittedProductionSize, .productionSizeUpperBound: return 1
        case .drillSize: return 2
        case .unknown: return 3
        }
    }

    private func collectFindings(window: [DrillRunResult], runs: [DrillRunResult], catalogue: DrillCatalogue) -> [ComplianceFinding] {
        var list: [ComplianceFinding] = []
        if !rto.isCompliant { list.append(ComplianceFinding(.failing, rto.sentence)) }
        if !rpo.isCompliant { list.append(ComplianceFinding(.failing, rpo.sentence)) }

        let failed = scenarios.filter { $0.verdict == .failed }
        if !failed.isEmpty {
            list.append(ComplianceFinding(.failing, "\(ComplianceFormat.count(failed.count, "scenario")) failed in the latest run: " + failed.map { "\($0.name) (\($0.failure ?? "failed"))" }.joined(separator: "; ") + "."))
        }

        let limitDays = Int((maximumDrillAgeSeconds / 86400).rounded())
        if let passing = lastPassingFullDrill {
            let age = ComplianceFormat.days(from: passing.startedAt, to: generatedAt)
            if generatedAt.timeIntervalSince(passing.startedAt) > maximumDrillAgeSeconds {
                list.append(ComplianceFinding(.failing, "The last passing full drill was on \(ComplianceFormat.day(passing.startedAt)), \(ComplianceFormat.ago(age)) (limit \(limitDays)): the monthly drill did not happen or did not pass since."))
            }
        } else if let full = lastFullDrill {
            list.append(ComplianceFinding(.failing, "No full drill in the history passed (the latest, on \(ComplianceFormat.day(full.startedAt)), had \(ComplianceFormat.count(full.failed, "failed scenario")))."))
        } else {
            list.append(ComplianceFinding(.failing, "No full drill in the history: no run included all \(ComplianceFormat.count(catalogue.names.count, "scenario")) of the catalogue (\(catalogue.sourceDescription))." + catalogue.coverageAdvice(runs)))
        }

        // Months without a full drill inside the window.
        let full = window.filter(catalogue.isFull)
        for (before, after) in zip(full, full.dropFirst()) where after.startedAt.timeIntervalSince(before.startedAt) > maximumDrillAgeSeconds {
            list.append(ComplianceFinding(.notice, "No full drill between \(ComplianceFormat.day(before.startedAt)) and \(ComplianceFormat.day(after.startedAt)) (\(ComplianceFormat.days(from: before.startedAt, to: after.startedAt)) days)."))
        }

        if let rtoProjection, rtoProjection.projection.rtoMeetsTarget == false {
            list.append(ComplianceFinding(.warning, rtoProjection.projection.rtoSentence + " (from \(rtoProjection.scenario))"))
        }
        if let rpoProjection, !rpoProjection.projection.rpoMeetsTarget {
            list.append(ComplianceFinding(.warning, rpoProjection.projection.rpoSentence + " (from \(rpoProjection.scenario))"))
        }
        list += disasterClassReasons.map { ComplianceFinding(.warning, $0) }

        if !latestPoint.isFull {
            list.append(ComplianceFinding(.notice, "The latest run was partial: it ran \(latestPoint.catalogueScenariosRun) of the \(catalogue.names.count) catalogue scenarios (missing: \(latestPoint.missingScenarios.joined(separator: ", ")))."))
        }
        let skipped = scenarios.filter { $0.verdict == .skipped }
        if !skipped.isEmpty {
            list.append(ComplianceFinding(.notice, "\(ComplianceFormat.count(skipped.count, "scenario")) skipped in the latest run, so not proven: " + skipped.map { "\($0.name) (\($0.skippedReason ?? "no reason given"))" }.joined(separator: "; ") + "."))
        }
        if !skippedLines.isEmpty {
            list.append(ComplianceFinding(.notice, Self.unreadableLinesSentence(skippedLines, path: historyPath)))
        }
        list += historyNotices.map { ComplianceFinding(.notice, $0) }
        return list.enumerated().sorted { ($0.element.severity, $0.offset) < ($1.element.severity, $1.offset) }.map(\.element)
    }
}

extension ComplianceReport {
    /// When the last passing full drill happened, in one sentence (the monthly-drill question).
    public var lastDrillSentence: String {
        let limit = Int((maximumDrillAgeSeconds / 86400).rounded())
        guard let passing = lastPassingFullDrill else {
            if let full = lastFullDrill {
                return "No full drill has passed yet; the latest full drill, on \(ComplianceFormat.day(full.startedAt)), had \(ComplianceFormat.count(full.failed, "failed scenario"))."
            }
            return "No full drill (every catalogue scenario in one run) is recorded yet."
        }
        let age = ComplianceFormat.days(from: passing.startedAt, to: generatedAt)
        let stale = generatedAt.timeIntervalSince(passing.startedAt) > maximumDrillAgeSeconds
        var sentence = "Last passing full drill: \(ComplianceFormat.day(passing.startedAt)) (\(ComplianceFormat.ago(age)); \(stale ? "older than the \(limit)-day limit — a monthly drill is missing" : "within the \(limit)-day limit")"
        if passing.skipped > 0 { sentence += "; \(ComplianceFormat.count(passing.skipped, "scenario")) skipped in it" }
        return sentence + ")."
    }

    /// The trend's runs, newest first, with a gap line (`run == nil`) wherever two consecutive
    /// full drills are further apart than the age limit: the months a drill did not happen.
    public var runsWithGaps: [(run: ComplianceTrend.RunPoint?, gap: String?)] {
        var rows: [(run: ComplianceTrend.RunPoint?, gap: String?)] = []
        var newerFull: ComplianceTrend.RunPoint?
        if let newest = trend.runs.last(where: \.isFull), generatedAt.timeIntervalSince(newest.startedAt) > maximumDrillAgeSeconds {
            rows.append((nil, "No full drill since \(ComplianceFormat.day(newest.startedAt)) (\(ComplianceFormat.days(from: newest.startedAt, to: generatedAt)) days)"))
        }
        for run in trend.runs.reversed() {
            if run.isFull {
                if let newer = newerFull, newer.startedAt.timeIntervalSince(run.startedAt) > maximumDrillAgeSeconds {
                    rows.append((nil, "No full drill between \(ComplianceFormat.day(run.startedAt)) and \(ComplianceFormat.day(newer.startedAt)) (\(ComplianceFormat.days(from: run.startedAt, to: newer.startedAt)) days)"))
                }
                newerFull = run
            }
            rows.append((run, nil))
        }
        return rows
    }

    /// The rules the report applies, in words, for its last section.
    public var rules: [String] {
        [
            "Compliant means: in the latest run every measured RTO and RPO is within its scenario's target and none is missing where a disaster was recovered from; no scenario failed; and a passing full drill is at most \(Int((maximumDrillAgeSeconds / 86400).rounded())) days old.",
            "RTO is measured from the injected disaster to the restored database passing its integrity and health checks; RPO is the disaster time minus the commit time of the newest heartbeat row found in the restored database.",
            "A full drill runs every scenario of the catalogue (\(catalogue.sourceDescription)); a run with --only, or one that predates a scenario added since, is partial. A passing full drill has no failed scenario; skipped scenarios are never counted as passed.",
            "Projections are estimates, not measurements: RTO at the production size = time outside the restore + the restore duration fitted as fixed cost + size ÷ throughput over every measured restore (drills, calibration, real restore tests; a real restore test weighs as much as \(Int(RestoreMeasurement.productionRestoreTestWeight)) drill restores), with its likely range; when all restores are at about one size the fit is impossible and the figure is an upper bound (size ÷ the drill's throughput), said so. Worst-case RPO = BACKUP_INTERVAL + backup duration (fitted or scaled to the production size when known) + copy time. They are listed as findings but do not change the verdict.",
            "RPO per disaster class: \"cluster lost\" (the local backup directory and WAL archive survive) and \"site lost\" (only the off-site copy survives). A class gets continuous archiving's worst case (archive_timeout + archive lag, or the measured data loss when larger) only when a passed scenario of the latest run recovered from a disaster of that class by a point-in-time recovery to the latest point; otherwise it gets the backup schedule's worst case, and says that seconds are not proven by any drill. A class no scenario of the latest run recovered from, or whose worst case misses the RPO target, makes the verdict AT RISK.",
            "Pass rate = scenarios passed ÷ scenarios in the run. Trend figures compare the latest full drill with the previous one; a change of at most 10 % or one second is reported as about the same.",
        ] + evidenceRules
    }

    /// The production-evidence rules, in words.
    var evidenceRules: [String] {
        let days = Int((evidence.restoreTestMaximumAgeSeconds / 86400).rounded())
        return [
            "Production evidence (the evidence log of pra status and pra restore, --evidence) is judged per database over the period (--since to now). NOT COMPLIANT: the newest recoverable point (archived WAL, else newest backup) older than RPO_TARGET (\(ComplianceFormat.duration(evidence.rpoTargetSeconds))) at any time; the latest real restore test failed or took longer than RTO_TARGET (\(ComplianceFormat.duration(evidence.rtoTargetSeconds))); availability over the sampled time under SLA_TARGET (\(Availability.percent(evidence.slaTargetPercent))). AT RISK: no restore test in the last \(days) days; no status sample; time without samples that could hide an SLA miss; or no evidence at all, when the verdict rests on drills alone.",
            "A status sample stands for the database's state until the next one, at most 15 minutes; time beyond that is unknown, never counted as up. Availability = up ÷ (up + down); counting unknown time as down gives its lower bound. An RPO exposure window starts when the recoverable point's age crossed the target (sample time − age + target) and ends at the first sample back within it; its causes come from the samples (database unreachable, archiver failing, backups stopped, WAL archiving stalled, off-site copy lagging).",
        ]
    }
}
