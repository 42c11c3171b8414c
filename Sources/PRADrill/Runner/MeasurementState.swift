import Foundation
import PRACore
import PRADrillResults

/// What the measurement of one scenario has gathered so far: the disaster, the recoveries after
/// it, the backups' durations. Steps add to it as they run; the runner judges it at the end.
final class MeasurementState {
    var disasterDate: Date?
    var disasterClock: MonotonicClock?
    var provisionSeconds: Double?
    var rto: Double?
    var rtoPhases: [PhaseRecord] = []
    var rpo: Double?
    var heartbeatsWritten: Int?
    var heartbeatsRecovered: Int?
    var rpoNote: String?
    var restoreBytesPerSecond: Double?
    var lastBackupSeconds: Double?
    /// The table a bad transaction emptied and its row count just before.
    var damaged: (table: String, rows: Int)?
    /// The slowest incremental backup: WAL switch until archived.
    var archiveLag: Double?
    /// A point-in-time recovery to the latest point after the disaster succeeded and
    /// measured what the archive kept: only then is continuous archiving's RPO proven.
    var recoveredLatest = false
    /// The class of the latest disaster: recorded on every recovery step after it.
    var disasterClass: DisasterClass?
}

/// What one recovery step measured: its own RTO (disaster until it exited) and RPO.
struct RecoveryMeasurement {
    var rto: Double
    var rpo: Double?
}
