/// What a full backup (`pra backup`) and a base backup (`pra backup --base`) both read, checked
/// once where the operation starts: the connection, `BACKUP_COMPRESSION_LEVEL`, `PRA_JOBS` and
/// `BACKUP_TIMEOUT`.
public struct ArchiveSettings: Sendable {
    public var connection: ConnectionSettings
    /// `BACKUP_COMPRESSION_LEVEL`: gzip level of the archive.
    public var level: Int
    /// `PRA_JOBS`: compression threads.
    public var jobs: Int
    /// `BACKUP_TIMEOUT`: the whole backup, its own queries included (0: no limit).
    public var timeout: Double

    public init(configuration: Configuration) throws(ConfigurationError) {
        connection = try configuration.connectionSettings()
        level = try configuration.integer(.backupCompressionLevel)
        jobs = try configuration.jobs()
        timeout = try configuration.seconds(.backupTimeout)
    }
}

extension RetentionPolicy {
    /// The retention of full backups: `BACKUP_RETENTION_DAYS`, `BACKUP_MIN_KEEP`.
    public static func fullBackups(_ configuration: Configuration) throws(ConfigurationError) -> RetentionPolicy {
        RetentionPolicy(retentionDays: try configuration.integer(.backupRetentionDays), minimumKept: try configuration.integer(.backupMinKeep))
    }

    /// The retention of base backups (and the WAL only they need): `BASE_BACKUP_RETENTION_DAYS`,
    /// `BASE_BACKUP_MIN_KEEP`.
    public static func baseBackups(_ configuration: Configuration) throws(ConfigurationError) -> RetentionPolicy {
        RetentionPolicy(retentionDays: try configuration.integer(.baseBackupRetentionDays), minimumKept: try configuration.integer(.baseBackupMinKeep))
    }
}
