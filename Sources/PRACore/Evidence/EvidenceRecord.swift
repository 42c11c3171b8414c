import Foundation

/// One line of the evidence log: what a real `pra restore` or `pra status` run on a production
/// host measured, kept so that `pra report` can judge the plan's targets on evidence rather than
/// on drills and projections alone.
///
/// The log is JSON lines (``JSONLinesFile``), versioned like the drill history: a reader accepts
/// every version up to ``currentSchemaVersion`` and skips (and names) a line it cannot read.
/// Exactly one of ``restore``, ``status`` and ``summary`` is present, as ``kind`` says.
public struct EvidenceRecord: Codable, Sendable, Equatable {
    /// Version of the line's layout; 1 is the first.
    public static let currentSchemaVersion = 1

    /// What the line records.
    public enum Kind: String, Codable, Sendable {
        /// A real restore (logical or point-in-time): a restore test or a recovery.
        case restore
        /// One `pra status` sample.
        case status
        /// Status samples of one hour, compacted once they are older than the report window.
        case statusSummary = "status-summary"
    }

    public var schemaVersion: Int
    public var kind: Kind
    /// When the restore started, when the sample was taken, or the start of the summarised hour.
    public var at: Date
    public var host: String
    /// The production database the evidence is about (`PGDATABASE`).
    public var database: String
    public var restore: RestoreEvidence?
    public var status: StatusSample?
    public var summary: StatusSummary?

    public init(at: Date, host: String, database: String, restore: RestoreEvidence) {
        self.init(kind: .restore, at: at, host: host, database: database)
        self.restore = restore
    }

    public init(at: Date, host: String, database: String, status: StatusSample) {
        self.init(kind: .status, at: at, host: host, database: database)
        self.status = status
    }

    public init(at: Date, host: String, database: String, summary: StatusSummary) {
        self.init(kind: .statusSummary, at: at, host: host, database: database)
        self.summary = summary
    }

    private init(kind: Kind, at: Date, host: String, database: String) {
        schemaVersion = Self.currentSchemaVersion
        self.kind = kind
        self.at = at
        self.host = host
        self.database = database
    }

    /// Why the line cannot be used although it decoded (a newer layout, a payload that does not
    /// match its kind, impossible values); `nil` when it is usable.
    public var implausibility: String? {
        if schemaVersion < 1 || schemaVersion > Self.currentSchemaVersion {
            return "schema version \(schemaVersion) (this pra reads 1...\(Self.currentSchemaVersion))"
        }
        let payloads = [restore != nil, status != nil, summary != nil].filter { $0 }.count
        guard payloads == 1 else { return "\(payloads) payloads for one \(kind.rawValue) line" }
        switch kind {
        case .restore:
            guard let restore else { return "a restore line without its restore" }
            return restore.implausibility
        case .status:
            guard let status else { return "a status line without its sample" }
            return status.implausibility
        case .statusSummary:
            guard let summary else { return "a summary line without its summary" }
            return summary.implausibility
        }
    }
}

/// What one real restore measured.
public struct RestoreEvidence: Codable, Sendable, Equatable {
    /// How the database was brought back.
    public enum Method: String, Codable, Sendable {
        /// `pra restore` of a logical dump into a database.
        case logical
        /// `pra restore --pitr`: a base backup plus archived WAL.
        case pointInTime = "point-in-time"
    }

    /// Where the backup came from.
    public enum Source: String, Codable, Sendable {
        case local
        case offSite = "off-site"
    }

    /// A timed phase of the restore (its RTO, part by part).
    public struct Phase: Codable, Sendable, Equatable {
        public var name: String
        public var seconds: Double
        public init(name: String, seconds: Double) {
            self.name = name
            self.seconds = seconds
        }
    }

    /// A check of the restored database and its outcome.
    public struct Check: Codable, Sendable, Equatable {
        public var name: String
        public var passed: Bool
        public var message: String
        public init(name: String, passed: Bool, message: String) {
            self.name = name
            self.passed = passed
            self.message = message
        }
    }

    public var method: Method
    public var source: Source
    /// The database restored into (a scratch name for a restore test) or the recovered data directory.
    public var target: String
    /// File name of the backup used (dump archive or base backup), after any fallback.
    public var backup: String?
    /// The recovery point: the moment the restored data is from (the dump's end, or the time
    /// point-in-time recovery reached).
    public var recoveryPoint: Date?
    /// Age of the recovery point when the restore started: the data a recovery at that moment
    /// would have lost.
    public var recoveryPointAgeSeconds: Double?
    /// Size of the restored database (or cluster), when it could be measured.
    public var sizeBytes: Int64?
    /// The measured RTO: start of the restore to the end of its checks.
    public var seconds: Double
    public var phases: [Phase]
    public var checks: [Check]
    /// Loaded, and every check passed.
    public var succeeded: Bool
    /// Why it failed, when it did.
    public var failure: String?

    public init(method: Method, source: Source, target: String, backup: String?, recoveryPoint: Date?, recoveryPointAgeSeconds: Double?, sizeBytes: Int64?, seconds: Double, phases: [Phase], checks: [Check], succeeded: Bool, failure: String?) {
        self.method = method
        self.source = source
        self.target = target
        self.backup = backup
        self.recoveryPoint = recoveryPoint
        self.recoveryPointAgeSeconds = recoveryPointAgeSeconds
        self.sizeBytes = sizeBytes
        self.seconds = seconds
        self.phases = phases
        self.checks = checks
        self.succeeded = succeeded
        self.failure = failure
    }

    var implausibility: String? {
        if !(seconds >= 0) || phases.contains(where: { !($0.seconds >= 0) }) { return "a negative duration" }
        if let sizeBytes, sizeBytes < 0 { return "a negative size" }
        return nil
    }
}

/// One `pra status` sample: was the database up, and how old was the newest recoverable point.
public struct StatusSample: Codable, Sendable, Equatable {
    /// The database answered a query.
    public var reachable: Bool
    /// The status's overall level.
    public var level: StatusLevel
    /// Age of the newest verified dump or base backup.
    public var backupAgeSeconds: Double?
    /// Age of the newest archived WAL segment (continuous archiving only).
    public var walAgeSeconds: Double?
    /// How far the off-site copy trails (newest WAL segment or backup there).
    public var offSiteAgeSeconds: Double?
    /// The archiver reported failures since its last success.
    public var archiverFailing: Bool?
    public var databaseSizeBytes: Int64?

    public init(reachable: Bool, level: StatusLevel, backupAgeSeconds: Double?, walAgeSeconds: Double?, offSiteAgeSeconds: Double?, archiverFailing: Bool?, databaseSizeBytes: Int64?) {
        self.reachable = reachable
        self.level = level
        self.backupAgeSeconds = backupAgeSeconds
        self.walAgeSeconds = walAgeSeconds
        self.offSiteAgeSeconds = offSiteAgeSeconds
        self.archiverFailing = archiverFailing
        self.databaseSizeBytes = databaseSizeBytes
    }

    /// Age of the newest point production could be recovered to at the sample: the archived
    /// WAL's age under continuous archiving, else the newest backup's; `nil` when neither is known.
    public var recoverablePointAgeSeconds: Double? {
        switch (walAgeSeconds, backupAgeSeconds) {
        case let (wal?, backup?): return min(wal, backup)
        case let (wal?, nil): return wal
        case let (nil, backup?): return backup
        case (nil, nil): return nil
        }
    }

    var implausibility: String? {
        let ages = [backupAgeSeconds, walAgeSeconds, offSiteAgeSeconds].compactMap { $0 }
        if ages.contains(where: { !$0.isFinite }) { return "an age that is not a number" }
        if let databaseSizeBytes, databaseSizeBytes < 0 { return "a negative size" }
        return nil
    }
}

/// The status samples of one period (an hour), kept once the samples themselves are compacted:
/// enough for availability and RPO exposure at hourly resolution.
public struct StatusSummary: Codable, Sendable, Equatable {
    /// The period covered: [start, end).
    public var start: Date
    public var end: Date
    public var samples: Int
    /// Samples in which the database did not answer.
    public var unreachableSamples: Int
    /// Seconds the samples show the database up and down (each sample counts until the next
    /// one, at most ``EvidenceLog/sampleValiditySeconds``; the rest of the period is unknown).
    public var upSeconds: Double
    public var downSeconds: Double
    /// Worst and best recoverable-point age seen.
    public var maximumRecoverableAgeSeconds: Double?
    public var minimumRecoverableAgeSeconds: Double?
    public var maximumBackupAgeSeconds: Double?
    public var maximumWALAgeSeconds: Double?
    public var maximumOffSiteAgeSeconds: Double?
    /// Samples with the archiver failing.
    public var archiverFailingSamples: Int
    /// The last database size seen in the period.
    public var databaseSizeBytes: Int64?
    /// The period's last sample: its time and whether the database answered. It stands for the
    /// database's state until the next sample (at most ``EvidenceLog/sampleValiditySeconds``),
    /// which may lie in the next period: a reader of the raw samples that follow, and the next
    /// compaction, count that time from here. `nil` in summaries written without it.
    public var lastSampleAt: Date? = nil
    public var lastSampleReachable: Bool? = nil

    public init(start: Date, end: Date, samples: Int, unreachableSamples: Int, upSeconds: Double, downSeconds: Double, maximumRecoverableAgeSeconds: Double?, minimumRecoverableAgeSeconds: Double?, maximumBackupAgeSeconds: Double?, maximumWALAgeSeconds: Double?, maximumOffSiteAgeSeconds: Double?, archiverFailingSamples: Int, databaseSizeBytes: Int64?) {
        self.start = start
        self.end = end
        self.samples = samples
        self.unreachableSamples = unreachableSamples
        self.upSeconds = upSeconds
        self.downSeconds = downSeconds
        self.maximumRecoverableAgeSeconds = maximumRecoverableAgeSeconds
        self.minimumRecoverableAgeSeconds = minimumRecoverableAgeSeconds
        self.maximumBackupAgeSeconds = maximumBackupAgeSeconds
        self.maximumWALAgeSeconds = maximumWALAgeSeconds
        self.maximumOffSiteAgeSeconds = maximumOffSiteAgeSeconds
        self.archiverFailingSamples = archiverFailingSamples
        self.databaseSizeBytes = databaseSizeBytes
    }

    var implausibility: String? {
        if end < start { return "a period that ends before it starts" }
        if samples < 1 || unreachableSamples < 0 || unreachableSamples > samples || archiverFailingSamples < 0 || archiverFailingSamples > samples { return "impossible sample counts" }
        if !(upSeconds >= 0) || !(downSeconds >= 0) { return "a negative duration" }
        return nil
    }
}
