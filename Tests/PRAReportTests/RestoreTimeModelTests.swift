import Foundation
import PRADrill
import PRADrillResults
import PRATestSupport
import Testing

@testable import PRAReport

private let mib = 1_048_576.0

/// A passed scenario that restored a database of `bytes` in `restoreSeconds` after a
/// disaster, with `overhead` seconds of its RTO outside the restore.
private func drillScenario(_ name: String, bytes: Double, restoreSeconds: Double, overhead: Double = 0.5, backupSeconds: Double = 1, rpo: Double? = 1, description: String = "", now: Date) -> ScenarioResult {
    let steps = [
        StepRecord(index: 1, kind: "backup", summary: "backup", startedAt: now, seconds: backupSeconds, exitCode: 0),
        StepRecord(index: 2, kind: "disaster", summary: "disaster drop-database", startedAt: now, seconds: 0.1),
        StepRecord(index: 3, kind: "restore", summary: "restore", startedAt: now, seconds: restoreSeconds, exitCode: 0),
    ]
    var projections = Projections(restoreBytesPerSecond: bytes / restoreSeconds, backupIntervalSeconds: 3600, backupSeconds: backupSeconds)
    projections.productionDatabaseBytes = nil
    let measurement = DrillMeasurement(rtoSeconds: overhead + restoreSeconds, rtoTargetSeconds: 1800, rpoSeconds: rpo, rpoTargetSeconds: 3600, projections: projections)
    return ScenarioResult(name: name, file: "scenarios/\(name).yaml", description: description, tags: [], verdict: .passed, fixture: "akig", scale: 0.05, startedAt: now, seconds: 5,
                          checks: [CheckResult(name: "RTO within target", passed: true)], steps: steps, measurement: measurement, log: [])
}

private func run(_ id: String, _ scenarios: [ScenarioResult], at date: Date) -> DrillRunResult {
    DrillRunResult(runID: id, toolVersion: "test", host: "test", startedAt: date, finishedAt: date, seconds: 10, scenarios: scenarios)
}

/// Restore seconds on a line: `fixed` + size ÷ `rate`.
private func line(_ bytes: Double, fixed: Double = 1.5, rate: Double = 100 * mib) -> Double { fixed + bytes / rate }

@Suite("RTO projection: fixed cost + size ÷ throughput, fitted over every measured restore")
struct RestoreTimeModelTests {
    @Test("measurements on a line give back its fixed cost and throughput, and predict at 30x the largest size exactly")
    func exactLine() throws {
        let sizes = [13.3, 15.0, 16.0, 52.0].map { $0 * mib }
        let model = RestoreTimeModel(fitting: sizes.map { RestoreMeasurement(sizeBytes: $0, seconds: line($0), source: $0 > 50 * mib ? .calibration : .drill) })
        #expect(model.status == .fitted)
        #expect(abs((model.fixedSeconds ?? 0) - 1.5) < 1e-9)
        #expect(abs((model.bytesPerSecond ?? 0) - 100 * mib) / (100 * mib) < 1e-9)
        let prediction = try #require(model.predict(30 * 52 * mib))
        #expect(abs(prediction.seconds - line(30 * 52 * mib)) < 1e-6)
        // No scatter: the interval collapses onto the line.
        #expect(abs((prediction.highSeconds ?? 0) - prediction.seconds) < 1e-6)
        #expect(model.sources.map(\.count) == [3, 1])
        #expect(model.basisSentence.contains("4 measurements (3 drill, 1 calibration)"), "\(model.basisSentence)")
    }

    @Test("restores at about one size are under-determined: no prediction, and the sentence says why and what to run")
    func underDetermined() {
        let model = RestoreTimeModel(fitting: [13.3, 15.0, 16.0].map { RestoreMeasurement(sizeBytes: $0 * mib, seconds: 1.3, source: .drill) })
        #expect(model.status == .underDetermined)
        #expect(model.predict(1e9) == nil)
        #expect(model.basisSentence.contains("cannot be told apart"), "\(model.basisSentence)")
        #expect(model.basisSentence.contains("scenarios/calibration/"), "\(model.basisSentence)")
        #expect(RestoreTimeModel(fitting: []).status == .noMeasurement)
        // A size spread just under the factor of 2 is still one size.
        #expect(RestoreTimeModel(fitting: [10, 19.9].map { RestoreMeasurement(sizeBytes: $0 * mib, seconds: line($0 * mib), source: .drill) }).status == .underDetermined)
        #expect(RestoreTimeModel(fitting: [10, 20].map { RestoreMeasurement(sizeBytes: $0 * mib, seconds: line($0 * mib), source: .drill) }).status == .fitted)
    }

    @Test("durations that shrink with size are not a fit; a negative fixed cost is clamped to a fit through the origin")
    func degenerate() throws {
        let shrinking = RestoreTimeModel(fitting: [(10.0, 3.0), (40.0, 2.0)].map { RestoreMeasurement(sizeBytes: $0.0 * mib, seconds: $0.1, source: .drill) })
        #expect(shrinking.status == .notGrowing)
        #expect(shrinking.predict(1e9) == nil)
        let negative = RestoreTimeModel(fitting: [(10.0, 0.05), (100.0, 1.0)].map { RestoreMeasurement(sizeBytes: $0.0 * mib, seconds: $0.1, source: .drill) })
        #expect(negative.status == .fitted)
        #expect(negative.fixedCostClamped)
        #expect(negative.fixedSeconds == 0)
        let at = try #require(negative.predict(1000 * mib))
        #expect(at.seconds > 0)
        #expect(negative.basisSentence.contains("counted as 0"), "\(negative.basisSentence)")
        // Unusable measurements are left out, never fatal.
        let withJunk = RestoreTimeModel(fitting: [RestoreMeasurement(sizeBytes: .nan, seconds: 1, source: .drill), RestoreMeasurement(sizeBytes: 0, seconds: 1, source: .drill),
                                                  RestoreMeasurement(sizeBytes: 5 * mib, seconds: .infinity, source: .drill), RestoreMeasurement(sizeBytes: 5 * mib, seconds: 1, source: .drill, weight: 0)])
        #expect(withJunk.measurementCount == 0)
        #expect(withJunk.status == .noMeasurement)
    }

    @Test("scatter gives a projection interval around the prediction that widens with the distance from the measured sizes")
    func interval() throws {
        var measurements: [RestoreMeasurement] = []
        for (index, size) in [13.0, 14.0, 15.0, 16.0, 13.5, 15.5].enumerated() {
            measurements.append(RestoreMeasurement(sizeBytes: size * mib, seconds: line(size * mib) + (index.isMultiple(of: 2) ? 0.3 : -0.3), source: .drill))
        }
        measurements.append(RestoreMeasurement(sizeBytes: 52 * mib, seconds: line(52 * mib) + 0.1, source: .calibration))
        let model = RestoreTimeModel(fitting: measurements)
        #expect(model.status == .fitted)
        let residual = try #require(model.residualSeconds)
        #expect(residual > 0.1 && residual < 0.6)
        let near = try #require(model.predict(52 * mib))
        let far = try #require(model.predict(1560 * mib))
        let nearLow = try #require(near.lowSeconds), nearHigh = try #require(near.highSeconds)
        let farLow = try #require(far.lowSeconds), farHigh = try #require(far.highSeconds)
        #expect(nearLow < near.seconds && near.seconds < nearHigh)
        #expect(farLow < far.seconds && far.seconds < farHigh)
        #expect(farHigh - farLow > 5 * (nearHigh - nearLow))
        #expect(farLow >= 0)
        // Exactly two measurements: nothing to estimate a spread from.
        let two = RestoreTimeModel(fitting: [RestoreMeasurement(sizeBytes: 10 * mib, seconds: 1, source: .drill), RestoreMeasurement(sizeBytes: 50 * mib, seconds: 2, source: .calibration)])
        #expect(two.residualSeconds == nil)
        #expect(two.predict(1e9)?.lowSeconds == nil)
    }

    @Test("a real restore test near production size outweighs a month of drills and a calibration run that disagree with it")
    func productionTestOutweighsDrills() throws {
        // Thirty runs of ten drill restores at 13-16 MB and a year of calibration runs at 520 MB
        // imply 100 MiB/s; the real restore test of the 1.5 GB production database took 25 s,
        // not 16.9 s. (Its leverage alone, far beyond the other sizes, would not be enough:
        // counted as one restore, the twelve calibration runs pull the line half-way back.)
        var measurements: [RestoreMeasurement] = []
        for runIndex in 0..<30 {
            for size in stride(from: 13.0, through: 16.0, by: 1.0 / 3.0) {
                measurements.append(RestoreMeasurement(sizeBytes: size * mib, seconds: line(size * mib) + (runIndex.isMultiple(of: 2) ? 0.2 : -0.2), source: .drill))
            }
        }
        for month in 0..<12 {
            measurements.append(RestoreMeasurement(sizeBytes: 520 * mib, seconds: line(520 * mib) + (month.isMultiple(of: 2) ? -0.3 : 0.3), source: .calibration))
        }
        let production = 1536 * mib
        let test = RestoreMeasurement(sizeBytes: 1500 * mib, seconds: 25, source: .productionRestoreTest)
        #expect(test.weight == RestoreMeasurement.productionRestoreTestWeight)
        #expect(RestoreMeasurement.Source.productionRestoreTest.defaultWeight > RestoreMeasurement.Source.drill.defaultWeight)

        let drillsOnly = try #require(RestoreTimeModel(fitting: measurements).predict(production))
        #expect(abs(drillsOnly.seconds - line(production)) < 0.5)
        let weighted = try #require(RestoreTimeModel(fitting: measurements + [test]).predict(production))
        // Within 5 % of what the real test measured (scaled to the production size by the fit).
        #expect(abs(weighted.seconds - 25.4) / 25.4 < 0.05, "\(weighted.seconds)")
        // Counted as one drill restore, the same test would barely move the projection.
        var unweightedTest = test
        unweightedTest.weight = 1
        let unweighted = try #require(RestoreTimeModel(fitting: measurements + [unweightedTest]).predict(production))
        #expect(abs(unweighted.seconds - 25.4) / 25.4 > 0.15, "\(unweighted.seconds)")
        #expect(RestoreTimeModel(fitting: measurements + [test]).basisSentence.contains("1 production restore test"))
    }

    @Test("restores timed beside other scenarios are set aside when those timed alone span two sizes; otherwise every one counts")
    func aloneFirst() throws {
        // The main job: four at a time on a busy machine, 13-16 MB restores take 3 s, longer
        // than a 78 MB calibration restore alone; a line through all of them would not grow.
        var measurements = [13.0, 13.5, 14.0, 15.0, 16.0].map { RestoreMeasurement(sizeBytes: $0 * mib, seconds: 3.0, source: .drill, jobs: 4) }
        measurements.append(RestoreMeasurement(sizeBytes: 78 * mib, seconds: line(78 * mib), source: .calibration))
        let oneAloneSize = RestoreTimeModel(fitting: measurements)
        #expect(oneAloneSize.setAsideShared == 0, "one size timed alone is not enough to set the others aside")
        #expect(oneAloneSize.status == .notGrowing)
        measurements.append(RestoreMeasurement(sizeBytes: 19 * mib, seconds: line(19 * mib), source: .calibration))
        let model = RestoreTimeModel(fitting: measurements)
        #expect(model.status == .fitted)
        #expect(model.setAsideShared == 5)
        #expect(model.measurementCount == 2)
        #expect(abs((model.bytesPerSecond ?? 0) - 100 * mib) / (100 * mib) < 1e-9)
        #expect(model.basisSentence.contains("timed alone (5 restores timed beside other scenarios set aside)"), "\(model.basisSentence)")
        // Drills run one at a time (--jobs 1) count like any measurement timed alone.
        let aloneDrills = RestoreTimeModel(fitting: [13.0, 16.0].map { RestoreMeasurement(sizeBytes: $0 * mib, seconds: line($0 * mib), source: .drill) } + [RestoreMeasurement(sizeBytes: 78 * mib, seconds: line(78 * mib), source: .calibration)])
        #expect(aloneDrills.setAsideShared == 0)
        #expect(aloneDrills.measurementCount == 3)
    }

    @Test("report: the drills alone are under-determined and projected as a stated upper bound; with a calibration run, fitted with a range")
    func reportProjection() throws {
        let now = Date()
        let runs = (0..<3).map { index in
            run("r\(index)", [
                drillScenario("baseline", bytes: 13.3 * mib, restoreSeconds: line(13.3 * mib), overhead: 0.1, now: now),
                drillScenario("lose-cluster", bytes: 15 * mib, restoreSeconds: line(15 * mib) + 0.1, overhead: 2, now: now),
            ], at: now.addingTimeInterval(Double(index - 3) * 86400))
        }
        var settings = ComplianceSettings(now: now, historyPath: "/nowhere/history.jsonl")
        settings.productionDatabaseBytes = 1200 * 1_000_000
        let drillsOnly = try ComplianceReport(runs: runs, settings: settings)
        #expect(drillsOnly.restoreModel.status == .underDetermined)
        #expect(drillsOnly.restoreModel.measurementCount == 6, "all runs of the window, not only the latest")
        let upper = try #require(drillsOnly.rtoProjection)
        #expect(upper.projection.rtoBasis == .throughputOnly)
        #expect(upper.projection.rtoSentence.contains("upper bound"), "\(upper.projection.rtoSentence)")
        #expect(upper.projection.rtoSentence.contains("cannot be told apart"), "\(upper.projection.rtoSentence)")

        settings.restoreMeasurements = [RestoreMeasurement(sizeBytes: 52 * mib, seconds: line(52 * mib) + 0.05, source: .calibration)]
        let calibrated = try ComplianceReport(runs: runs, settings: settings)
        #expect(calibrated.restoreModel.status == .fitted)
        let fitted = try #require(calibrated.rtoProjection)
        #expect(fitted.scenario == "lose-cluster", "the largest overhead outside the restore")
        #expect(fitted.projection.rtoBasis == .fitted)
        let restore = try #require(fitted.projection.projectedRestoreSeconds)
        #expect(abs(restore - line(1200 * 1_000_000)) / line(1200 * 1_000_000) < 0.05, "\(restore)")
        #expect(abs((fitted.projection.projectedRTOSeconds ?? 0) - (2 + restore)) < 1e-9)
        #expect(fitted.projection.projectedRTOLowSeconds != nil && fitted.projection.projectedRTOHighSeconds != nil)
        #expect(fitted.projection.rtoSentence.contains("likely"), "\(fitted.projection.rtoSentence)")
        #expect(fitted.projection.rtoSentence.contains("1 calibration"), "\(fitted.projection.rtoSentence)")
        // A scenario that recovered nothing gets no projected RTO, fit or not.
        var noRestore = ScheduleProjection.Inputs(backupSeconds: 1, backupIntervalSeconds: 3600, rtoTargetSeconds: 1800, rpoTargetSeconds: 3600)
        noRestore.productionBytes = 1e9
        noRestore.restoreModel = calibrated.restoreModel
        #expect(ScheduleProjection(noRestore).projectedRTOSeconds == nil)
        // The old model's figure, for comparison: thirty-odd times more.
        #expect((upper.projection.projectedRTOSeconds ?? 0) > 5 * (fitted.projection.projectedRTOSeconds ?? 0))
        // The backup duration is fitted the same way: the drills' backups (1 s, all at about one
        // size) cannot be fitted, so the figure is scaled and labelled an upper bound...
        #expect(calibrated.backupModel.measurementCount == 6)
        #expect(calibrated.backupModel.status == .underDetermined)
        let scaled = try #require(calibrated.scheduleProjection)
        #expect(scaled.projection.backupBasis == .productionSizeUpperBound)
        #expect(scaled.projection.rpoSentence.contains("an upper bound"), "\(scaled.projection.rpoSentence)")
        // ...and with a calibration backup at a second size, fitted.
        settings.backupMeasurements = [BackupMeasurement(sizeBytes: 52 * mib, seconds: 1 + 39 * mib / (50 * mib), source: .calibration)]
        let backupFitted = try ComplianceReport(runs: runs, settings: settings)
        #expect(backupFitted.backupModel.status == .fitted)
        let fittedBackup = try #require(backupFitted.scheduleProjection)
        #expect(fittedBackup.projection.backupBasis == .fittedProductionSize)
        #expect(fittedBackup.projection.backupSeconds == backupFitted.backupModel.predict(1200 * 1_000_000)?.seconds)
        // About the line through the drills' mean (1 s at 14.15 MiB) and the calibration point:
        // 24.3 s, where scaling a 1 s drill backup by size gave 86 s.
        let throughMeans = 1 + (1200 * 1_000_000 - 14.15 * mib) * (39.0 / 50.0) / (52 * mib - 14.15 * mib)
        #expect(abs(fittedBackup.projection.backupSeconds - throughMeans) / throughMeans < 0.02, "\(fittedBackup.projection.backupSeconds) vs \(throughMeans)")
        #expect(scaled.projection.backupSeconds > 3 * fittedBackup.projection.backupSeconds)

        let markdown = ComplianceMarkdownRenderer(report: calibrated).markdown
        #expect(markdown.contains("likely"), "the range is in the Markdown")
        let html = ComplianceHTMLRenderer(report: calibrated).html
        #expect(html.contains("likely"), "the range is in the HTML")
    }

    @Test("the production size comes from PRODUCTION_DB_SIZE, else from the evidence's newest status sample, and the sentence says which")
    func productionSizeSource() throws {
        let now = Date()
        let history = [run("r1", [drillScenario("baseline", bytes: 13.3 * mib, restoreSeconds: 1.6, now: now)], at: now)]
        var settings = ComplianceSettings(now: now, historyPath: "/nowhere/history.jsonl")
        settings.restoreMeasurements = [RestoreMeasurement(sizeBytes: 52 * mib, seconds: 2, source: .calibration)]
        #expect(try ComplianceReport(runs: history, settings: settings).rtoProjection == nil, "no size at all: no projected RTO")
        settings.productionSizeFromEvidence = 2e9
        let fromEvidence = try #require(try ComplianceReport(runs: history, settings: settings).rtoProjection)
        #expect(fromEvidence.projection.inputs.productionBytes == 2e9)
        #expect(fromEvidence.projection.rtoSentence.contains("(the newest status sample)"), "\(fromEvidence.projection.rtoSentence)")
        settings.productionDatabaseBytes = 1e9
        let configured = try #require(try ComplianceReport(runs: history, settings: settings).rtoProjection)
        #expect(configured.projection.inputs.productionBytes == 1e9)
        #expect(configured.projection.rtoSentence.contains("(PRODUCTION_DB_SIZE)"), "\(configured.projection.rtoSentence)")
    }

    @Test("drill measurements: the restore that ended the RTO of each passed scenario, sized from its recorded throughput")
    func drillMeasurements() {
        let now = Date()
        var failed = drillScenario("failed", bytes: 20 * mib, restoreSeconds: 2, now: now)
        failed.verdict = .failed
        var noThroughput = drillScenario("no-throughput", bytes: 20 * mib, restoreSeconds: 2, now: now)
        noThroughput.measurement.projections?.restoreBytesPerSecond = nil
        let measured = DrillTimeMeasurements.restores(in: run("r1", [drillScenario("ok", bytes: 20 * mib, restoreSeconds: 2, now: now), failed, noThroughput], at: now), source: .drill)
        #expect(measured.count == 1)
        #expect(abs((measured.first?.sizeBytes ?? 0) - 20 * mib) < 1)
        #expect(measured.first?.seconds == 2)
        #expect(measured.first?.label == "ok (r1)")
        // A point-in-time recovery is another process (extract, WAL replay): not on the line.
        var pitr = drillScenario("pitr", bytes: 20 * mib, restoreSeconds: 5, now: now)
        pitr.steps[2].recoveryMethod = .pointInTimeLatest
        var pitrBefore6 = drillScenario("pitr-old-record", bytes: 20 * mib, restoreSeconds: 5, now: now)
        pitrBefore6.measurement.rtoPhases = [PhaseRecord(name: "extract", seconds: 2), PhaseRecord(name: "recover", seconds: 2)]
        var logical = drillScenario("logical", bytes: 20 * mib, restoreSeconds: 2, now: now)
        logical.steps[2].recoveryMethod = .backup
        var shared = run("r2", [pitr, pitrBefore6, logical], at: now)
        shared.jobs = 4
        let sharedRestores = DrillTimeMeasurements.restores(in: shared, source: .drill)
        #expect(sharedRestores.map(\.label) == ["logical (r2)"])
        #expect(sharedRestores.first?.jobs == 4)
        let backups = DrillTimeMeasurements.backups(in: run("r1", [drillScenario("ok", bytes: 20 * mib, restoreSeconds: 2, backupSeconds: 0.7, now: now)], at: now), source: .calibration)
        #expect(backups.first?.seconds == 0.7)
        #expect(backups.first?.source == .calibration)
    }
}

@Suite("pra report: the fit, the configuration and the glossary through the command line")
struct ProjectionCommandLineTests {
    @Test("pra report --json reads the calibration history (by default beside the reports), fits on the restores timed alone, states the configuration and carries the glossary")
    func reportCommand() throws {
        let directory = TestEnvironment.temporaryDirectory("fit-cli")
        let reports = directory + "/reports"
        try FileManager.default.createDirectory(atPath: directory + "/backups/wal", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: reports, withIntermediateDirectories: true)
        let now = Date()
        var main = run("drill-main", [drillScenario("baseline", bytes: 13 * mib, restoreSeconds: 3, now: now)], at: now.addingTimeInterval(-3600))
        main.jobs = 4
        try RunReportFiles.appendHistory(main, to: reports + "/history.jsonl")
        let calibration = run("drill-calibration", [drillScenario("restore-size-calibration-small", bytes: 20 * mib, restoreSeconds: line(20 * mib), now: now),
                                                    drillScenario("restore-size-calibration", bytes: 70 * mib, restoreSeconds: line(70 * mib), now: now)], at: now.addingTimeInterval(-1800))
        try RunReportFiles.appendHistory(calibration, to: reports + "/calibration.jsonl")
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") && $0.key != "DATABASE_URL" }
        environment["REPORT_DIR"] = reports
        environment["BACKUP_DIR"] = directory + "/backups"
        environment["PRODUCTION_DB_SIZE"] = "2GB"
        environment["REMOTE_TARGET"] = "s3://acme-pra-backups/db01"
        let result = try PraBinary.run(["report", "--json", "--env-file", "/dev/null"], environment: environment)
        #expect(result.exitCode == 0 || result.exitCode == 1, "\(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)\(result.stderr)")
        let report = try #require(document["report"] as? [String: Any])
        let model = try #require(report["restoreModel"] as? [String: Any])
        #expect(model["status"] as? String == "fitted", "\(model)")
        #expect(model["setAsideShared"] as? Int == 1)
        #expect(abs((model["secondsPerByte"] as? Double ?? 0) * 100 * mib - 1) < 1e-6)
        let projection = try #require((report["rtoProjection"] as? [String: Any])?["projection"] as? [String: Any])
        #expect(projection["rtoBasis"] as? String == "fitted")
        #expect(abs((projection["projectedRestoreSeconds"] as? Double ?? 0) - line(2 * 1024 * mib)) < 1e-6)
        let configuration = try #require(report["productionConfiguration"] as? [String: Any])
        #expect(configuration["continuousArchiving"] as? Bool == true)
        #expect(configuration["offSite"] as? Bool == true)
        #expect(configuration["offSiteTarget"] as? String == "s3://acme-pra-backups")
        #expect(configuration["backupIntervalSeconds"] as? Double == 3600)
        let glossary = try #require(document["glossary"] as? [[String: Any]])
        #expect(glossary.contains { $0["term"] as? String == "RTO (recovery time objective)" })
        #expect(glossary.contains { $0["term"] as? String == "Calibration run" })
        let markdown = try String(contentsOfFile: reports + "/compliance.md", encoding: .utf8)
        #expect(markdown.contains("**Production configuration assumed:**"))
        #expect(markdown.contains("## Glossary"))
        #expect(markdown.contains("2 calibration"), "the projection names its calibration restores")
        #expect(!result.stdout.contains("db01"), "REMOTE_TARGET's path stays out of the report")

        // Without the calibration history the drills alone cannot be fitted: an upper bound, said so.
        try FileManager.default.removeItem(atPath: reports + "/calibration.jsonl")
        let alone = try PraBinary.run(["report", "--json", "--env-file", "/dev/null"], environment: environment)
        let aloneReport = try #require((try JSONSerialization.jsonObject(with: Data(alone.stdout.utf8)) as? [String: Any])?["report"] as? [String: Any])
        #expect((aloneReport["restoreModel"] as? [String: Any])?["status"] as? String == "under-determined")
        #expect(((aloneReport["rtoProjection"] as? [String: Any])?["projection"] as? [String: Any])?["rtoBasis"] as? String == "throughput only (upper bound)")
    }
}
