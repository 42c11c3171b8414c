import Foundation

/// How a recovery step after a disaster brought the database back, as recorded in the drill
/// history: the compliance report counts only a point-in-time recovery to the latest point as
/// proof of continuous archiving's RPO.
public enum RecoveryMethod: String, Codable, Sendable, CaseIterable {
    /// `pra restore` of one backup (the newest, or a selected one): loses what was written since
    /// that backup.
    case backup
    /// `pra restore --pitr` to the latest point the WAL reaches: what continuous archiving keeps.
    case pointInTimeLatest = "pitr-latest"
    /// `pra restore --pitr --target-time`: a chosen moment (a mark, the disaster time), which
    /// measures that moment, not what the archive keeps.
    case pointInTimeMoment = "pitr-moment"
}
