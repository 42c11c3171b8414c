import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// The figures the packaged dashboard and alert rules need beyond the status checks: off-site
/// lag, restore-test age (`pra status --prometheus`) and the drill's verdict and measured RTO/RPO
/// (`pra drill run --prometheus`).
@Suite("monitoring: off-site lag, restore test and drill figures in Prometheus format")
struct PackagedMonitoringMetricsTests {
    static let sampleLine = #"^pra_[a-z_]+(\{[a-z]+="([^"\\]|\\.)*"\})? -?[0-9.]+$"#

    @Test("status: the remote copy age check's value becomes pra_remote_copy_age_seconds; the restore test time is exported when known")
    func statusFigures() {
        var checks: [StatusReport.Check] = [.init(name: "database", level: .ok, message: "ok")]
        let without = PrometheusExposition(report: StatusReport(checkedAt: Date(timeIntervalSince1970: 1_764_000_000), checks: checks)).text
        #expect(!without.contains("pra_remote_copy_age_seconds"), "no REMOTE_TARGET: left out")
        #expect(!without.contains("pra_restore_test_timestamp_seconds"), "no restore report: left out")
        checks.append(.init(name: "remote copy age", level: .warning, message: "old", value: 7200))
        let with = PrometheusExposition(report: StatusReport(checkedAt: Date(timeIntervalSince1970: 1_764_000_000), checks: checks),
                                        restoreTestAt: Date(timeIntervalSince1970: 1_763_900_000)).text
        #expect(with.contains("# TYPE pra_remote_copy_age_seconds gauge\npra_remote_copy_age_seconds 7200\n"))
        #expect(with.contains("# TYPE pra_restore_test_timestamp_seconds gauge\npra_restore_test_timestamp_seconds 1763900000\n"))
        checks[1] = .init(name: "remote copy age", level: .warning, message: "cannot list the target")
        let unlisted = PrometheusExposition(report: StatusReport(checkedAt: Date(), checks: checks)).text
        #expect(!unlisted.contains("pra_remote_copy_age_seconds"), "a target that cannot be listed has no age, never 0")
    }

    @Test("restore test: the newest SUCCESS report in REPORT_DIR, failed and unrelated files ignored")
    func restoreTestRecord() throws {
        let directory = TestEnvironment.temporaryDirectory("restore-reports")
        #expect(RestoreTestRecord.newestSuccess(in: directory) == nil)
        #expect(RestoreTestRecord.newestSuccess(in: directory + "/missing") == nil)
        func report(_ name: String, started: String, verdict: String) throws {
            let text = "pra restore report\n==================\nstarted:  \(started)\ntarget:   akig_restore_test\nverdict:  \(verdict)\n"
            try text.write(toFile: directory + "/" + name, atomically: false, encoding: .utf8)
        }
        try report("pra_restore_report_20261101_050000.txt", started: "2026-11-01T05:00:00Z", verdict: "SUCCESS")
        try report("pra_restore_report_20261108_050000.txt", started: "2026-11-08T05:00:00Z", verdict: "SUCCESS")
        try report("pra_restore_report_20261108_050000_2.txt", started: "2026-11-08T05:00:00Z", verdict: "FAILED")
        try report("pra_restore_report_20261115_050000.txt", started: "2026-11-15T05:00:00Z", verdict: "FAILED")
        try "verdict:  SUCCESS\nstarted:  2027-01-01T00:00:00Z\n".write(toFile: directory + "/notes.txt", atomically: false, encoding: .utf8)
        let newest = try #require(RestoreTestRecord.newestSuccess(in: directory))
        #expect(newest == ISO8601DateFormatter().date(from: "2026-11-08T05:00:00Z"))
        #expect(RestoreTestRecord.stamp("pra_restore_report_20261108_050000_10.txt") > RestoreTestRecord.stamp("pra_restore_report_20261108_050000_9.txt"))
    }

    @Test("drill: verdict, counts by verdict, measured RTO/RPO and targets per scenario, written atomically")
    func drillExposition() throws {
        let scenarios = [
            DrillExposition.Scenario(name: "lose-cluster", verdict: "passed", rtoSeconds: 42.5, rtoTargetSeconds: 1800, rpoSeconds: 3, rpoTargetSeconds: 3600),
            DrillExposition.Scenario(name: "disk-full \"tmpfs\"", verdict: "skipped", rtoSeconds: nil, rtoTargetSeconds: 1800, rpoSeconds: nil, rpoTargetSeconds: 3600),
            DrillExposition.Scenario(name: "status-critical", verdict: "passed", rtoSeconds: nil, rtoTargetSeconds: 1800, rpoSeconds: nil, rpoTargetSeconds: 3600),
        ]
        let passed = DrillExposition(finishedAt: Date(timeIntervalSince1970: 1_764_000_000), scenarios: scenarios).text
        #expect(passed.contains("pra_drill_finished_timestamp_seconds 1764000000\n"))
        #expect(passed.contains("pra_drill_passed 1\n"))
        #expect(passed.contains("pra_drill_scenarios{verdict=\"passed\"} 2\npra_drill_scenarios{verdict=\"failed\"} 0\npra_drill_scenarios{verdict=\"skipped\"} 1\n"))
        #expect(passed.contains("pra_drill_rto_seconds{scenario=\"lose-cluster\"} 42.500\n"))
        #expect(passed.contains("pra_drill_rto_target_seconds{scenario=\"lose-cluster\"} 1800\n"))
        #expect(passed.contains("pra_drill_rpo_seconds{scenario=\"lose-cluster\"} 3\n"))
        #expect(passed.contains("pra_drill_rpo_target_seconds{scenario=\"lose-cluster\"} 3600\n"))
        #expect(!passed.contains("status-critical"), "a scenario that measured nothing has no RTO/RPO sample")
        for line in passed.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.range(of: Self.sampleLine, options: .regularExpression) != nil, "\(line)")
        }
        var failing = scenarios
        failing[2].verdict = "failed"
        #expect(DrillExposition(finishedAt: Date(), scenarios: failing).text.contains("pra_drill_passed 0\n"))

        let directory = TestEnvironment.temporaryDirectory("drill-prom")
        let path = directory + "/pra-drill.prom"
        try DrillExposition(finishedAt: Date(timeIntervalSince1970: 1_764_000_000), scenarios: scenarios).write(to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == passed)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["pra-drill.prom"])
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o644)
    }
}
