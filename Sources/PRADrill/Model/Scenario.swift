import Foundation
import PRACore

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

/// What a step does.
public enum StepAction: Sendable, Equatable {
    /// `pra backup --full`.
    case backup
    /// `pra verify --all`, or one archive.
    case verify(archive: ArchiveSelector?)
    /// `pra restore --latest`, or `--file` with the selected archive.
    case restore(archive: ArchiveSelector?, targetDatabase: String?, force: Bool)
    /// `pra status`.
    case status
    /// Apply a fault now; it stays until the scenario ends or another fault reverts it.
    case fault(Fault)
    /// Inject the disaster: starts the RTO clock and fixes the RPO reference time.
    case disaster(DisasterKind)
    /// Sleep.
    case wait(seconds: Double)

    public var kind: String {
        switch self {
        case .backup: return "backup"
        case .verify: return "verify"
        case .restore: return "restore"
        case .status: return "status"
        case .fault: return "fault"
        case .disaster: return "disaster"
        case .wait: return "wait"
        }
    }

    /// True for the steps that run the `pra` executable.
    public var runsPra: Bool { [.backup, .status].contains(self) || kind == "verify" || kind == "restore" }
}

/// Ways to lose the database.
public enum DisasterKind: String, Sendable, Equatable, CaseIterable {
    /// `DROP DATABASE` of the source database.
    case dropDatabase = "drop-database"
    /// Stop the server and delete its data directory; a new empty server is provisioned.
    case wipeDataDirectory = "wipe-data-directory"
    /// SIGKILL the server and lose its data directory; a new empty server is provisioned.
    case loseCluster = "lose-cluster"
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

/// The fault kinds (one type each in Faults/).
public enum Fault: Sendable, Equatable, CustomStringConvertible {
    /// Terminate the backends of the step's `pra` (found by application_name).
    case killConnections
    /// Put the backup directory on a filesystem with only this many bytes free.
    case diskFull(freeBytes: UInt64)
    /// Damage an archive.
    case corruptArchive(ArchiveCorruption, archive: ArchiveSelector)
    /// SIGKILL the postmaster.
    case crashServer
    /// Stop the server (fast).
    case stopServer
    /// Start the server again (recovery after crash-server or stop-server).
    case startServer
    /// `REMOTE_TARGET` on an ssh server that does not answer.
    case remoteUnreachable
    /// `REMOTE_TARGET` on a filesystem with only this many bytes free.
    case remoteFull(freeBytes: UInt64)
    /// `SLACK_WEBHOOK` answering this HTTP status.
    case webhookError(status: Int)
    /// `SMTP_URL` on a server refusing service.
    case smtpRefusing

    public static let kinds = ["kill-connections", "disk-full", "corrupt-archive", "crash-server", "stop-server", "start-server",
                               "remote-unreachable", "remote-full", "webhook-error", "smtp-refusing"]

    /// Faults that change the configuration the following `pra` steps see.
    public var changesConfiguration: Bool {
        switch self {
        case .remoteUnreachable, .remoteFull, .webhookError, .smtpRefusing: return true
        default: return false
        }
    }

    public var kind: String {
        switch self {
        case .killConnections: return "kill-connections"
        case .diskFull: return "disk-full"
        case .corruptArchive: return "corrupt-archive"
        case .crashServer: return "crash-server"
        case .stopServer: return "stop-server"
        case .startServer: return "start-server"
        case .remoteUnreachable: return "remote-unreachable"
        case .remoteFull: return "remote-full"
        case .webhookError: return "webhook-error"
        case .smtpRefusing: return "smtp-refusing"
        }
    }

    public var description: String {
        switch self {
        case .diskFull(let free): return "disk-full (\(ByteCount.format(free)) free)"
        case .corruptArchive(let corruption, let archive): return "corrupt-archive (\(corruption), \(archive) archive)"
        case .remoteFull(let free): return "remote-full (\(ByteCount.format(free)) free)"
        case .webhookError(let status): return "webhook-error (HTTP \(status))"
        default: return kind
        }
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
    /// After a restore following a disaster: bounds on the measured RTO and RPO, in seconds.
    public var rtoMax: Double?
    public var rpoMax: Double?
    public var rpoMin: Double?

    public init() {}

    public var isEmpty: Bool { self == Expectations() }
}

extension Scenario {
    /// The same scenario with every bit-flip corruption using `seed` (`pra drill run --seed`).
    public func withBitFlipSeed(_ seed: UInt64) -> Scenario {
        func reseed(_ fault: Fault) -> Fault {
            if case .corruptArchive(.bitFlips(let count, _), let archive) = fault {
                return .corruptArchive(.bitFlips(count: count, seed: seed), archive: archive)
            }
            return fault
        }
        var copy = self
        copy.steps = steps.map { step in
            var step = step
            if case .fault(let fault) = step.action { step.action = .fault(reseed(fault)) }
            if let timed = step.fault { step.fault = TimedFault(fault: reseed(timed.fault), trigger: timed.trigger) }
            return step
        }
        return copy
    }
}
