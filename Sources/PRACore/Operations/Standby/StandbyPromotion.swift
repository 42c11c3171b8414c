import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The standby in a directory pra made (``StandbyRecord``), for `pra standby status`,
/// `pra status --standby` and `pra activate --standby`: ``inspect()`` reads its state and
/// changes nothing; ``promote()`` ends its recovery (`pg_ctl promote`) and waits until it
/// accepts writes, so that it becomes the primary.
public struct StandbyPromotion {
    /// What ``promote()`` did.
    public struct Result: Codable, Sendable {
        public var ok = true
        /// The standby as it stood just before the promotion.
        public var before: StandbyState
        /// How to reach the promoted server: its Unix socket directory (libpq `host`), port, database.
        public var host: String
        public var port: Int
        public var database: String
        /// The recovery point: the last replayed commit and WAL position (what the new primary holds).
        public var recoveryPointAt: Date?
        public var recoveryPointLSN: String?
        /// Archived segments the standby had not replayed when it was promoted (from the newest
        /// archived segment ``before`` saw): more than 0 means commits in the archive are not in
        /// the new primary (a gap, or a segment `pra wal get` could not read). `nil`: unknown.
        public var segmentsNotReplayed: UInt64?
        /// The timeline the promoted server writes on.
        public var timeline: UInt32?
        /// From the `promote()` call to the server accepting writes, and the `pg_ctl promote` part of it.
        public var secondsToWritable: Double
        public var promoteCommandSeconds: Double
        public var promotedAt: Date
        /// The shell line that stops the promoted server.
        public var stopCommand: String
    }

    public let configuration: Configuration
    /// The standby's data directory, as given.
    public let dataDirectory: String
    public static let applicationName = "pra-standby"

    public init(configuration: Configuration, dataDirectory: String) {
        self.configuration = configuration
        self.dataDirectory = dataDirectory
    }

    /// The standby's record; a directory with none is refused (usage error).
    public func record() throws(OperationFailure) -> StandbyRecord {
        try StandbyRecord.load(from: dataDirectory)
    }

    /// The standby's state against the archive. Only a directory that is no standby of pra's
    /// throws; a stopped or broken standby is a state (not promotable, with the reason).
    public func inspect(now: Date = Date()) throws(OperationFailure) -> StandbyState {
        let record = try record()
        return StandbyInspection(configuration: configuration, record: record).state(now: now)
    }

    /// Promotes the standby: refuses one that is not promotable (stopped, promoted already, of
    /// another database system, a gap in the archive before its newest segment), runs
    /// `pg_ctl promote` as the server's account, and waits until `pg_is_in_recovery()` is false
    /// and it is not read-only, within `RECOVERY_TIMEOUT`. Then the record says it was promoted
    /// and `restore_command`'s env file (off-site keys) is removed.
    ///
    /// `acceptingDataLoss`: a standby that stopped at a gap in the archive is promoted anyway
    /// (the primary is gone and no restore could pass the gap either); the commits after the gap
    /// are lost, and ``Result/before`` names the gap (`archiveGap`). Every other reason still refuses.
    public func promote(now: Date = Date(), acceptingDataLoss: Bool = false) throws(OperationFailure) -> Result {
        let clock = MonotonicClock.now()
        var record = try record()
        let before = StandbyInspection(configuration: configuration, record: record).state(now: now)
        guard before.promotable || (acceptingDataLoss && Self.onlyStoppedAtGap(before, record: record)) else {
            throw OperationFailure(stage: "promote", message: "the standby in \(record.dataDirectory) is not promotable: \(before.reason ?? "unknown reason")")
        }
        let timeout: Double
        let settings: ConnectionSettings
        do {
            timeout = try configuration.seconds(.recoveryTimeout)
            settings = try record.connectionSettings(configuration)
        } catch {
            throw OperationFailure(stage: "configuration", error)
        }
        let control = try record.control()
        let promoteClock = MonotonicClock.now()
        do {
            try control.run("pg_ctl", ["-D", record.dataDirectory, "-w", "-t", "\(max(1, Int(timeout.rounded(.up))))", "promote"], timeout: timeout + 30)
        } catch {
            throw OperationFailure(stage: "promote", message: "pg_ctl promote failed on \(record.dataDirectory): \(error) (server log: \(control.logTail(lines: 3)))")
        }
        let promoteCommandSeconds = promoteClock.elapsed()
        var connection: PostgresConnection?
        var writable = false
        while clock.elapsed() < timeout + 1 {
            if connection == nil { connection = try? PostgresConnection(settings, applicationName: Self.applicationName) }
            if let current = connection {
                if let row = try? current.execute("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')").rows.first {
                    if row.first == "f" && row.dropFirst().first == "off" { writable = true; break }
                } else {
                    connection = nil
                }
            }
            if !control.isRunning {
                throw OperationFailure(stage: "promote", message: "the standby exited while promoting: \(PointInTimeRestoreOperation.failureReason(in: control.logLines()) ?? control.logTail(lines: 3))")
            }
            usleep(50_000)
        }
        let secondsToWritable = clock.elapsed()
        guard writable, let connection else {
            throw OperationFailure(stage: "promote", message: "the standby in \(record.dataDirectory) did not accept writes within RECOVERY_TIMEOUT=\(DurationParser.format(timeout)): \(control.logTail(lines: 3))")
        }
        let point = try? connection.execute("SELECT extract(epoch FROM pg_last_xact_replay_timestamp())::float8::text, pg_last_wal_replay_lsn()::text, timeline_id::text FROM pg_control_checkpoint()").rows.first
        let recoveryPointAt = ((point?.first ?? nil).flatMap(Double.init).map { Date(timeIntervalSince1970: $0) }) ?? before.lastReplayedCommitAt
        let recoveryPointLSN = (point?.dropFirst().first ?? nil) ?? before.replayedLSN
        let timeline = PointInTimeRestoreOperation.value(after: "selected new timeline ID: ", in: control.logLines()).flatMap { UInt32($0.prefix { $0.isNumber }) }
        // No longer a standby: said in its record; the off-site keys restore_command read are gone.
        let promotedAt = Date()
        record.promotedAt = promotedAt
        try? record.save()
        StandbyRemoval.removeEnvironmentFile(of: record)
        let notReplayed = Self.segmentsNotReplayed(newest: before.newestArchivedSegment, replayed: recoveryPointLSN, segmentSize: record.segmentSize)
        return Result(before: before, host: record.socketDirectory, port: record.port, database: record.database,
                      recoveryPointAt: recoveryPointAt, recoveryPointLSN: recoveryPointLSN, segmentsNotReplayed: notReplayed, timeline: timeline,
                      secondsToWritable: secondsToWritable, promoteCommandSeconds: promoteCommandSeconds, promotedAt: promotedAt,
                      stopCommand: control.stopCommandLine)
    }

    /// Whether the only thing that keeps `state` from being promotable is a gap in the archive
    /// ahead of its replay: running, in recovery, never promoted, of the record's (and the
    /// archive's) database system. Such a standby is promoted when the data loss is accepted.
    static func onlyStoppedAtGap(_ state: StandbyState, record: StandbyRecord) -> Bool {
        state.archiveGap != nil && state.running && state.inRecovery == true && state.promotedAt == nil
            && state.systemIdentifier == record.systemIdentifier
            && (state.archiveSystemIdentifier == nil || state.archiveSystemIdentifier == record.systemIdentifier)
    }

    /// How many archived segments lie after the one holding the last replayed byte.
    static func segmentsNotReplayed(newest: String?, replayed: String?, segmentSize: UInt64) -> UInt64? {
        guard let newest = newest.flatMap(WALFileName.init)?.segmentNumber(segmentSize: segmentSize),
              let lsn = replayed.flatMap(LogSequenceNumber.init) else { return nil }
        let replayedNumber = lsn.value == 0 ? 0 : (lsn.value - 1) / segmentSize
        return newest > replayedNumber ? newest - replayedNumber : 0
    }
}
