import Foundation
import PRACore

/// One line for each technical term the compliance report uses, for a reader who is not a
/// database administrator. Every rendering (HTML, Markdown, `--json`) carries the same lines;
/// ``ComplianceGlossary/entries(for:)`` keeps those whose term the rendered text uses.
public enum ComplianceGlossary {
    /// A term and its one-line meaning.
    public struct Entry: Sendable, Equatable, Encodable {
        public var term: String
        public var meaning: String
        /// Texts whose presence in the report means the term is used (case-sensitive).
        var markers: [String]

        enum CodingKeys: String, CodingKey { case term, meaning }
    }

    /// Every term the report may use, in reading order.
    public static let all: [Entry] = [
        Entry(term: "RPO (recovery point objective)", meaning: "how much recent data a disaster may cost: the time between the last change that survives and the disaster. The target is the most the plan accepts (for example 1 hour).", markers: ["RPO"]),
        Entry(term: "RTO (recovery time objective)", meaning: "how long the database may be unavailable after a disaster: from the disaster until the restored database passes its checks.", markers: ["RTO"]),
        Entry(term: "Drill", meaning: "a rehearsal on a throw-away (scratch) PostgreSQL server: pra injects a failure, recovers, and measures the RTO and RPO. Production is never touched.", markers: ["drill"]),
        Entry(term: "Projection", meaning: "an estimate for production computed from drill measurements and the configuration, never a measurement; shown labelled as such, it can make the verdict AT RISK but never NOT COMPLIANT.", markers: ["rojection", "rojected"]),
        Entry(term: "Fixed cost and throughput", meaning: "a restore takes a fixed time whatever the size (starting programs, creating the database, checks) plus the size divided by the speed at which data loads; the report fits both from restores of different sizes.", markers: ["fixed", "throughput"]),
        Entry(term: "Calibration run", meaning: "a monthly drill on a larger copy of the test data, run on its own, that gives the projection a second database size to learn the restore speed from.", markers: ["calibration"]),
        Entry(term: "Full backup", meaning: "a complete copy of the database (pg_dump) taken at one moment; restoring it brings back the data as of that moment.", markers: ["backup"]),
        Entry(term: "WAL (write-ahead log)", meaning: "PostgreSQL's journal of every change, written before the change itself; saving it continuously lets a database be replayed up to seconds before a disaster.", markers: ["WAL", "archiving"]),
        Entry(term: "Continuous archiving", meaning: "copying each WAL file to the backup directory as soon as PostgreSQL finishes it (archive_command = pra wal push), so the RPO is seconds instead of the time between backups.", markers: ["archiving"]),
        Entry(term: "archive_timeout", meaning: "PostgreSQL setting: the longest a WAL file stays open before it is closed and archived even if it is not full; it bounds the RPO of continuous archiving.", markers: ["archive_timeout"]),
        Entry(term: "Archive lag", meaning: "the measured time between closing a WAL file and finding it in the archive.", markers: ["archive lag"]),
        Entry(term: "Base backup", meaning: "a copy of the server's data files (pg_basebackup) that WAL is replayed on top of in a point-in-time recovery.", markers: ["base backup"]),
        Entry(term: "PITR (point-in-time recovery)", meaning: "restoring a base backup and replaying the archived WAL up to a chosen moment or the latest one available.", markers: ["point-in-time", "PITR", "pitr"]),
        Entry(term: "Off-site copy", meaning: "a copy of the backups (and WAL) on another machine or in a storage bucket (REMOTE_TARGET), so that losing the whole site does not lose the backups.", markers: ["off-site", "site lost", Setting.remoteTarget.name]),
        Entry(term: "Cluster lost / site lost", meaning: "the two disaster classes: the database server is lost but its machine's backup directory survives; or the whole site is lost and only the off-site copy survives.", markers: ["cluster lost", "site lost"]),
        Entry(term: "Full drill", meaning: "a drill run that ran every scenario of the catalogue; the verdict needs a passing one at most --max-age old.", markers: ["full drill"]),
        Entry(term: "Scenarios at a time", meaning: "when a drill runs several scenarios side by side (--jobs), each measured RTO includes waiting for the CPU and disk the others use, so it is longer than the same recovery alone.", markers: ["at a time"]),
        Entry(term: "PRODUCTION_DB_SIZE, BACKUP_INTERVAL", meaning: "settings that tell the report the production database's size and how often it is backed up, for the projections.", markers: [Setting.productionDBSize.name, Setting.backupInterval.name]),
    ]

    /// The entries whose term appears in `text` (a rendering of the report), in reading order.
    /// Markdown's backslash escapes (`archive\_timeout`) are read through.
    public static func entries(for text: String) -> [Entry] {
        let plain = text.replacingOccurrences(of: "\\", with: "")
        return all.filter { entry in entry.markers.contains { plain.contains($0) } }
    }
}
