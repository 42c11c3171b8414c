import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `pra standby stop` and `pra standby remove`: stops a standby pra made, and removes it (its
/// data directory's content as the server's account, the directory, `restore_command`'s env
/// file). A promoted standby (the primary now) or a server out of recovery is never removed.
public struct StandbyRemoval {
    public let configuration: Configuration
    public let dataDirectory: String

    public init(configuration: Configuration, dataDirectory: String) {
        self.configuration = configuration
        self.dataDirectory = dataDirectory
    }

    /// Stops the standby (fast shutdown); nothing when it is not running. Returns whether it ran.
    @discardableResult
    public func stop() throws(OperationFailure) -> Bool {
        let record = try StandbyRecord.load(from: dataDirectory)
        let control = try record.control()
        guard control.isRunning else { return false }
        do {
            try control.stop()
        } catch {
            throw OperationFailure(stage: "stop", message: "cannot stop the standby in \(record.dataDirectory): \(error)")
        }
        return true
    }

    /// Stops and deletes the standby. Refused for a promoted one and for a running server that
    /// is out of recovery: that is a primary's data.
    public func remove() throws(OperationFailure) {
        let record = try StandbyRecord.load(from: dataDirectory)
        if let promotedAt = record.promotedAt {
            throw OperationFailure(stage: "remove", message: "the standby in \(record.dataDirectory) was promoted at \(RecoveryTarget.format(promotedAt)) and is a primary now: pra standby remove never deletes it", isUsageError: true)
        }
        let state = StandbyInspection(configuration: configuration, record: record).state(now: Date())
        if state.running && state.inRecovery != true {
            throw OperationFailure(stage: "remove", message: "the server in \(record.dataDirectory) is running and \(state.inRecovery == false ? "not in recovery (a primary's data)" : "could not be asked whether it is in recovery"): pra standby remove deletes only a standby", isUsageError: true)
        }
        try stop()
        Self.removeEnvironmentFile(of: record)
        let user = try record.user()
        let target = RecoveryTargetDirectory(path: record.dataDirectory, user: user)
        target.clear()
        rmdir(record.dataDirectory)
        if record.socketDirectory != record.dataDirectory, (record.socketDirectory as NSString).lastPathComponent.hasPrefix("pra-pitr-") {
            rmdir(record.socketDirectory)
        }
        if FileManager.default.fileExists(atPath: record.dataDirectory) {
            throw OperationFailure(stage: "remove", message: "could not remove all of \(record.dataDirectory)")
        }
    }

    /// Deletes `restore_command`'s env file and its private directory, only when the record
    /// names one of pra's (`BACKUP_DIR/.pra-restore-env-*/restore.env`): a record is a file in
    /// the server's account's directory, and never leads pra to delete anything else.
    static func removeEnvironmentFile(of record: StandbyRecord) {
        let path = record.environmentFile
        let directory = (path as NSString).deletingLastPathComponent
        guard (path as NSString).lastPathComponent == RestoreCommandEnvironment.fileName,
              (directory as NSString).lastPathComponent.hasPrefix(RestoreCommandEnvironment.directoryPrefix + "-") else { return }
        RestoreCommandEnvironment(path: path, directory: directory).remove()
    }
}
