import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a warm standby is, written by `pra standby create` into its data directory
/// (`pra-standby.json`) once the standby replays: later commands (`pra standby status`,
/// `pra status --standby`, `pra activate --standby`) find its port, socket and origin there.
///
/// The file is written last, durably (temporary name, fsync, rename): a directory without it
/// is no standby pra made, whatever else is in it. It holds no secret (the env file with
/// `REMOTE_TARGET`'s keys lives in `BACKUP_DIR`, private to the server's account).
public struct StandbyRecord: Codable, Sendable, Equatable {
    public static let fileName = "pra-standby.json"
    public var formatVersion = 1
    /// The standby's data directory, absolute.
    public var dataDirectory: String
    /// The port the standby listens on (Unix socket in ``socketDirectory``).
    public var port: Int
    public var socketDirectory: String
    /// The database pra connects to on it (the configured one).
    public var database: String
    /// The primary's database system identifier (the base backup's, the archive's).
    public var systemIdentifier: String
    /// The base backup the standby was made from (file name) and where it came from.
    public var baseBackup: String
    public var baseBackupSource: String
    /// When the base backup finished, and its first WAL segment (replay starts there).
    public var baseBackupFinishedAt: Date
    public var startSegment: String
    public var segmentSize: UInt64
    /// `restore_command`'s env file (`REMOTE_TARGET` and its keys), removed with the standby.
    public var environmentFile: String
    /// The OS account the server runs as (as root), `nil`: the account that created it.
    public var runAs: String?
    /// The directory of `pg_ctl`.
    public var binDirectory: String
    public var serverLog: String
    /// Whether the promoted server keeps the base backup's WAL archiving (`--keep-archiving`).
    public var archivesAfterPromotion: Bool
    public var createdAt: Date
    /// When `pra activate --standby` (``StandbyPromotion/promote()``) promoted it: it is no standby since.
    public var promotedAt: Date?

    /// The record's path in `dataDirectory`.
    public static func path(in dataDirectory: String) -> String {
        (dataDirectory as NSString).appendingPathComponent(fileName)
    }

    /// Reads the record of the standby in `dataDirectory`; a missing or unreadable one is a
    /// usage error naming the file.
    ///
    /// The record names the programs and the account pra runs for the standby, and the directory
    /// belongs to the server's account, which could put a record of its own there: so the file
    /// must be a regular file with one link owned by this process's account (root, when pra runs
    /// as root), never reached through a symbolic link, and as root it must name an account that
    /// is not root.
    public static func load(from dataDirectory: String) throws(OperationFailure) -> StandbyRecord {
        let directory = PointInTimeRestoreOperation.absolute(dataDirectory)
        let path = Self.path(in: directory)
        let data = try readOwnFile(path, directory: directory)
        do {
            let record = try JSONCoding.decoder.decode(StandbyRecord.self, from: data)
            guard record.formatVersion == 1 else {
                throw OperationFailure(stage: "standby", message: "\(path) has format version \(record.formatVersion), which this pra does not read", isUsageError: true)
            }
            if OSUser.processIsRoot, record.runAs.flatMap(OSUser.named).map({ $0.uid == 0 }) ?? true {
                throw OperationFailure(stage: "standby", message: "\(path) names no unprivileged account to run the standby as (\(record.runAs ?? "none")): refusing to run its programs as root", isUsageError: true)
            }
            return record
        } catch let failure as OperationFailure {
            throw failure
        } catch {
            throw OperationFailure(stage: "standby", message: "\(path) is not a standby record: \(error)", isUsageError: true)
        }
    }

    /// The record's bytes, only from a regular file of this process's account with one link.
    private static func readOwnFile(_ path: String, directory: String) throws(OperationFailure) -> Data {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw OperationFailure(stage: "standby", message: "\(directory) is not a standby pra created: cannot read \(path) (\(reason)); pra standby create --target-dir \(directory) makes one", isUsageError: true)
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_nlink == 1, info.st_uid == geteuid() else {
            throw OperationFailure(stage: "standby", message: "\(path) is not a plain file of \(OSUser.processIsRoot ? "root" : "this account") with one link: pra wrote none such, and will not run what another account's record names", isUsageError: true)
        }
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            throw OperationFailure(stage: "standby", message: "cannot read \(path): \(error)", isUsageError: true)
        }
    }

    /// Writes the record into its data directory (temporary name, fsync, rename).
    func save() throws(FileError) {
        let data = (try? JSONCoding.encoder.encode(self)) ?? Data()
        try DurableFile.write(data, to: Self.path(in: dataDirectory), permissions: 0o644)
    }

    /// The server's account, resolved again from its name.
    func user() throws(OperationFailure) -> OSUser? {
        guard let runAs else { return nil }
        guard let user = OSUser.named(runAs) else {
            throw OperationFailure(stage: "standby", message: "the standby in \(dataDirectory) runs as \(runAs), which is no account on this system", isUsageError: true)
        }
        return user
    }

    /// `pg_ctl` on the standby, as the account it runs as.
    func control() throws(OperationFailure) -> ServerControl {
        ServerControl(dataDirectory: dataDirectory, logFile: serverLog, binDirectory: binDirectory, user: try user())
    }

    /// How pra connects to the standby: the configured credentials, its socket and port.
    func connectionSettings(_ configuration: Configuration) throws -> ConnectionSettings {
        let base = try configuration.connectionSettings()
        return ConnectionSettings(parameters: base.libpqParameters.merging(["host": socketDirectory, "port": "\(port)", "dbname": database]) { $1 }
            .filter { $0.key != "hostaddr" && $0.key != "service" })
    }
}
