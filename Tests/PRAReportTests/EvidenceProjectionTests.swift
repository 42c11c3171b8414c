import Foundation
import PRACore
import PRATestSupport
import Testing

@testable import PRAReport

/// The evidence feeds the RTO projection: real restore tests join the fit (and outweigh
/// drills), and the newest status sample's size stands in for an unset PRODUCTION_DB_SIZE.
@Suite("EvidenceInput: restore tests and the production size reach the projection")
struct EvidenceProjectionTests {
    @Test("two restore tests of different sizes fit the model as production restore tests; the newest sample gives the production size and the archiving the verdict assumes")
    func evidenceFeedsTheFit() throws {
        let now = Date(timeIntervalSince1970: 1_796_000_000)
        let log = EvidenceLog(path: TestEnvironment.temporaryDirectory("evidence-fit") + "/evidence.jsonl")
        func restore(_ bytes: Int64, _ seconds: Double) -> RestoreEvidence {
            RestoreEvidence(method: .logical, source: .local, target: "akig_restore", backup: "akig.sql.gz", recoveryPoint: nil, recoveryPointAgeSeconds: nil,
                            sizeBytes: bytes, seconds: seconds, phases: [], checks: [.init(name: "tables", passed: true, message: "")], succeeded: true, failure: nil)
        }
        try EvidenceFixtures.recordRestore(restore(100_000_000, 3), at: now.addingTimeInterval(-86400), host: "db1", database: "akig", to: log)
        try EvidenceFixtures.recordRestore(restore(1_200_000_000, 14), at: now.addingTimeInterval(-3600), host: "db1", database: "akig", to: log)
        for (offset, size) in [(-600.0, Int64(2_000_000_000)), (-300.0, Int64(2_500_000_000))] {
            try EvidenceFixtures.recordStatusSample(StatusSample(reachable: true, level: .ok, backupAgeSeconds: 60, walAgeSeconds: nil, offSiteAgeSeconds: nil, archiverFailing: nil, databaseSizeBytes: size),
                                                    at: now.addingTimeInterval(offset), host: "db1", database: "akig", to: log)
        }
        let input = EvidenceInput.read(paths: [log.path])
        #expect(input.newestDatabaseSize == 2_500_000_000)
        #expect(input.restoreTestMeasurements.map(\.source) == [.productionRestoreTest, .productionRestoreTest])

        let settings = EvidenceFixtures.settings(now: now, since: nil, evidence: [log.path])
        let report = try ComplianceReport(runs: [EvidenceFixtures.passingDrill(at: now.addingTimeInterval(-7200))], evidence: input, settings: settings)
        #expect(report.restoreModel.sources.contains(.init(source: .productionRestoreTest, count: 2)), "\(report.restoreModel.sources)")
        // 3 s at 100 MB and 14 s at 1.2 GB: 2 s fixed + 100 MB per second; 2.5 GB → 27 s.
        let predicted = try #require(report.restoreModel.predict(2_500_000_000))
        #expect(abs(predicted.seconds - 27) < 0.5, "\(predicted)")
        // The samples carry no WAL age: production is taken to run without continuous archiving,
        // whatever the settings where the report is written say.
        var settingsSayArchiving = settings
        settingsSayArchiving.productionConfiguration = ProductionConfiguration(backupIntervalSeconds: 3600, continuousArchiving: true, offSite: false)
        let corrected = try ComplianceReport(runs: [EvidenceFixtures.passingDrill(at: now.addingTimeInterval(-7200))], evidence: input, settings: settingsSayArchiving)
        #expect(corrected.productionConfiguration?.continuousArchiving == false)
        #expect(corrected.productionConfiguration?.backupIntervalSeconds == 3600)
        #expect(corrected.productionConfiguration?.source.contains("newest status sample") == true)
    }
}
