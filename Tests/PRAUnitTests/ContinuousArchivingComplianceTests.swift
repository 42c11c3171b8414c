import Foundation
import PRADrillResults
import Testing

@testable import PRAReport

/// A passed scenario that recovered from a disaster within its targets, with its projections.
private func recoveredScenario(_ name: String, projections: Projections, now: Date) -> ScenarioResult {
    let steps = [
        StepRecord(index: 1, kind: "backup", summary: "base backup", startedAt: now, seconds: 2, exitCode: 0),
        StepRecord(index: 2, kind: "disaster", summary: "disaster lose-cluster", startedAt: now, seconds: 0.5),
        StepRecord(index: 3, kind: "restore", summary: "point-in-time restore to the latest point", startedAt: now, seconds: 4, exitCode: 0),
    ].map { step -> StepRecord in
        var step = step
        if step.index > 1 { step.disasterClass = .clusterLost }
        if step.index == 3 {
            step.recoveryMethod = .pointInTimeLatest
            step.rpoSeconds = 0.6
        }
        return step
    }
    let measurement = DrillMeasurement(rtoSeconds: 5, rtoTargetSeconds: 1800, rpoSeconds: 0.6, rpoTargetSeconds: 3600, heartbeatsWritten: 60, heartbeatsRecovered: 48, projections: projections)
    return ScenarioResult(name: name, file: "scenarios/\(name).yaml", description: "", tags: [], verdict: .passed, fixture: "akig", scale: 0.1, startedAt: now, seconds: 10,
                          checks: [CheckResult(name: "RTO within target", passed: true), CheckResult(name: "RPO within target", passed: true)],
                          steps: steps, measurement: measurement, log: [])
}

private func report(_ projections: Projections) throws -> ComplianceReport {
    let now = Date()
    let run = DrillRunResult(runID: "r1", toolVersion: "test", host: "test", startedAt: now, finishedAt: now, seconds: 10,
                             scenarios: [recoveredScenario("pitr-lose-cluster-latest", projections: projections, now: now)])
    return try ComplianceReport(runs: [run], settings: ComplianceSettings(now: now, historyPath: "/nowhere/history.jsonl"))
}

@Suite("compliance with continuous archiving: the RPO projection and the AT RISK verdict")
struct ContinuousArchivingComplianceTests {
    @Test("projection: archive_timeout + measured archive lag replaces the backup interval once archiving is proven")
    func projection() {
        var inputs = ScheduleProjection.Inputs(backupSeconds: 120, backupIntervalSeconds: 3600, rtoTargetSeconds: 1800, rpoTargetSeconds: 3600)
        let dumpsOnly = ScheduleProjection(inputs)
        #expect(dumpsOnly.worstCaseRPOSeconds == 3720)
        #expect(!dumpsOnly.rpoMeetsTarget)
        inputs.archiveTimeoutSeconds = 60
        inputs.archiveLagSeconds = 0.25
        let archiving = ScheduleProjection(inputs)
        #expect(archiving.backupBasis == .continuousArchiving)
        #expect(archiving.worstCaseRPOSeconds == 60.25)
        #expect(archiving.rpoMeetsTarget)
        #expect(archiving.rpoSentence.contains("with continuous archiving"), "\(archiving.rpoSentence)")
        #expect(archiving.rpoSentence.contains("archive_timeout 1m00s"), "\(archiving.rpoSentence)")
        #expect(archiving.rpoSentence.contains("measured archive lag"), "\(archiving.rpoSentence)")
        inputs.rpoTargetSeconds = 30
        #expect(!ScheduleProjection(inputs).rpoMeetsTarget)
        #expect(ScheduleProjection(inputs).rpoSentence.contains("lower archive_timeout"))
    }

    @Test("every measurement within target but the schedule's projection over: AT RISK, explained, never plain COMPLIANT")
    func atRisk() throws {
        let dumps = try report(Projections(backupIntervalSeconds: 3600, backupSeconds: 90, worstCaseRPOSeconds: 3690))
        #expect(dumps.isCompliant)
        #expect(dumps.headline == .atRisk)
        #expect(dumps.atRiskReasons.contains { $0.contains("cannot meet the 1h00m00s target") }, "\(dumps.atRiskReasons)")
        let markdown = ComplianceMarkdownRenderer(report: dumps).markdown
        #expect(markdown.contains("## Verdict: ⚠ AT RISK"))
        #expect(markdown.contains("At risk: Projected worst-case RPO for BACKUP"))
        #expect(ComplianceHTMLRenderer(report: dumps).html.contains("AT RISK"))
        #expect(ComplianceReportFiles.summary(dumps, html: nil, markdown: nil).hasPrefix("compliance: AT RISK"))

        var proven = Projections(backupIntervalSeconds: 3600, backupSeconds: 90, worstCaseRPOSeconds: 3690)
        proven.archiveTimeoutSeconds = 1
        proven.archiveLagSeconds = 0.05
        let archiving = try report(proven)
        #expect(archiving.rpoProjection?.projection.backupBasis == .continuousArchiving)
        #expect(abs((archiving.rpoProjection?.projection.worstCaseRPOSeconds ?? 0) - 1.05) < 1e-9)
        // Proven after losing the cluster only: the site-loss RPO is not proven by any drill, so
        // the plan is AT RISK, never COMPLIANT on the strength of a cluster-loss drill.
        #expect(archiving.headline == .atRisk)
        // The drills' one reason, then the report's own: no production evidence.
        #expect(archiving.atRiskReasons.count == 2, "\(archiving.atRiskReasons)")
        #expect(archiving.atRiskReasons.last?.hasPrefix("No production evidence") == true)
        #expect(archiving.atRiskReasons.first?.hasPrefix("Site lost (only the off-site copy (REMOTE_TARGET) survives): RPO not proven by any drill") == true)
        #expect(ComplianceMarkdownRenderer(report: archiving).markdown.contains("## Verdict: ⚠ AT RISK"))
    }
}
