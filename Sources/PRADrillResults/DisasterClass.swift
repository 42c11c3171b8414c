import Foundation

/// What a disaster leaves to recover from, which decides the RPO the plan can deliver.
///
/// Every drill disaster belongs to one class (the runner classifies each `disaster` kind), and
/// the class is recorded on the disaster step and on every recovery step after it; the
/// compliance report gives the RPO per class, each proven only by a drill of that class.
public enum DisasterClass: String, Codable, Sendable, CaseIterable {
    /// The server or its data is lost, but the local backup directory (`BACKUP_DIR`: dumps, base
    /// backups, the local WAL archive) survives: `drop-database`, `wipe-data-directory`,
    /// `lose-cluster`, `bad-transaction`.
    case clusterLost = "cluster-lost"
    /// The whole site is lost, the local backup directory with it: only the off-site copy
    /// (`REMOTE_TARGET`) survives: `lose-site`.
    case siteLost = "site-lost"

    /// "cluster lost", "site lost".
    public var title: String {
        switch self {
        case .clusterLost: return "cluster lost"
        case .siteLost: return "site lost"
        }
    }

    /// What is left to recover from, in words.
    public var survivors: String {
        switch self {
        case .clusterLost: return "the local backup directory and WAL archive survive"
        case .siteLost: return "only the off-site copy (REMOTE_TARGET) survives"
        }
    }
}
