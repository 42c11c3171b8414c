import Foundation

/// One measured duration at a known database size: a restore (the restore step of a drill, a
/// calibration drill, a real restore test of production) or a backup. ``RestoreTimeModel``
/// fits fixed cost + size ÷ throughput over a list of them.
///
/// The same type carries backup durations (``BackupMeasurement``): the model is the same.
public struct RestoreMeasurement: Sendable, Equatable, Codable {
    /// Where the measurement comes from; it decides the default weight.
    public enum Source: String, Sendable, Equatable, Codable, CaseIterable {
        /// A restore in a drill of the catalogue (the main job): a small fixture on a scratch server.
        case drill
        /// A drill of the calibration scenario (`scenarios/calibration/`): a larger fixture, run
        /// monthly and on its own, so the fit gets a second size.
        case calibration
        /// A real restore test of the production backup (`pra restore --latest` into a scratch
        /// database): the real size, the real machine.
        case productionRestoreTest = "production restore test"

        /// The default weight of one measurement from this source. A real restore test counts
        /// as ``productionRestoreTestWeight`` drill restores: near the production size, the fit
        /// passes within a few percent of it even against a month of drills (each main job adds
        /// about ten drill restores), because it measured the very thing projected.
        public var defaultWeight: Double {
            switch self {
            case .drill, .calibration: return 1
            case .productionRestoreTest: return RestoreMeasurement.productionRestoreTestWeight
            }
        }
    }

    /// How many drill restores one real restore test of production weighs.
    public static let productionRestoreTestWeight: Double = 100

    /// The database size, bytes (`pg_database_size` of the restored database).
    public var sizeBytes: Double
    /// The measured duration, seconds (the whole `pra restore` command, process start to exit).
    public var seconds: Double
    public var source: Source
    /// The weight in the least-squares fit (> 0); by default the source's ``Source/defaultWeight``.
    public var weight: Double
    /// What it was measured in: a scenario and run, a restore report, for the report's notes.
    public var label: String?
    /// How many scenarios shared the machine while it was timed (a drill run's `--jobs`); 1:
    /// it ran alone. A restore timed beside others includes waiting for the CPU and disk they
    /// used, which does not grow with its size (see ``RestoreTimeModel``).
    public var jobs: Int

    /// A measurement; `weight` defaults to the source's ``Source/defaultWeight``.
    public init(sizeBytes: Double, seconds: Double, source: Source, weight: Double? = nil, label: String? = nil, jobs: Int = 1) {
        self.sizeBytes = sizeBytes
        self.seconds = seconds
        self.source = source
        self.weight = weight ?? source.defaultWeight
        self.label = label
        self.jobs = jobs
    }

    /// Usable in a fit: finite, positive size and weight, non-negative duration.
    public var isUsable: Bool {
        sizeBytes.isFinite && sizeBytes > 0 && seconds.isFinite && seconds >= 0 && weight.isFinite && weight > 0
    }
}

/// A measured backup duration at a database size: the same shape as a restore's.
public typealias BackupMeasurement = RestoreMeasurement
