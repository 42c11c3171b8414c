import Foundation
@testable import PRACore
@testable import PRADrillResults

@testable import PRAReport

/// Production evidence for the report tests: a scripted month of `pra status` samples and
/// restore tests written to an evidence log, and a passing full drill to go with it.
enum EvidenceFixtures {
    /// What the scripted month holds, so tests can check every figure against it.
    struct Month {
        /// The first sample (a multiple of 5 minutes); `--since`.
        let start: Date
        /// The last sample + 5 minutes: the month's end.
        let end: Date
        /// The first hourly backup that did not run; the next one did not either.
        let gapStart: Date
        /// The first unreachable sample; eight follow (40 minutes).
        let outageStart: Date
        let restoreAt: Date
        let host: String
        let database: String
    }

    static let sampleInterval: Double = 300

    /// A status sample reaches the log the way `pra status` writes it: a ``StatusReport`` with
    /// the checks and measurements such a run produces, handed to the real ``EvidenceWriter``
    /// (which turns the report into a sample, appends it under the log's lock and compacts when
    /// due), at the sample's synthetic time.
    static func recordStatusSample(_ sample: StatusSample, at: Date, host: String, database: String, to log: EvidenceLog) throws {
        var checks = [StatusReport.Check(name: "database", level: sample.reachable ? .ok : .critical, message: sample.reachable ? "answered" : "no answer", value: nil)]
        if sample.level > checks[0].level {
            checks.append(StatusReport.Check(name: "backup age", level: sample.level, message: "scripted", value: sample.backupAgeSeconds))
        }
        var report = StatusReport(checkedAt: at, checks: checks)
        report.measurements[.backupAgeSeconds] = sample.backupAgeSeconds
        report.measurements[.walArchiveAgeSeconds] = sample.walAgeSeconds
        report.measurements[.remoteWALLagSeconds] = sample.offSiteAgeSeconds
        report.measurements[.archiverFailing] = sample.archiverFailing.map { $0 ? 1 : 0 }
        report.measurements[.databaseSizeBytes] = sample.databaseSizeBytes.map(Double.init)
        let configuration = try Configuration(envFile: "/dev/null", environment: ["EVIDENCE_FILE": log.path])
        let outcome = EvidenceWriter(configuration: configuration, host: host).record(status: report, database: database)
        if let error = outcome.error { throw OperationFailure(stage: "evidence", message: error) }
    }

    /// HOOK for the coordinator, as ``recordStatusSample(_:at:host:database:to:)``: the restore
    /// writer's code path once it exists.
    static func recordRestore(_ restore: RestoreEvidence, at: Date, host: String, database: String, to log: EvidenceLog) throws {
        try log.append(EvidenceRecord(at: at, host: host, database: database, restore: restore))
    }

    /// A month (30 days) of 5-minute status samples of `database` on `host` ending at or just
    /// before `ending` (aligned to 5 minutes), written to `log`:
    /// - hourly logical dumps (no WAL archiving): the backup age climbs from 0 to 55 minutes
    ///   every hour, within a 1-hour RPO target;
    /// - on day 10 the 11:00 and 12:00 backups do not run: the age climbs to 2h55m and the
    ///   recoverable point is over the target from 11:00 to 13:00;
    /// - on day 20 the database does not answer from 14:00 to 14:40 (8 samples);
    /// - one restore test on day 27 at 03:00: 12.0 s for 1.2 GB, checks passed.
    @discardableResult
    static func writeMonth(to log: EvidenceLog, ending: Date, host: String = "db1", database: String = "akig", restoreSucceeded: Bool = true) throws -> Month {
        let end = Date(timeIntervalSince1970: (ending.timeIntervalSince1970 / sampleInterval).rounded(.down) * sampleInterval)
        let start = end.addingTimeInterval(-30 * 86400)
        let day10 = floor((start.timeIntervalSince1970 + 10 * 86400) / 86400) * 86400
        let gapStart = Date(timeIntervalSince1970: day10 + 11 * 3600)
        let day20 = floor((start.timeIntervalSince1970 + 20 * 86400) / 86400) * 86400
        let outageStart = Date(timeIntervalSince1970: day20 + 14 * 3600)
        let outageEnd = outageStart.addingTimeInterval(40 * 60)
        let restoreAt = Date(timeIntervalSince1970: floor((start.timeIntervalSince1970 + 27 * 86400) / 86400) * 86400 + 3 * 3600)
        let size: Int64 = 1_200_000_000
        var t = start
        while t < end {
            let seconds = t.timeIntervalSince1970
            var lastBackup = floor(seconds / 3600) * 3600
            if t >= gapStart && t < gapStart.addingTimeInterval(7200) { lastBackup = gapStart.timeIntervalSince1970 - 3600 }
            let reachable = !(t >= outageStart && t < outageEnd)
            let sample = StatusSample(reachable: reachable, level: reachable ? .ok : .critical, backupAgeSeconds: seconds - lastBackup, walAgeSeconds: nil,
                                      offSiteAgeSeconds: seconds - lastBackup + 120, archiverFailing: nil, databaseSizeBytes: size)
            try recordStatusSample(sample, at: t, host: host, database: database, to: log)
            if t == restoreAt {
                let restore = RestoreEvidence(method: .logical, source: .local, target: "pra_restore_test", backup: "akig_restore_source.dump", recoveryPoint: restoreAt.addingTimeInterval(-1800),
                                              recoveryPointAgeSeconds: 1800, sizeBytes: size, seconds: 12.0,
                                              phases: [.init(name: "choose backup", seconds: 0.1), .init(name: "verify", seconds: 1.9), .init(name: "create", seconds: 0.3), .init(name: "load", seconds: 8.2), .init(name: "check", seconds: 1.5)],
                                              checks: [.init(name: "critical tables", passed: restoreSucceeded, message: restoreSucceeded ? "users, payments" : "payments is empty")],
                                              succeeded: restoreSucceeded, failure: restoreSucceeded ? nil : "check critical tables failed: payments is empty")
                try recordRestore(restore, at: restoreAt, host: host, database: database, to: log)
            }
            t = t.addingTimeInterval(sampleInterval)
        }
        return Month(start: start, end: end, gapStart: gapStart, outageStart: outageStart, restoreAt: restoreAt, host: host, database: database)
    }

    /// The shipped catalogue's two point-in-time scenarios, passed, at `at`: a full drill of a
    /// two-scenario catalogue that proves both disaster classes, compliant by the drill rules.
    static func passingDrill(at: Date) -> DrillRunResult {
        func scenario(_ name: String, _ disasterClass: DisasterClass, rpo: Double) -> ScenarioResult {
            var disaster = StepRecord(index: 2, kind: "disaster", summary: "disaster", startedAt: at, seconds: 0.5)
            disaster.disasterClass = disasterClass
            var recovery = StepRecord(index: 3, kind: "restore", summary: "recovery", startedAt: at, seconds: 4, exitCode: 0)
            recovery.disasterClass = disasterClass
            recovery.recoveryMethod = .pointInTimeLatest
            recovery.rtoSeconds = 5
            recovery.rpoSeconds = rpo
            var projections = Projections(backupIntervalSeconds: 3600)
            projections.archiveTimeoutSeconds = 1
            projections.archiveLagSeconds = 0.05
            let measurement = DrillMeasurement(rtoSeconds: 5, rtoTargetSeconds: 1800, rpoSeconds: rpo, rpoTargetSeconds: 3600, heartbeatsWritten: 60, heartbeatsRecovered: 50, projections: projections)
            return ScenarioResult(name: name, file: "scenarios/\(name).yaml", description: "", tags: [], verdict: .passed, fixture: "akig", scale: 0.1, startedAt: at, seconds: 10,
                                  checks: [CheckResult(name: "RTO within target", passed: true), CheckResult(name: "RPO within target", passed: true)],
                                  steps: [StepRecord(index: 1, kind: "backup", summary: "backup", startedAt: at, seconds: 2, exitCode: 0), disaster, recovery], measurement: measurement, log: [])
        }
        return DrillRunResult(runID: "drill-evidence", toolVersion: "test", host: "drill-host", startedAt: at, finishedAt: at.addingTimeInterval(40), seconds: 40,
                              scenarios: [scenario("pitr-lose-cluster-latest", .clusterLost, rpo: 0.6), scenario("pitr-lose-site-latest", .siteLost, rpo: 1.4)])
    }

    /// Settings for a report at `now` over [since, now] with a 1-hour RPO and 30-minute RTO target.
    static func settings(now: Date, since: Date?, evidence: [String]) -> ComplianceSettings {
        var settings = ComplianceSettings(now: now, historyPath: "/nowhere/history.jsonl")
        settings.since = since
        settings.rpoTargetSeconds = 3600
        settings.rtoTargetSeconds = 1800
        settings.evidencePaths = evidence
        return settings
    }
}
