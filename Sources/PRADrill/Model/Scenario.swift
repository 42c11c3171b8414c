import Foundation
import PRACore
import PRADrillResults

/// A drill scenario: what to set up, which failures to inject and what must happen.
/// Loaded from YAML by ``ScenarioLoader``; the format is documented in docs/scenarios.md.
public struct Scenario: Sendable, Equatable {
    public var name: String
    public var description: String
    public var tags: [String]
    /// The file it came from.
    public var file: String
    /// Fixture to seed (a folder of fixtures/).
    public var fixture: String
    /// Fixture scale; `nil` uses the run's default (`--scale`).
    public var scale: Double?
    /// RPO/RTO targets in seconds; `nil` uses `RPO_TARGET` / `RTO_TARGET`.
    public var rpoTarget: Double?
    public var rtoTarget: Double?
    /// Heartbeat rows per second written while the scenario runs; `nil`: no workload.
    public var heartbeatRate: Double?
    /// Continuous archiving: the cluster archives its WAL with `pra wal push` and switches
    /// segments after this many seconds (`archive_timeout`); `nil`: no archiving.
    public var archiveTimeout: Double? = nil
    /// Extra configuration for every `pra` step (e.g. `CRITICAL_TABLES`).
    public var environment: [String: String]
    public var steps: [Step]

    public init(name: String, description: String = "", tags: [String] = [], file: String = "", fixture: String = "akig", scale: Double? = nil, rpoTarget: Double? = nil, rtoTarget: Double? = nil, heartbeatRate: Double? = nil, environment: [String: String] = [:], steps: [Step]) {
        self.name = name
        self.description = description
        self.tags = tags
        self.file = file
        self.fixture = fixture
        self.scale = scale
        self.rpoTarget = rpoTarget
        self.rtoTarget = rtoTarget
        self.heartbeatRate = heartbeatRate
        self.environment = environment
        self.steps = steps
    }
}

/// One step of a scenario, with an optional fault applied during it and its expectations.
public struct Step: Sendable, Equatable {
    public var action: StepAction
    /// A fault applied before or during this step (reverted after it when it can be).
    public var fault: TimedFault?
    public var expect: Expectations
    /// Extra configuration for this step's `pra` child.
    public var environment: [String: String]
    /// Line in the scenario file, for messages.
    public var line: Int

    public init(action: StepAction, fault: TimedFault? = nil, expect: Expectations = Expectations(), environment: [String: String] = [:], line: Int = 0) {
        self.action = action
        self.fault = fault
        self.expect = expect
        self.environment = environment
        self.line = line
    }
}

/// Which archive a step means, counted from the newest complete backup.
public enum ArchiveSelector: Sendable, Equatable, CustomStringConvertible {
    case newest
    case previous
    case oldest
    /// 0 is the newest, 1 the one before, ...
    case index(Int)

    public var description: String {
        switch self {
        case .newest: return "newest"
        case .previous: return "previous"
        case .oldest: return "oldest"
        case .index(let index): return "#\(index)"
        }
    }

    /// Picks from archives sorted newest first.
    public func pick<T>(_ newestFirst: [T]) -> T? {
        switch self {
        case .newest: return newestFirst.first
        case .previous: return newestFirst.count > 1 ? newestFirst[1] : nil
        case .oldest: return newestFirst.last
        case .index(let index): return index < newestFirst.count ? newestFirst[index] : nil
        }
    }
}

/// Ways to lose the database.
public enum DisasterKind: String, Sendable, Equatable, CaseIterable {
    /// `DROP DATABASE` of the source database.
    case dropDatabase = "drop-database"
    /// Stop the server and delete its data directory; a new empty server is provisioned.
    case wipeDataDirectory = "wipe-data-directory"
    /// SIGKILL the server and lose its data directory; a new empty server is provisioned.
    case loseCluster = "lose-cluster"
    /// The whole site: lose-cluster, and the local backup directory is deleted too; only the
    /// off-site copies (REMOTE_TARGET) remain.
    case loseSite = "lose-site"
    /// A bad transaction with the server still up: every row of one table deleted at a
    /// recorded moment (the step's `table`, else the first `CRITICAL_TABLES` table that no
    /// foreign key references, else the largest such table of the database).
    case badTransaction = "bad-transaction"
}

extension DisasterKind {
    /// What this disaster leaves to recover from, recorded in the drill history so the report
    /// can give the RPO per class (exhaustive: a new kind must be classified).
    public var disasterClass: DisasterClass {
        switch self {
        case .dropDatabase, .wipeDataDirectory, .loseCluster, .badTransaction: return .clusterLost
        case .loseSite: return .siteLost
        }
    }
}

/// The moment a point-in-time restore recovers to.
public struct PointInTimeTarget: Sendable, Equatable, CustomStringConvertible {
    public enum Anchor: Sendable, Equatable {
        /// Everything archived.
        case latest
        /// The moment the disaster was injected (just before a bad transaction committed).
        case disaster
        /// A moment an earlier `mark` step remembered.
        case mark(String)
    }

    public var anchor: Anchor
    /// Seconds added to the anchor's moment (negative: earlier). Not for `latest`.
    public var offset: Double

    public init(anchor: Anchor, offset: Double = 0) {
        self.anchor = anchor
        self.offset = offset
    }

    public var description: String {
        let shift = offset == 0 ? "" : " \(offset < 0 ? "-" : "+") \(DurationParser.format(abs(offset)))"
        switch anchor {
        case .latest: return "the latest point"
        case .disaster: return "the disaster\(shift)"
        case .mark(let name): return "mark \(name)\(shift)"
        }
    }
}

/// A fault with the moment it strikes.
public struct TimedFault: Sendable, Equatable {
    public enum Trigger: Sendable, Equatable {
        /// Before the step starts.
        case before
        /// This many seconds after the step started.
        case afterSeconds(Double)
        /// Once the step's archive being written reaches this many bytes.
        case afterBytes(UInt64)
    }

    public var fault: Fault
    public var trigger: Trigger

    public init(fault: Fault, trigger: Trigger) {
        self.fault = fault
        self.trigger = trigger
    }
}

/// What must be true after a step. Unset fields are not checked.
public struct Expectations: Sendable, Equatable {
    public enum Outcome: String, Sendable, Equatable { case success, failure }
    public enum ArchiveState: String, Sendable, Equatable { case complete, absent }

    public var outcome: Outcome?
    public var exitCode: Int32?
    /// Substrings the step's output (stderr and stdout) must contain.
    public var messageContains: [String] = []
    /// The step's `pra` child answers within this many seconds (a timeout that must hold).
    public var secondsMax: Double?
    /// After a backup: a new complete archive, or no new file at all (no partial either).
    public var archive: ArchiveState?
    /// Complete backups that existed before the step are byte-for-byte unchanged.
    public var earlierBackupsUntouched: Bool?
    /// After a status step: OK, WARNING or CRITICAL.
    public var statusLevel: String?
    /// After a restore: the row count of every table matches the manifest.
    public var rowsMatchManifest: Bool?
    /// After a restore: which backup it used (counted before the step).
    public var usedBackup: ArchiveSelector?
    /// After a point-in-time restore following a bad transaction: the damaged table holds
    /// again the rows it had just before it.
    public var rowsBack: Bool?
    /// After a point-in-time restore: the recovered copy's own timeline (its history file or
    /// a segment of it) reached the scenario's WAL archive (`true`) or not (`false`), judged
    /// after the drill switched the copy's WAL and let an archiving copy archive it.
    public var copyInArchive: Bool?
    /// After a restore following a disaster: bounds on the measured RTO and RPO, in seconds.
    public var rtoMax: Double?
    public var rpoMax: Double?
    public var rpoMin: Double?

    public init() {}

    public var isEmpty: Bool { self == Expectations() }
}

extension Scenario {
    /// The same scenario with every fault that draws random choices (bit-flip corruptions)
    /// using `seed` (`pra drill run --seed`).
    public func withBitFlipSeed(_ seed: UInt64) -> Scenario {
        var copy = self
        copy.steps = steps.map { step in
            var step = step
            step.action = step.action.reseeded(seed)
            if let timed = step.fault { step.fault = TimedFault(fault: timed.fault.reseeded(seed), trigger: timed.trigger) }
            return step
        }
        return copy
    }
}
