import Foundation
import PRACore

/// What the evidence gives the RTO projection: real restore tests as measurements (which
/// outweigh drills, ``RestoreMeasurement/Source/productionRestoreTest``) and the production
/// size from the newest status sample.
extension EvidenceInput {
    /// Every successful logical restore test with a measured size (the fit models `pra restore`
    /// of a dump; point-in-time restores are left out as the drills' are).
    var restoreTestMeasurements: [RestoreMeasurement] {
        records.compactMap { record in
            guard let restore = record.restore, restore.succeeded, restore.method == .logical,
                  let size = restore.sizeBytes, size > 0, restore.seconds > 0 else { return nil }
            return RestoreMeasurement(sizeBytes: Double(size), seconds: restore.seconds, source: .productionRestoreTest,
                                      label: "restore test of \(record.database) on \(record.host), \(ComplianceFormat.dateTime(record.at))")
        }
    }

    /// The database size of the newest status sample, when the evidence is of one database
    /// only (a fleet's databases have sizes of their own: no single production size).
    var newestDatabaseSize: Double? {
        let samples = records.filter { $0.status?.databaseSizeBytes != nil }
        guard Set(samples.map(\.database)).count == 1 else { return nil }
        return samples.max { $0.at < $1.at }?.status?.databaseSizeBytes.map(Double.init)
    }

    /// The configuration the verdict assumes, corrected by the newest status sample of a single
    /// database: a measured WAL age means continuous archiving runs, a measured off-site age
    /// that an off-site copy exists (the backup schedule still comes from the settings).
    func refined(_ configuration: ProductionConfiguration?) -> ProductionConfiguration? {
        let samples = records.filter { $0.status != nil }
        guard Set(samples.map(\.database)).count == 1, let newest = samples.max(by: { $0.at < $1.at })?.status else { return configuration }
        var refined = configuration ?? ProductionConfiguration(backupIntervalSeconds: nil, continuousArchiving: nil, offSite: false)
        refined.continuousArchiving = newest.walAgeSeconds != nil
        if newest.offSiteAgeSeconds != nil { refined.offSite = true }
        refined.source = "the newest status sample (archiving, off-site copy) and the settings at report time (schedule)"
        return refined
    }
}
