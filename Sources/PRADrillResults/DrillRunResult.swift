import Foundation

/// One `pra drill run`: every scenario, in order.
public struct DrillRunResult: Codable, Sendable, Equatable {
    /// The version of this record's format, written in every JSON file and history line.
    /// 2 added the field itself; records without it (written before) are version 1, which has
    /// the same fields and reads unchanged. 3 added ``shard`` (absent: not sharded), 4 ``jobs``
    /// (absent: one scenario at a time).
    public static let currentSchemaVersion = 4

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
