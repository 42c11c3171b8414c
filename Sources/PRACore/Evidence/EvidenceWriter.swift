import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Appends what a real `pra restore` or `pra status` measured to the evidence log
/// (`EVIDENCE_FILE`, default `REPORT_DIR/evidence.jsonl`; `none`: off), and keeps the log
/// bounded: the status writer compacts samples older than `EVIDENCE_SAMPLE_RETENTION` into hourly
/// summaries once a day.
///
/// Writing evidence never changes an operation's verdict: every failure (a setting that does not
/// parse, a directory that cannot be written, a full disk) comes back as ``Outcome/error``, for a
/// warning line and the `--json` document.
public struct EvidenceWriter: Sendable {
    /// Where the evidence went, or why it did not.
    public struct Outcome: Sendable, Equatable {
        /// The evidence file appended to; `nil` when evidence is off or could not be written.
        public var file: String?
        /// What went wrong, naming the file; `nil` when written (or off).
        public var error: String?
    }

    /// The log written to; `nil` with `EVIDENCE_FILE=none`.
    public let log: EvidenceLog?
    /// The host name recorded in each line.
    public let host: String
    /// `EVIDENCE_SAMPLE_RETENTION` in seconds, or why it does not parse.
    public let retention: Result<Double, ConfigurationError>

    /// - Parameter host: the name recorded in each line (default: this machine's).
    public init(configuration: Configuration, host: String = EvidenceWriter.hostName()) {
        log = Self.path(configuration).map(EvidenceLog.init(path:))
        self.host = host
        retention = Result { () throws(ConfigurationError) -> Double in try configuration.seconds(.evidenceSampleRetention) }
    }

    /// The evidence file `configuration` names; `nil` when evidence is off (`EVIDENCE_FILE=none`).
    public static func path(_ configuration: Configuration) -> String? {
        guard let value = configuration[.evidenceFile] else {
            return (configuration.reportDirectory as NSString).appendingPathComponent("evidence.jsonl")
        }
        return value.lowercased() == "none" ? nil : value
    }

    /// This machine's name (`gethostname`, no DNS lookup: status must answer quickly).
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(cString: buffer)
        return name.isEmpty ? "localhost" : name
    }

    /// Appends the record of a restore that ran (succeeded or not).
    /// - Parameters:
    ///   - database: the production database the backup is of (`PGDATABASE`).
    ///   - target: the database restored into, or the recovered data directory.
    ///   - backup: the file name of the backup used, after any fallback.
    ///   - recoveryPoint: the moment the restored data is from.
    public func record(restore result: RestoreResult, method: RestoreEvidence.Method, database: String, target: String, backup: String?, recoveryPoint: Date?, sizeBytes: Int64?) -> Outcome {
        let evidence = RestoreEvidence(
            method: method, source: result.fetchedFromRemote.isEmpty ? .local : .offSite, target: target, backup: backup,
            recoveryPoint: recoveryPoint, recoveryPointAgeSeconds: recoveryPoint.map { max(0, result.startedAt.timeIntervalSince($0)) },
            sizeBytes: sizeBytes, seconds: result.seconds,
            phases: result.phases.map { .init(name: $0.name, seconds: $0.seconds) },
            checks: result.checks.map { .init(name: $0.name, passed: $0.passed, message: $0.message) },
            succeeded: result.succeeded,
            failure: result.failure.map { message in result.failedStage.map { "\($0): \(message)" } ?? message })
        return append(EvidenceRecord(at: result.startedAt, host: host, database: database, restore: evidence))
    }

    /// Appends the sample of a status run, from the figures it already measured (no query of its
    /// own), then compacts the log when its oldest sample is due.
    public func record(status report: StatusReport, database: String) -> Outcome {
        let figures = report.measurements
        let reachable = report.check(.database)?.level == .ok
        // A base backup's age stands for the backup age when continuous archiving has no dumps.
        let backupAge = figures[.backupAgeSeconds] ?? report.check(.baseBackupAge)?.value
        let offSite = figures[.remoteWALLagSeconds] ?? report.check(.remoteCopyAge)?.value
        let sample = StatusSample(reachable: reachable, level: report.level, backupAgeSeconds: backupAge, walAgeSeconds: figures[.walArchiveAgeSeconds],
                                  offSiteAgeSeconds: offSite, archiverFailing: figures[.archiverFailing].map { $0 != 0 },
                                  databaseSizeBytes: figures[.databaseSizeBytes].map { Int64($0) })
        var outcome = append(EvidenceRecord(at: report.checkedAt, host: host, database: database, status: sample))
        guard outcome.error == nil, let log else { return outcome }
        do {
            let retention = try retention.get()
            _ = try log.compactIfDue(now: report.checkedAt, retention: retention)
        } catch let error as ConfigurationError {
            outcome.error = "evidence log \(log.path) not compacted: \(error.description)"
        } catch {
            outcome.error = "evidence log \(log.path) not compacted: \(error)"
        }
        return outcome
    }

    private func append(_ record: EvidenceRecord) -> Outcome {
        guard let log else { return Outcome(file: nil, error: nil) }
        do {
            try log.append(record)
            return Outcome(file: log.path, error: nil)
        } catch {
            return Outcome(file: nil, error: "cannot append to the evidence log \(log.path): \(error)")
        }
    }
}
