import Foundation
import PRACore

/// The production configuration a compliance verdict assumes, stated at the top of the report:
/// without it a reader cannot tell whether a worst-case RPO of seconds (continuous archiving)
/// or of an hour (the backup schedule) applies to their database.
///
/// `pra report` fills it from the settings at report time (`BACKUP_INTERVAL`, a WAL archive under
/// `BACKUP_DIR`, `REMOTE_TARGET`); evidence from production (status samples) may replace
/// any field later, and ``source`` then says so.
public struct ProductionConfiguration: Sendable, Equatable, Encodable {
    /// Interval between full backups (`BACKUP_INTERVAL`).
    public var backupIntervalSeconds: Double?
    /// Whether production runs continuous WAL archiving (`archive_command = pra wal push`);
    /// `nil`: not known.
    public var continuousArchiving: Bool?
    /// Whether backups are copied off the machine (`REMOTE_TARGET` set), and where (the
    /// scheme and host only: never credentials).
    public var offSiteTarget: String?
    public var offSite: Bool
    /// Where these values come from: "the settings at report time", "the newest status sample".
    public var source: String

    /// A configuration as described on each property.
    public init(backupIntervalSeconds: Double?, continuousArchiving: Bool?, offSite: Bool, offSiteTarget: String? = nil, source: String = "the settings at report time") {
        self.backupIntervalSeconds = backupIntervalSeconds
        self.continuousArchiving = continuousArchiving
        self.offSite = offSite
        self.offSiteTarget = offSiteTarget
        self.source = source
    }

    /// `REMOTE_TARGET` as the report shows it: the scheme and host of an `ssh://` or `s3://`
    /// target (no user, no path: nothing that could hold a secret), "a directory" otherwise.
    public static func describeTarget(_ target: String) -> String {
        if let url = URL(string: target), let scheme = url.scheme, scheme == "ssh" || scheme == "s3", let host = url.host, !host.isEmpty {
            return "\(scheme)://\(host)"
        }
        return "a directory"
    }

    /// The configuration in one sentence, for the top of every rendering.
    public var sentence: String {
        let schedule = backupIntervalSeconds.map { "full backups every \(ComplianceFormat.duration($0))" } ?? "backup interval not configured"
        let archiving: String
        switch continuousArchiving {
        case true?: archiving = "continuous WAL archiving on"
        case false?: archiving = "continuous WAL archiving off (the RPO is the backup schedule's)"
        case nil: archiving = "continuous WAL archiving not known (no WAL archive under BACKUP_DIR where this report was written)"
        }
        let offSiteText = offSite ? "off-site copy to \(offSiteTarget ?? Setting.remoteTarget.name)" : "no off-site copy (REMOTE_TARGET unset: a site loss loses every backup)"
        return "This verdict assumes this production configuration (from \(source)): \(schedule); \(archiving); \(offSiteText)."
    }
}
