import Foundation
import PRADrillResults
import Testing

@testable import PRAReport

// TargetVerdict: the rule the report leads with. Every scenario that measured the figure is
// judged against its own target; the smallest margin decides; a scenario that should have
// measured and did not makes the run not compliant; a run that measured nothing is "not measured".

@Suite("TargetVerdict: compliant, not compliant, not measured")
struct TargetVerdictTests {
    private static let start = Date(timeIntervalSince1970: 1_800_000_000)

    private static func scenario(_ name: String, rto: Double?, target: Double = 1800, checks: [CheckResult] = [], verdict: Verdict = .passed) -> ScenarioResult {
        ScenarioResult(
            name: name, file: "scenarios/\(name).yaml", description: name, tags: [], verdict: verdict,
            skippedReason: verdict == .skipped ? "not root" : nil, fixture: "minimal", scale: 0.02,
            startedAt: start, seconds: 1, checks: checks, steps: [],
            measurement: DrillMeasurement(rtoSeconds: rto, rtoTargetSeconds: target, rpoTargetSeconds: 3600), log: [])
    }

    private static func run(_ scenarios: [ScenarioResult], at date: Date = start) -> DrillRunResult {
        DrillRunResult(runID: "drill-v", toolVersion: "test", host: "h", startedAt: date, finishedAt: date, seconds: 1, scenarios: scenarios)
    }

    @Test("all within their own targets: compliant, decided by the smallest margin")
    func smallestMarginDecides() {
        let verdict = TargetVerdict.judge(.rto, run: Self.run([
            Self.scenario("fast", rto: 10),
            Self.scenario("tight", rto: 50, target: 60),
            Self.scenario("slow-but-loose", rto: 600),
        ]))
        #expect(verdict.status == .compliant)
        #expect(verdict.scenario == "tight")
        #expect(verdict.marginSeconds == 10)
        #expect(verdict.measuredCount == 3)
        #expect(verdict.sentence.hasPrefix("RTO: compliant"))
    }

    @Test("one scenario over its target: not compliant, naming it and the count over")
    func overTarget() {
        let verdict = TargetVerdict.judge(.rto, run: Self.run([
            Self.scenario("ok", rto: 10),
            Self.scenario("late", rto: 90, target: 60),
            Self.scenario("later", rto: 2000),
        ]))
        #expect(verdict.status == .notCompliant)
        #expect(Set(verdict.overTarget) == ["late", "later"])
        #expect(verdict.sentence.contains("2 of 3 measured scenarios over target"))
    }

    @Test("a scenario whose figure check failed without a figure is unmeasured: not compliant")
    func unmeasuredFails() {
        let failedCheck = CheckResult(.rto, passed: false, message: "no successful restore")
        let verdict = TargetVerdict.judge(.rto, run: Self.run([
            Self.scenario("ok", rto: 10),
            Self.scenario("lost", rto: nil, checks: [failedCheck], verdict: .failed),
        ]))
        #expect(verdict.status == .notCompliant)
        #expect(verdict.unmeasured == ["lost"])
        #expect(verdict.sentence.contains("lost did not recover after the disaster"))
    }

    @Test("nothing measured: not measured, quoting the last run that measured it; skipped scenarios do not count")
    func notMeasuredQuotesHistory() {
        let earlier = Self.run([Self.scenario("old", rto: 42)], at: Self.start.addingTimeInterval(-86400))
        let verdict = TargetVerdict.judge(.rto, run: Self.run([Self.scenario("skipped", rto: 5, verdict: .skipped)]), earlier: [earlier])
        #expect(verdict.status == .notMeasured)
        #expect(!verdict.isCompliant)
        #expect(verdict.measuredCount == 0)
        #expect(verdict.sentence.contains("(old)"))
        let alone = TargetVerdict.judge(.rto, run: Self.run([]))
        #expect(alone.sentence.hasSuffix("no run in the history has measured it."))
    }
}
