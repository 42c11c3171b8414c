import Foundation

/// Phase one: the newest recovery point across the local and off-site copies, the recovery
/// server's status, and the data-loss window. Reads only; everything it finds is printed
/// before anything destructive.
public struct ActivationPreparation: Sendable {
    public var recoveryPoint: ActivationRecoveryPoint
    /// The recovery server (or target directory): one line each (version, free space, target).
    public var server: [String]
    /// Things the operator should know (an off-site dump newer than the local one, WAL gaps).
    public var notes: [String]

    /// Looks everything up for `strategy`; throws (a refusal) when there is nothing to recover
    /// from or the recovery server cannot be reached.
    static func run(configuration: Configuration, strategy: ActivationStrategy) throws(ActivationError) -> ActivationPreparation {
        let settings: ConnectionSettings
        do {
            settings = try configuration.connectionSettings()
        } catch {
            throw ActivationError(error.description)
        }
        let database = settings.databaseName ?? "postgres"
        var notes: [String] = []
        let point: (at: Date?, description: String)
        switch strategy.kind {
        case .logical: point = try newestDump(configuration: configuration, database: database, notes: &notes)
        case .pointInTime: point = try newestPointInTime(configuration: configuration, target: strategy.recoveryTarget, notes: &notes)
        case .standby: return try standby(configuration: configuration, strategy: strategy, database: database)
        }
        let write = lastKnownWrite(configuration: configuration, database: database)
        let recoveryPoint = ActivationRecoveryPoint(at: point.at, description: point.description, lastKnownWrite: write?.at, lastKnownWriteSource: write?.source)
        let server = try serverStatus(configuration: configuration, settings: settings, strategy: strategy)
        return ActivationPreparation(recoveryPoint: recoveryPoint, server: server, notes: notes)
    }

    /// The dump `pra restore --latest` will start from: the newest complete local one, else the
    /// newest complete off-site copy.
    private static func newestDump(configuration: Configuration, database: String, notes: inout [String]) throws(ActivationError) -> (at: Date?, description: String) {
        let prefix = configuration.backupPrefix(for: database)
        let local = BackupCatalogue(directory: configuration.backupDirectory).scoped(database: database, prefix: prefix).newestComplete
        var remote: (name: BackupArchiveName, store: String)?
        do {
            if let copies = try RemoteCopyOperation(configuration: configuration) {
                do {
                    if let newest = try copies.completeBackups().first(where: { $0.prefix == prefix }) { remote = (newest, copies.store.description) }
                } catch {
                    notes.append("off-site copies could not be listed: \(error)")
                }
            }
        } catch {
            throw ActivationError(error.description)
        }
        if let local, let manifest = local.manifest {
            if let remote, remote.name.timestamp > manifest.finishedAt {
                notes.append("the off-site copy holds a newer dump (\(remote.name.fileName) on \(remote.store)) than the newest local one; the restore uses the local one first")
            }
            return (manifest.finishedAt, "dump \(local.name.fileName) (local, \(configuration.backupDirectory))")
        }
        if let remote {
            return (remote.name.timestamp, "dump \(remote.name.fileName) (off-site, \(remote.store)): no complete local dump")
        }
        throw ActivationError("no complete dump of \(database) in \(configuration.backupDirectory)" + (configuration[.remoteTarget] == nil ? "" : " or off-site") + ": nothing to activate from")
    }

    /// The latest moment the base backups and the archived WAL reach (local, else off-site),
    /// or the target time when one is asked and reachable.
    private static func newestPointInTime(configuration: Configuration, target: RecoveryTarget, notes: inout [String]) throws(ActivationError) -> (at: Date?, description: String) {
        let computed = RecoverableWindow.compute(directory: configuration.backupDirectory)
        notes += computed.problems
        var window = computed.window.map { ($0, "local, \(configuration.backupDirectory)") }
        if window == nil, configuration[.remoteTarget] != nil {
            let scratch = (configuration.backupDirectory as NSString).appendingPathComponent(".pra-activate-scratch-\(getpid())")
            do {
                if let offSite = try OffSiteWAL.evaluate(configuration: configuration, readThrough: false, scratch: scratch) {
                    notes += offSite.problems
                    window = offSite.window.map { ($0, "off-site, \(offSite.target)") }
                }
            } catch {
                notes.append("the off-site archive could not be read: \(error)")
            }
        }
        guard let (found, place) = window else {
            throw ActivationError("no base backup with its WAL archived in \(configuration.backupDirectory)" + (configuration[.remoteTarget] == nil ? "" : " or off-site") + ": nothing to recover to a point in time from")
        }
        if case .time(let date) = target {
            guard date <= found.to, date >= found.from else {
                throw ActivationError("--target-time \(RecoverableWindow.format(date)) is outside what can be recovered: \(found.sentence)")
            }
            return (date, "\(target) (\(place)); \(found.sentence)")
        }
        return (found.to, "base backup + WAL through \(found.lastSegment) (\(place)); \(found.sentence)")
    }

    /// A standby: its last replayed commit is the recovery point; its replay lag and the newest
    /// archived segment show what is lost. One that cannot be promoted is refused here, before
    /// anything; one an interrupted activation already promoted is taken as it is.
    private static func standby(configuration: Configuration, strategy: ActivationStrategy, database: String) throws(ActivationError) -> ActivationPreparation {
        let state: StandbyState
        let record: StandbyRecord
        do {
            let promotion = StandbyPromotion(configuration: configuration, dataDirectory: strategy.target)
            record = try promotion.record()
            state = try promotion.inspect()
        } catch {
            throw ActivationError(error.description)
        }
        let promoted = state.promotedAt != nil || state.inRecovery == false
        let atGap = StandbyPromotion.onlyStoppedAtGap(state, record: record)
        var write = lastKnownWrite(configuration: configuration, database: database)
        if let archived = state.newestArchivedAt, archived > (write?.at ?? .distantPast) {
            write = (archived, "newest archived WAL segment \(state.newestArchivedSegment ?? "?")")
        }
        let lag = state.lagSeconds.map { "replay lag \(DurationParser.format($0))" + (state.lagSegments.map { ", \($0) segment(s) behind" } ?? "") } ?? "replay lag unknown (no local archive)"
        let point = ActivationRecoveryPoint(at: state.lastReplayedCommitAt, description: "standby \(strategy.target) replayed through \(state.replayedLSN ?? "?"); \(lag)", lastKnownWrite: write?.at, lastKnownWriteSource: write?.source)
        guard state.promotable || promoted || (atGap && strategy.acceptDataLoss) else {
            // Stopped at a gap: no restore could pass it either; the operator may accept the loss.
            let hint = atGap ? "; to promote it anyway, losing every commit after the gap (\(point.sentence)), run pra activate --standby \(strategy.target) --accept-data-loss" : ""
            throw ActivationError("the standby \(strategy.target) cannot be promoted: \(state.reason ?? state.headline)\(hint)")
        }
        var lines = ["standby: \(state.headline)"]
        if promoted { lines.append("standby \(strategy.target) is already promoted (an interrupted activation): it is not promoted again") }
        if atGap && strategy.acceptDataLoss && !promoted {
            lines.append("--accept-data-loss: the standby is promoted where it stopped, at the gap; every commit after it is lost (\(point.sentence))")
        }
        return ActivationPreparation(recoveryPoint: point, server: lines, notes: state.archiveGap.map { ["WAL segment \($0) is missing from the archive: the standby cannot replay past it"] } ?? [])
    }

    /// The last moment production is known to have taken writes: the newest archived WAL
    /// segment, or the newest status sample that reached the database, whichever is later.
    static func lastKnownWrite(configuration: Configuration, database: String) -> (at: Date, source: String)? {
        var best: (at: Date, source: String)?
        if let newest = WALArchive(backupDirectory: configuration.backupDirectory).files().max(by: { $0.archivedAt < $1.archivedAt }) {
            best = (newest.archivedAt, "newest archived WAL segment \(newest.name.text)")
        }
        if let path = EvidenceWriter.path(configuration), FileManager.default.fileExists(atPath: path),
            let records = try? EvidenceLog(path: path).read().records,
            let sample = records.last(where: { $0.kind == .status && $0.database == database && $0.status?.reachable == true }),
            sample.at > (best?.at ?? .distantPast)
        {
            best = (sample.at, "newest status sample that reached \(database), \(path)")
        }
        return best
    }

    /// The recovery server: reachable, its version, the target's state, free space.
    private static func serverStatus(configuration: Configuration, settings: ConnectionSettings, strategy: ActivationStrategy) throws(ActivationError) -> [String] {
        switch strategy.kind {
        case .standby:
            return []
        case .pointInTime:
            guard let space = StatusOperation.freeSpace(near: strategy.target) else {
                return ["target directory \(strategy.target): free space cannot be measured"]
            }
            let exists = FileManager.default.fileExists(atPath: strategy.target)
            return ["target directory \(strategy.target) (\(exists ? "exists; must be empty" : "new")): \(ByteCount.format(UInt64(space.free))) free of \(ByteCount.format(UInt64(space.total))) on \(space.measured)"]
        case .logical:
            let maintenance = configuration[.restoreMaintenanceDB] ?? "postgres"
            do {
                let connection = try PostgresConnection(settings, database: maintenance, applicationName: "pra-activate")
                let version = (try connection.scalar("SHOW server_version")) ?? "?"
                let inRecovery = (try connection.scalar("SELECT pg_is_in_recovery()::text")) == "true"
                if inRecovery {
                    throw ActivationError("the recovery server \(settings.redactedDescription) is in recovery (a standby): it cannot take a restore; promote it or point the settings at a primary")
                }
                let exists = try connection.scalar("SELECT 1 FROM pg_database WHERE datname = $1", [strategy.target]) != nil
                var lines = ["recovery server \(settings.redactedDescription): reachable, PostgreSQL \(version), accepts writes",
                             "target database \(strategy.target): " + (exists ? "EXISTS and will be replaced (renamed aside, dropped once the restore is in place)" : "does not exist; it will be created")]
                // Free space only when the data directory is on this machine (and readable: superuser or pg_read_all_settings).
                if let directory = try? connection.scalar("SHOW data_directory"), FileManager.default.fileExists(atPath: directory), let space = StatusOperation.freeSpace(near: directory) {
                    lines.append("free space on the server's data directory: \(ByteCount.format(UInt64(space.free))) of \(ByteCount.format(UInt64(space.total)))")
                } else {
                    lines.append("free space on the server: not measurable from here (the data directory is not on this machine)")
                }
                return lines
            } catch let error as ActivationError {
                throw error
            } catch {
                throw ActivationError("the recovery server \(settings.redactedDescription) cannot be reached: \(error)")
            }
        }
    }
}
