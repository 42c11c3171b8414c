import ArgumentParser
import Foundation
import PRACore
import PRADrill
import PRADrillResults
import PRAReport

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Build the compliance report (HTML and Markdown) from production evidence and the drill history.",
        discussion: """
            Leads with production evidence: the evidence log that `pra status` and `pra restore` \
            append to (--evidence, default EVIDENCE_FILE, i.e. reports/evidence.jsonl when it \
            exists) gives, per database over the period (--since to now), the RPO exposure (every \
            window the newest recoverable point was older than RPO_TARGET, with its cause), the \
            real restore tests against RTO_TARGET and the availability against SLA_TARGET; several \
            files, a directory of them (as `pra evidence pull DIR` leaves) or one file holding \
            several databases give a fleet table with one row per database. Damaged evidence \
            lines are skipped and named.

            Then reads reports/history.jsonl (one line per `pra drill run`) and writes a self-contained \
            HTML page (inline SVG charts, opens offline, prints well) and a Markdown version for a \
            wiki or a ticket: the verdict for RPO and RTO from the latest run, each scenario with its \
            RTO phases and failure or skip reason, projections for production (RTO at \
            PRODUCTION_DB_SIZE, worst-case RPO for BACKUP_INTERVAL), the trend across runs and the \
            date of the last passing full drill. Rules: docs/reports.md.

            The projected RTO fits restore time as fixed cost + size ÷ throughput over every \
            restore of the history and of the calibration scenario's history (--calibration, \
            default reports/calibration.jsonl when present: run scenarios/calibration monthly, \
            last example), with its likely range; with restores at one size only it is an upper \
            bound, said so.

            A run is a full drill when it ran every scenario in --scenarios (default scenarios/ when \
            present; otherwise the largest run in the history). Unreadable history lines (a run \
            killed mid-write) are skipped and named in the report.

            Exit codes: 0 report written, compliant or AT RISK (RTO and RPO within target in the latest \
            run, no failed scenario, a passing full drill at most --max-age old, and no evidence \
            of a missed target); 1 report written, not compliant (the error line names what failed, \
            e.g. the scenarios a full drill lacked or an RPO exposure window, and the fix); 2 no \
            report: usage error, empty or unreadable history, a missing --evidence path, or the \
            files cannot be written. Projections, and evidence that is missing or stale (no \
            evidence at all, no restore test in 7 days: AT RISK), do not change the exit code.

            Sharded drills: the shards of one pipeline (`pra drill run --shard I/N` in N jobs) are \
            reported as one run. Pass each job's history with --history (repeated), or let the jobs \
            append to one file; a pipeline missing a shard is named, and its missing scenarios \
            count as not run.

            Examples:
              pra report                   # writes reports/compliance.html and .md
              pra report --since 2026-01-01 --html /srv/www/dr/index.html
              PRODUCTION_DB_SIZE=80GB BACKUP_INTERVAL=30m pra report --copy-time 5m
              pra drill run scenarios/calibration --history reports/calibration.jsonl
              pra report --history job1.jsonl --history job2.jsonl --history job3.jsonl
              pra report --evidence /srv/evidence/ --since 2026-11-01   # fleet, one month
            """)

    @Option(name: .long, help: ArgumentHelp("History to read (default: reports/history.jsonl); repeat for one file per parallel job of a sharded drill.", valueName: "file"))
    var history: [String] = []

    @Option(name: .long, help: ArgumentHelp("Evidence log to read, or a directory of them (default: EVIDENCE_FILE, reports/evidence.jsonl, when it exists); repeat for several hosts.", valueName: "file|dir"))
    var evidence: [String] = []

    @Option(name: .long, help: ArgumentHelp("HTML output (default: reports/compliance.html).", valueName: "file"))
    var html: String?

    @Option(name: .long, help: ArgumentHelp("Markdown output (default: reports/compliance.md).", valueName: "file"))
    var markdown: String?

    @Option(name: .long, help: ArgumentHelp("Trend and evidence period from this date on: 2026-01-31 or an ISO-8601 time. The drill verdict is always the latest run's.", valueName: "date"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("Scenario files or directory defining a full drill (default: scenarios/ when present).", valueName: "path"))
    var scenarios: String?

    @Option(name: .long, help: ArgumentHelp("Oldest acceptable passing full drill.", valueName: "duration"))
    var maxAge: String = "35d"

    @Option(name: .long, help: ArgumentHelp("Time to copy a backup off-site, added to the worst-case RPO projection (default: 0, labelled as not configured).", valueName: "duration"))
    var copyTime: String?

    @Option(name: .long, help: ArgumentHelp("History of the calibration scenario, read for its restore and backup measurements only (default: reports/calibration.jsonl when present); repeatable.", valueName: "file"))
    var calibration: [String] = []

    @Flag(name: .long, help: "Print the report model as one JSON document instead of the summary.")
    var json = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let configuration = try common.loadConfiguration(logAs: "report")
        var settings = ComplianceSettings(historyPaths: history.isEmpty ? [configuration.reportDirectory + "/history.jsonl"] : history)
        if let since {
            guard let date = ComplianceFormat.parseDate(since) else {
                throw Terminal.fail("--since \(since) is not a date (examples: 2026-01-31, 2026-01-31T08:00:00Z)", exitCode: 2)
            }
            settings.since = date
        }
        guard let age = DurationParser.seconds(maxAge), age > 0 else {
            throw Terminal.fail("--max-age \(maxAge) is not a duration (examples: 35d, 31d12h)", exitCode: 2)
        }
        settings.maximumDrillAgeSeconds = age
        if let copyTime {
            guard let seconds = DurationParser.seconds(copyTime) else {
                throw Terminal.fail("--copy-time \(copyTime) is not a duration (examples: 90s, 5m)", exitCode: 2)
            }
            settings.copySeconds = seconds
        }
        do {
            try Self.applyProjectionSettings(configuration, to: &settings)
        } catch {
            throw Terminal.fail(error.description, exitCode: 2)
        }
        settings.catalogue = try Self.catalogue(explicit: scenarios)
        settings.calibrationHistoryPaths = calibration.isEmpty ? Self.defaultCalibrationHistory(configuration) : calibration
        try Self.applyEvidenceSettings(configuration, explicit: evidence, to: &settings)

        let report: ComplianceReport
        do {
            report = try ComplianceReportFiles.build(settings: settings)
        } catch {
            throw Terminal.fail(error.description, exitCode: 2)
        }
        let htmlPath = html ?? configuration.reportDirectory + "/" + ComplianceReportFiles.defaultHTMLName
        let markdownPath = markdown ?? configuration.reportDirectory + "/" + ComplianceReportFiles.defaultMarkdownName
        do {
            try ComplianceReportFiles.write(report, html: htmlPath, markdown: markdownPath)
        } catch {
            throw Terminal.fail("cannot write the compliance report: \(error)", exitCode: 2)
        }
        if json {
            struct Document: Encodable {
                var compliant: Bool
                var verdict: ComplianceReport.Headline
                var html: String
                var markdown: String
                var report: ComplianceReport
                /// One line for each technical term the report uses.
                var glossary: [ComplianceGlossary.Entry]
            }
            Terminal.output(JSONCoding.document(Document(compliant: report.isCompliant, verdict: report.headline, html: htmlPath, markdown: markdownPath, report: report, glossary: ComplianceMarkdownRenderer(report: report).glossary)))
        } else {
            Terminal.output(ComplianceReportFiles.summary(report, html: htmlPath, markdown: markdownPath))
        }
        if !report.isCompliant {
            let reasons = report.findings.filter { $0.severity == .failing }.map(\.text)
            throw Terminal.fail("not compliant: " + ComplianceFormat.oneLine(reasons.joined(separator: " ")), exitCode: 1)
        }
    }

    /// PRODUCTION_DB_SIZE, BACKUP_INTERVAL and the targets, as configured now.
    static func applyProjectionSettings(_ configuration: Configuration, to settings: inout ComplianceSettings) throws(ConfigurationError) {
        let projection = try ProjectionSettings(configuration: configuration)
        settings.backupIntervalSeconds = projection.backupInterval
        settings.rpoTargetSeconds = projection.rpoTarget
        settings.rtoTargetSeconds = projection.rtoTarget
        if let bytes = projection.productionDatabaseBytes { settings.productionDatabaseBytes = bytes }
        settings.productionConfiguration = productionConfiguration(configuration, backupIntervalSeconds: settings.backupIntervalSeconds)
    }

    /// The production configuration the verdict assumes, from the settings at report time:
    /// `BACKUP_INTERVAL`, continuous archiving when a WAL archive exists under `BACKUP_DIR`
    /// (otherwise not known), and `REMOTE_TARGET`.
    static func productionConfiguration(_ configuration: Configuration, backupIntervalSeconds: Double?) -> ProductionConfiguration {
        var isDirectory: ObjCBool = false
        let walArchive = (configuration.backupDirectory as NSString).appendingPathComponent("wal")
        let archiving = FileManager.default.fileExists(atPath: walArchive, isDirectory: &isDirectory) && isDirectory.boolValue ? true : nil
        let remote = configuration[.remoteTarget].flatMap { $0.isEmpty ? nil : $0 }
        return ProductionConfiguration(backupIntervalSeconds: backupIntervalSeconds, continuousArchiving: archiving, offSite: remote != nil, offSiteTarget: remote.map(ProductionConfiguration.describeTarget))
    }

    /// `REPORT_DIR/calibration.jsonl` when it exists, else none.
    static func defaultCalibrationHistory(_ configuration: Configuration) -> [String] {
        let path = configuration.reportDirectory + "/" + ComplianceReportFiles.defaultCalibrationName
        return FileManager.default.fileExists(atPath: path) ? [path] : []
    }

    /// `--evidence` (each path must exist), else `EVIDENCE_FILE` or `REPORT_DIR/evidence.jsonl`
    /// when it exists; `SLA_TARGET`.
    static func applyEvidenceSettings(_ configuration: Configuration, explicit: [String], to settings: inout ComplianceSettings) throws {
        do {
            settings.slaTargetPercent = try configuration.percent(.slaTarget)
        } catch {
            throw Terminal.fail(error.description, exitCode: 2)
        }
        if !explicit.isEmpty {
            for path in explicit where !FileManager.default.fileExists(atPath: path) {
                throw Terminal.fail("--evidence \(path): no such file or directory", exitCode: 2)
            }
            settings.evidencePaths = explicit
            return
        }
        let configured = configuration[.evidenceFile]
        if configured?.lowercased() == "none" {
            settings.evidenceAbsence = "EVIDENCE_FILE=none: no evidence is recorded"
            return
        }
        let path = configured ?? configuration.reportDirectory + "/evidence.jsonl"
        if FileManager.default.fileExists(atPath: path) {
            settings.evidencePaths = [path]
        } else {
            settings.evidenceAbsence = "no evidence file at \(path)"
        }
    }

    /// The catalogue a full drill must cover: `explicit` (an error there is exit 2), else
    /// ``defaultCatalogue()``.
    static func catalogue(explicit: String?) throws -> DrillCatalogue? {
        guard let explicit else { return defaultCatalogue() }
        do {
            return try scenarioCatalogue(path: explicit)
        } catch {
            throw Terminal.fail(error.description, exitCode: 2)
        }
    }

    /// The catalogue from the scenario files at `path` (names only); throws when there are none
    /// or one is invalid.
    static func scenarioCatalogue(path: String) throws(ScenarioError) -> DrillCatalogue {
        let scenarios = try DrillRunner.load(paths: [path])
        return DrillCatalogue(names: scenarios.map(\.name), source: .scenarioFiles(path: path))
    }

    /// `scenarios/` in the current directory when it loads, else `nil` (the report derives the
    /// catalogue from the history).
    static func defaultCatalogue() -> DrillCatalogue? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: "scenarios", isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        do {
            return try scenarioCatalogue(path: "scenarios")
        } catch {
            Terminal.warn("cannot read the catalogue in scenarios/ (\(error.description)); a full drill is judged against the largest run in the history")
            return nil
        }
    }
}
