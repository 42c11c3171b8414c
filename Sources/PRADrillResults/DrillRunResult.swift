import Foundation
import PRACore

/// One `pra drill run`: every scenario, in order.
public struct DrillRunResult: Codable, Sendable, Equatable {
    /// The version of this record's format, written in every JSON file and history line.
    /// 2 added the field itself; records without it (written before) are version 1, which has
    /// the same fields and reads unchanged. 3 added ``shard`` (absent: not sharded), 4 ``jobs``
    /// (absent: one scenario at a time), 5 the steps' ``StepRecord/messages``,
    /// ``StepRecord/rtoSeconds`` and ``StepRecord/rpoSeconds`` (absent before), 6 the steps'
    /// ``StepRecord/disasterClass`` and ``StepRecord/recoveryMethod`` (absent before: a recovery
    /// of an unknown class, which proves the RPO of no class).
    public static let currentSchemaVersion = 6

    /// The format version the record was written in (``currentSchemaVersion`` for new runs).
    public var schemaVersion: Int
    public var runID: String
    public var toolVersion: String
    public var host: String
    public var startedAt: Date
    public var finishedAt: Date
    public var seconds: Double
    public var scenarios: [ScenarioResult]
    /// `pra drill run --shard I/N`: which share of the catalogue this run is; `nil` for a whole run.
    public var shard: ShardRecord?
    /// `pra drill run --jobs N`: how many scenarios ran at a time, when more than one (their
    /// measured RTOs then include the competition for the machine); `nil`: one at a time.
    public var jobs: Int?

    public init(runID: String, toolVersion: String, host: String, startedAt: Date, finishedAt: Date, seconds: Double, scenarios: [ScenarioResult], shard: ShardRecord? = nil, jobs: Int? = nil) {
        schemaVersion = Self.currentSchemaVersion
        self.runID = runID
        self.toolVersion = toolVersion
        self.host = host
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.seconds = seconds
        self.scenarios = scenarios
        self.shard = shard
        self.jobs = jobs
    }

    public var passedCount: Int { scenarios.filter { $0.verdict == .passed }.count }
    public var failedCount: Int { scenarios.filter { $0.verdict == .failed }.count }
    public var skippedCount: Int { scenarios.filter { $0.verdict == .skipped }.count }
    /// True when no scenario failed (skipped ones do not pass, but do not fail the run).
    public var succeeded: Bool { failedCount == 0 }

    /// The longest duration a record may hold, in seconds (about 31 years): anything longer is
    /// not a measurement, and the report's arithmetic (whole seconds as `Int`) must never see it.
    public static let maximumPlausibleSeconds = 1e9
    /// The most shards (and scenarios at a time) a record may name: `pra drill run --shard I/N`
    /// splits a catalogue of tens of scenarios, and a reader walks 1...N.
    public static let maximumPlausibleCount = 10_000

    /// Why this record holds values no `pra drill run` writes, or `nil` when every value is
    /// possible: a shard index outside 1...count, a count of 0, `jobs` under 1, a negative,
    /// non-finite or absurdly long duration, a target of zero or less, a negative count of
    /// heartbeats. A history line decoding to such a record is treated as unreadable (named by
    /// its line number, like a truncated one): the report must neither trap on it (a range
    /// 1...0, `Int(1e300)`) nor judge compliance from it.
    public var implausibility: String? {
        if let shard {
            if shard.count < 1 || shard.count > Self.maximumPlausibleCount { return "shard count \(shard.count) is not between 1 and \(Self.maximumPlausibleCount)" }
            if shard.index < 1 || shard.index > shard.count { return "shard index \(shard.index) is not between 1 and its count \(shard.count)" }
        }
        if let jobs, jobs < 1 || jobs > Self.maximumPlausibleCount { return "jobs \(jobs) is not between 1 and \(Self.maximumPlausibleCount)" }
        if let problem = Self.duration(seconds, "the run's duration") { return problem }
        for scenario in scenarios {
            if let problem = scenario.implausibility { return "scenario \(scenario.name): \(problem)" }
        }
        return nil
    }

    /// Why `value` cannot be a duration named `what`, or `nil`.
    static func duration(_ value: Double?, _ what: String) -> String? {
        guard let value else { return nil }
        guard value.isFinite, value >= 0, value <= maximumPlausibleSeconds else { return "\(what) \(value) is not a duration between 0 and \(Int(maximumPlausibleSeconds)) seconds" }
        return nil
    }

    /// Why `value` cannot be a target named `what` (it must be positive: a report divides by it), or `nil`.
    static func target(_ value: Double, _ what: String) -> String? {
        guard value.isFinite, value > 0, value <= maximumPlausibleSeconds else { return "\(what) \(value) is not a target between 0 (excluded) and \(Int(maximumPlausibleSeconds)) seconds" }
        return nil
    }

    /// Why `value` cannot be a non-negative finite quantity named `what`, or `nil`.
    static func quantity(_ value: Double?, _ what: String) -> String? {
        guard let value else { return nil }
        guard value.isFinite, value >= 0, value <= 1e30 else { return "\(what) \(value) is not a finite quantity of at least 0" }
        return nil
    }
}

extension ScenarioResult {
    /// Why this scenario's values are impossible (see ``DrillRunResult/implausibility``), or `nil`.
    var implausibility: String? {
        let m = measurement
        let checks: [String?] = [
            DrillRunResult.duration(seconds, "duration"),
            DrillRunResult.duration(m.rtoSeconds, "RTO"),
            DrillRunResult.duration(m.rpoSeconds, "RPO"),
            DrillRunResult.target(m.rtoTargetSeconds, "RTO target"),
            DrillRunResult.target(m.rpoTargetSeconds, "RPO target"),
            (m.heartbeatsWritten ?? 0) < 0 || (m.heartbeatsRecovered ?? 0) < 0 ? "a negative count of heartbeats" : nil,
        ] + m.rtoPhases.map { DrillRunResult.duration($0.seconds, "phase \($0.name)") }
            + steps.map { DrillRunResult.duration($0.seconds, "step \($0.index)") }
            + checks.map { DrillRunResult.duration($0.seconds, "check \($0.name)") }
            + projectionProblems
        return checks.compactMap { $0 }.first
    }

    private var projectionProblems: [String?] {
        guard let p = measurement.projections else { return [] }
        return [
            DrillRunResult.quantity(p.productionDatabaseBytes, Setting.productionDBSize.name),
            DrillRunResult.quantity(p.restoreBytesPerSecond, "restore throughput"),
            DrillRunResult.duration(p.projectedRTOSeconds, "projected RTO"),
            DrillRunResult.duration(p.backupIntervalSeconds, "backup interval"),
            DrillRunResult.duration(p.backupSeconds, "backup duration"),
            DrillRunResult.duration(p.worstCaseRPOSeconds, "worst-case RPO"),
            DrillRunResult.duration(p.archiveTimeoutSeconds, "archive_timeout"),
            DrillRunResult.duration(p.archiveLagSeconds, "archive lag"),
        ]
    }
}

extension DrillRunResult {
    enum CodingKeys: String, CodingKey {
        case schemaVersion, runID, toolVersion, host, startedAt, finishedAt, seconds, scenarios, shard, jobs
    }

    /// Reads a record of any version: one without `schemaVersion` is version 1.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try container.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
        runID = try container.decode(String.self, forKey: .runID)
        toolVersion = try container.decode(String.self, forKey: .toolVersion)
        host = try container.decode(String.self, forKey: .host)
        startedAt = try container.decode(Date.self, forKey: .startedAt)
        finishedAt = try container.decode(Date.self, forKey: .finishedAt)
        seconds = try container.decode(Double.self, forKey: .seconds)
        scenarios = try container.decode([ScenarioResult].self, forKey: .scenarios)
        shard = try container.decodeIfPresent(ShardRecord.self, forKey: .shard)
        jobs = try container.decodeIfPresent(Int.self, forKey: .jobs)
    }
}
