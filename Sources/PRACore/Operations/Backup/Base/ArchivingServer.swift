import Foundation

/// A connection to the server whose WAL is archived, with what base and incremental backups
/// need to know of it: archiving settings, system identifier, WAL segment size.
public final class ArchivingServer {
    public let connection: PostgresConnection
    public let database: String
    public let version: String
    public let majorVersion: Int
    public let systemIdentifier: String
    public let segmentSize: UInt64
    public let archiveMode: String
    public let archiveCommand: String
    public let walLevel: String
    /// Bytes of all databases, for progress.
    public let clusterSize: UInt64?

    public init(settings: ConnectionSettings, applicationName: String) throws(PostgresError) {
        connection = try PostgresConnection(settings, applicationName: applicationName)
        database = connection.databaseName
        version = try connection.scalar("SHOW server_version") ?? "?"
        majorVersion = connection.serverVersionNumber / 10000
        systemIdentifier = try connection.scalar("SELECT system_identifier::text FROM pg_control_system()") ?? "?"
        segmentSize = UInt64(try connection.scalar("SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'") ?? "") ?? 16 << 20
        archiveMode = try connection.scalar("SHOW archive_mode") ?? "off"
        archiveCommand = try connection.scalar("SHOW archive_command") ?? ""
        walLevel = try connection.scalar("SHOW wal_level") ?? "?"
        clusterSize = (try? connection.scalar("SELECT sum(pg_database_size(oid))::bigint FROM pg_database")).flatMap { $0 }.flatMap { UInt64($0) }
    }

    public var isArchiving: Bool { archiveMode == "on" || archiveMode == "always" }

    /// Refuses to take a physical backup that could never be recovered: WAL archiving must be
    /// on and, when the archive already belongs to a system, to this one.
    public func requireArchiving(into archive: WALArchive) throws(OperationFailure) {
        guard isArchiving, walLevel != "minimal" else {
            throw OperationFailure(stage: "archiving", message: "the server does not archive its WAL (archive_mode=\(archiveMode), wal_level=\(walLevel)); a base backup without the WAL after it cannot be restored. Set wal_level = replica, archive_mode = on and archive_command = 'pra wal push %p ...' (pra schedule print shows the lines), then restart the server", isUsageError: true)
        }
        let identity: WALArchive.Identity?
        do {
            identity = try archive.identity()
        } catch {
            throw OperationFailure(stage: "archiving", message: error.description)
        }
        if let identity, identity.systemIdentifier != systemIdentifier {
            throw OperationFailure(stage: "archiving", message: "the WAL archive in \(archive.root) belongs to database system \(identity.systemIdentifier), this server is system \(systemIdentifier); give each cluster its own BACKUP_DIR", isUsageError: true)
        }
    }

    /// Waits for the archiver to reach `segment`, at most `ARCHIVE_WAIT_TIMEOUT` since `started`; the error says whether the archiver is failing.
    public func waitUntilArchived(_ segment: WALFileName, in archive: WALArchive, started: MonotonicClock, timeout waitTimeout: Double) throws(OperationFailure) {
        while (try? archive.find(segment)) == nil {
            if started.elapsed() > waitTimeout {
                let archiver = try? archiverStatistics()
                let failing = archiver.flatMap { $0.isFailing ? " The archiver is failing: last failure on \($0.lastFailedWAL ?? "?") at \($0.lastFailedAt.map(RecoverableWindow.format) ?? "?"); see the server log." : nil } ?? ""
                throw OperationFailure(stage: "archive", message: "WAL segment \(segment.text) was not archived into \(archive.root) within ARCHIVE_WAIT_TIMEOUT=\(DurationParser.format(waitTimeout)).\(failing) Check archive_command (pra wal push) and that the server's OS user can write BACKUP_DIR")
            }
            usleep(100_000)
        }
    }

    /// The archiver's counters (`pg_stat_archiver`).
    public func archiverStatistics() throws(PostgresError) -> ArchiverStatistics {
        try ArchiverStatistics.read(connection)
    }
}

extension ArchiverStatistics {
    /// Reads `pg_stat_archiver` on `connection`.
    public static func read(_ connection: PostgresConnection) throws(PostgresError) -> ArchiverStatistics {
        let row = try connection.execute("""
            SELECT archived_count, last_archived_wal, extract(epoch FROM last_archived_time)::float8,
                   failed_count, last_failed_wal, extract(epoch FROM last_failed_time)::float8
            FROM pg_stat_archiver
            """).rows.first ?? []
        func value(_ index: Int) -> String? { index < row.count ? row[index] : nil }
        return ArchiverStatistics(
            archivedCount: Int(value(0) ?? "0") ?? 0, lastArchivedWAL: value(1),
            lastArchivedAt: value(2).flatMap(Double.init).map { Date(timeIntervalSince1970: $0) },
            failedCount: Int(value(3) ?? "0") ?? 0, lastFailedWAL: value(4),
            lastFailedAt: value(5).flatMap(Double.init).map { Date(timeIntervalSince1970: $0) })
    }
}

/// `pg_stat_archiver`: is the archiver keeping up, or failing?
public struct ArchiverStatistics: Codable, Sendable, Equatable {
    public var archivedCount: Int
    public var lastArchivedWAL: String?
    public var lastArchivedAt: Date?
    public var failedCount: Int
    public var lastFailedWAL: String?
    public var lastFailedAt: Date?

    /// The last attempt failed: the last failure is newer than the last success.
    public var isFailing: Bool {
        guard let failed = lastFailedAt else { return false }
        guard let archived = lastArchivedAt else { return true }
        return failed > archived
    }
}
