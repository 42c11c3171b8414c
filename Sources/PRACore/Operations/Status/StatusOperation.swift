import Foundation

/// `pra status`: is the database reachable, are the critical tables there, is the newest
/// complete backup recent enough for the RPO target and not known to be corrupt, does the
/// application answer, is there room for the next backup.
public struct StatusOperation {
    public var configuration: Configuration
    public static let applicationName = "pra-status"

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public func run(now: Date = Date()) throws(OperationFailure) -> StatusReport {
        let settings: ConnectionSettings
        let rpoTarget: Double
        let warnPercent: Double
        let criticalPercent: Double
        let healthTimeout: Double
        do {
            settings = try configuration.connectionSettings()
            rpoTarget = try configuration.seconds(.rpoTarget)
            healthTimeout = try configuration.seconds(.healthTimeout)
            warnPercent = try configuration.percent(.diskWarnPercent)
            criticalPercent = try configuration.percent(.diskCriticalPercent)
        } catch {
            throw OperationFailure(stage: "configuration", error)
        }
        var checks: [StatusReport.Check] = []
        let reached = databaseChecks(settings)
        checks += reached.checks
        // Only this database's backups are judged (prefix and manifest), never another's in the same directory.
        let database = reached.database ?? settings.databaseName ?? "postgres"
        let catalogue = BackupCatalogue(directory: configuration.backupDirectory).scoped(database: database, prefix: configuration.backupPrefix(for: database))
        // An unreachable server is not tried again: status answers within one connection timeout.
        let archiving = ArchivingStatus(settings: reached.database == nil ? nil : settings, backupDirectory: configuration.backupDirectory, rpoTarget: rpoTarget).evaluate(now: now)
        checks += backupChecks(catalogue, rpoTarget: rpoTarget, now: now, continuousArchiving: !archiving.checks.isEmpty)
        checks += archiving.checks
        do {
            if let remote = try RemoteCopyOperation(configuration: configuration) {
                checks.append(remote.forMonitoring(timeout: healthTimeout).ageCheck(prefix: configuration.backupPrefix(for: database), rpoTarget: rpoTarget, now: now))
            }
        } catch {
            checks.append(.init(.remoteCopyAge, level: .warning, message: error.description))
        }
        let offSite = OffSiteWALStatus(configuration: configuration, rpoTarget: rpoTarget, timeout: healthTimeout).evaluate(now: now)
        checks += offSite.checks
        if let url = configuration[.appHealthURL] {
            let outcome = HealthProbe(timeout: healthTimeout).check(url)
            checks.append(.init(.health, level: outcome.healthy ? .ok : .critical, message: outcome.summary, value: outcome.seconds))
        }
        checks.append(diskCheck(warnPercent: warnPercent, criticalPercent: criticalPercent))
        var report = StatusReport(checkedAt: now, checks: checks)
        report.measurements = measurements(of: checks, catalogue: catalogue, now: now).merging(archiving.figures) { $1 }.merging(offSite.figures) { $1 }
        report.measurements[.rpoTargetSeconds] = rpoTarget
        report.measurements[.diskWarnPercent] = warnPercent
        report.measurements[.diskCriticalPercent] = criticalPercent
        // The evidence log's sample (availability, RPO exposure), also when the database is down;
        // a failure to write it is reported, never a level.
        report.evidenceError = EvidenceWriter(configuration: configuration).record(status: report, database: database).error
        return report
    }

    /// The figures monitoring exports: from the checks' values, the newest manifest and its
    /// verification record, and the free bytes in `BACKUP_DIR`.
    private func measurements(of checks: [StatusReport.Check], catalogue: BackupCatalogue, now: Date) -> [StatusReport.Measurement: Double] {
        var figures: [StatusReport.Measurement: Double] = [:]
        func value(_ name: String) -> Double? { checks.first { $0.name == name }?.value }
        figures[.databaseLatencySeconds] = checks.first { $0.kind == .database && $0.level == .ok }?.value
        figures[.databaseSizeBytes] = value("database size")
        figures[.diskFreePercent] = value("disk")
        if let newest = catalogue.newestComplete, let manifest = newest.manifest {
            figures[.backupAgeSeconds] = now.timeIntervalSince(manifest.finishedAt)
            figures[.backupSizeBytes] = Double(manifest.compressedBytes)
            figures[.backupFinishedAt] = manifest.finishedAt.timeIntervalSince1970
            if let record = VerificationRecord.load(archivePath: newest.archivePath) {
                figures[.verificationValid] = record.valid ? 1 : 0
                figures[.verifiedAt] = record.verifiedAt.timeIntervalSince1970
            }
        }
        if let free = Self.freeSpace(near: configuration.backupDirectory) {
            figures[.diskFreeBytes] = free.free
        }
        return figures
    }

    /// Free and total bytes of the file system that holds (or will hold) `path`.
    static func freeSpace(near path: String) -> (free: Double, total: Double, measured: String)? {
        var directory = path
        // Before the first backup the directory may not exist: measure where it will be created.
        while !FileManager.default.fileExists(atPath: directory) && directory != "/" && !directory.isEmpty {
            directory = (directory as NSString).deletingLastPathComponent
        }
        if directory.isEmpty { directory = "." }
        var info = statvfs()
        guard statvfs(directory, &info) == 0, info.f_blocks > 0 else { return nil }
        return (Double(info.f_bavail) * Double(info.f_frsize), Double(info.f_blocks) * Double(info.f_frsize), directory)
    }

    /// The database checks, and the database the connection landed in (`nil`: unreachable).
    private func databaseChecks(_ settings: ConnectionSettings) -> (checks: [StatusReport.Check], database: String?) {
        let started = MonotonicClock.now()
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection(settings, applicationName: Self.applicationName)
            try connection.execute("SELECT 1")
        } catch {
            return ([.init(.database, level: .critical, message: "\(settings.redactedDescription): \(error.message)")], nil)
        }
        let latency = started.elapsed()
        var checks: [StatusReport.Check] = [
            .init(.database, level: .ok, message: "\(settings.redactedDescription) reachable, PostgreSQL \(((try? connection.scalar("SHOW server_version")) ?? nil) ?? "?"), \(String(format: "%.1f", latency * 1000)) ms", value: latency)
        ]
        let critical = CriticalTables(configuration.list(.criticalTables))
        if !critical.tables.isEmpty {
            // A lookup that cannot run is critical with its reason, never a table called missing.
            do {
                let missing = try critical.missing(in: connection, database: connection.databaseName)
                checks.append(.init(.criticalTables, level: missing.isEmpty ? .ok : .critical, message: missing.isEmpty
                    ? "all \(critical.tables.count) present"
                    : "missing: \(missing.joined(separator: ", "))", value: Double(missing.count)))
            } catch {
                checks.append(.init(.criticalTables, level: .critical, message: error.description))
            }
        }
        if let size = (try? connection.scalar("SELECT pg_database_size(current_database())")).flatMap({ $0 }).flatMap(Double.init) {
            checks.append(.init(.databaseSize, level: .ok, message: ByteCount.format(UInt64(size)), value: size))
        }
        return (checks, connection.databaseName)
    }

    private func backupChecks(_ catalogue: BackupCatalogue, rpoTarget: Double, now: Date, continuousArchiving: Bool) -> [StatusReport.Check] {
        let directory = configuration.backupDirectory
        // A newer archive whose manifest is implausible (from the future) is named.
        let rejected = catalogue.entries.first { $0.manifest == nil && $0.manifestProblem != nil && $0.name.timestamp > (catalogue.newestComplete?.name.timestamp ?? .distantPast) }
        let rejectedNote = rejected.map { "; newer \($0.name.fileName) is not a backup: \($0.manifestProblem ?? "")" } ?? ""
        if continuousArchiving && catalogue.newestComplete == nil {
            // Base backups and the WAL archive carry the RPO: the "wal age" and "recoverable" checks judge it.
            guard let base = BaseBackupCatalogue(directory: directory).newestComplete?.manifest else { return [] }
            let age = now.timeIntervalSince(base.finishedAt)
            return [.init(.baseBackupAge, level: .ok, message: "newest base backup \(base.archive) is \(DurationParser.format(age)) old", value: age)]
        }
        guard let newest = catalogue.newestComplete, let manifest = newest.manifest else {
            return [.init(.backupAge, level: .critical, message: "no complete backup in \(directory)" + rejectedNote)]
        }
        let age = now.timeIntervalSince(manifest.finishedAt)
        let name = newest.name.fileName
        var checks: [StatusReport.Check]
        if let sizeProblem = BackupCatalogue.sizeProblem(of: newest) {
            // An archive whose size disagrees with its manifest is no fresh backup (a cheap stat, no read).
            checks = [.init(.backupAge, level: .critical, message: "newest backup \(name) is not a fresh backup: \(sizeProblem)" + rejectedNote)]
        } else {
            checks = [
                .init(.backupAge, level: age > rpoTarget ? .critical : .ok, message: age > rpoTarget
                    ? "newest complete backup \(name) is \(DurationParser.format(age)) old, over the RPO target of \(DurationParser.format(rpoTarget))"
                    : "newest complete backup \(name) is \(DurationParser.format(age)) old (RPO target \(DurationParser.format(rpoTarget)))" + rejectedNote, value: age)
            ]
        }
        if let record = VerificationRecord.load(archivePath: newest.archivePath) {
            checks.append(.init(.verification, level: record.valid ? .ok : .critical, message: record.valid
                ? "\(name) verified \(DurationParser.format(now.timeIntervalSince(record.verifiedAt))) ago"
                : "verification of \(name) failed: \(record.problems.joined(separator: "; "))"))
        } else {
            checks.append(.init(.verification, level: .ok, message: "\(name) not verified yet (run pra verify --all)"))
        }
        return checks
    }

    private func diskCheck(warnPercent: Double, criticalPercent: Double) -> StatusReport.Check {
        guard let space = Self.freeSpace(near: configuration.backupDirectory) else {
            return .init(.disk, level: .critical, message: "cannot measure free space near \(configuration.backupDirectory): \(String(cString: strerror(errno)))")
        }
        let percent = space.free * 100 / space.total
        let level: StatusLevel = percent < criticalPercent ? .critical : percent < warnPercent ? .warning : .ok
        let message = String(format: "%.1f%% free (%@ of %@) in %@", percent, ByteCount.format(UInt64(space.free)) as NSString, ByteCount.format(UInt64(space.total)) as NSString, configuration.backupDirectory as NSString)
            + (level == .ok ? "" : ", below \(level == .critical ? Setting.diskCriticalPercent.name : Setting.diskWarnPercent.name)=\(level == .critical ? criticalPercent : warnPercent)")
        return .init(.disk, level: level, message: message, value: percent)
    }
}
