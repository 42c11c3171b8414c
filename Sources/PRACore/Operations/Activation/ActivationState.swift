import Foundation

/// The record of one activation: written durably to the state file at every transition (so
/// a `pra activate` killed anywhere can tell, when run again, where it stopped), and rendered
/// as the incident report at the end.
public struct ActivationState: Codable, Sendable {
    /// One line of the timeline.
    public struct Event: Codable, Sendable, Equatable {
        public var at: Date
        public var text: String
    }

    public var formatVersion = 1
    /// `activation-<stamp>`: names the report too.
    public var id: String
    /// A rehearsal (`--dry-run`): restored into a scratch target, no hook run.
    public var dryRun: Bool
    /// How the recovered server is obtained.
    public var strategy: ActivationStrategy.Kind
    /// The database (logical) or data directory (point in time) restored into.
    public var target: String
    public var startedAt: Date
    public var endedAt: Date?
    public var stage: ActivationStage = .preparing
    /// How many switch hooks succeeded, in order.
    public var hooksCompleted = 0
    /// Why the activation stopped where it did; `nil` while it runs and once activated.
    public var failure: String?
    /// Elapsed seconds per phase, summed over every run of this activation.
    public var phaseSeconds: [ActivationPhase: Double] = [:]
    public var budgets: ActivationBudgets
    /// How many times `pra activate` ran for this activation (1, then 2 after a resume, ...).
    public var runs = 1
    public var recoveryPoint: ActivationRecoveryPoint?
    /// The restore's summary line and report file.
    public var restoreSummary: String?
    public var restoreReport: String?
    /// The dump restored (logical), whose manifest verification compares the row counts with.
    public var restoredArchive: String?
    /// Where the recovered database answers (for the hooks, verification, and a resumed run).
    public var server: ActivationServer?
    public var hooks: [ActivationHookRecord] = []
    /// Verification's checks.
    public var checks: [RestoreResult.Check] = []
    public var timeline: [Event] = []
    /// Alert deliveries that failed (the activation's verdict is unchanged).
    public var notificationProblems: [String] = []

    public init(id: String, dryRun: Bool, strategy: ActivationStrategy.Kind, target: String, startedAt: Date, budgets: ActivationBudgets) {
        self.id = id
        self.dryRun = dryRun
        self.strategy = strategy
        self.target = target
        self.startedAt = startedAt
        self.budgets = budgets
    }

    /// Adds a timeline line stamped now.
    public mutating func note(_ text: String, at: Date = Date()) {
        timeline.append(Event(at: at, text: text))
    }

    /// Each phase that ran against its budget.
    public var verdicts: [ActivationBudgets.PhaseVerdict] { budgets.verdicts(phaseSeconds) }
    public var totalSeconds: Double { phaseSeconds.values.reduce(0, +) }
    public var overBudget: Bool { budgets.overBudget(phaseSeconds) }
    public var activated: Bool { stage == .activated && failure == nil }

    /// Where the activation stands, in one sentence: what a resumed run and the report say.
    public var standing: String {
        let switched = hooksCompleted == 0 ? "no switch hook ran" : "switched up to hook \(hooksCompleted) (\(hooks.last(where: \.succeeded)?.name ?? "?"))"
        switch stage {
        case .preparing: return "preparation: nothing restored, nothing switched"
        case .restoring: return "restoration: the restore into \(target) started and was not verified; nothing switched"
        case .restored: return "restoration: restored and verified into \(target); no switch hook ran"
        case .switching: return "restoration: restored and verified into \(target); \(switched)" + (failure == nil ? "" : ", hook \(hooksCompleted + 1) failed")
        case .switched: return "restoration: restored, verified and switched (\(hooksCompleted) hook(s)); verification not run"
        case .verifying: return "verification: restored and switched; verification started and did not finish"
        case .activated: return "activated"
        }
    }

    /// Reads the state file; `nil` when there is none.
    public static func load(path: String) throws(ActivationError) -> ActivationState? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw ActivationError("activation state \(path) cannot be read") }
        do {
            return try JSONCoding.decoder.decode(ActivationState.self, from: data)
        } catch {
            throw ActivationError("activation state \(path) is not a state pra wrote (\(error)); look at it, then remove it with pra activate --abandon")
        }
    }

    /// Writes the state durably (temporary name, fsync, rename): a kill at any moment leaves
    /// the previous state or this one, never a half-written file.
    public func save(path: String) throws(ActivationError) {
        do {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            try DurableFile.write(try JSONCoding.encoder.encode(self), to: path, permissions: 0o600)
        } catch {
            throw ActivationError("cannot write the activation state \(path): \(error)", isRefusal: false)
        }
    }
}
