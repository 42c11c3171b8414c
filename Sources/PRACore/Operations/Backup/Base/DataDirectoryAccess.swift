import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Whether `pra backup --base` reads the data directory itself (``DataDirectoryCopy``) or
/// streams `pg_basebackup` (`BASE_BACKUP_READ`), decided from what the server and this host
/// say (``Probe``) by a pure rule (``decide(_:)``).
public enum DataDirectoryAccess {
    /// `BASE_BACKUP_READ`.
    public enum Mode: String, CaseIterable, Sendable {
        case auto, local, stream
    }

    /// How the backup reads the cluster, and why when not the way asked.
    public enum Decision: Equatable, Sendable {
        case local(root: String, pageSize: Int)
        /// `pg_basebackup`; `note`: why an incremental could not read the directory (auto).
        case stream(note: String?)
        /// `BASE_BACKUP_READ=local` cannot be honoured.
        case refused(String)

        /// Where the backup's bytes come from, as its result reports it.
        public var source: BaseBackupResult.ReadSource {
            if case .local = self { return .dataDirectory }
            return .pgBasebackup
        }
    }

    /// What decides it.
    public struct Probe: Equatable, Sendable {
        public var mode: Mode
        public var incremental: Bool
        public var majorVersion: Int
        public var inRecovery: Bool
        /// `data_directory`, `nil` when the role may not read it.
        public var dataDirectory: String?
        /// The system identifier in `global/pg_control` there, `nil` when this host cannot read it.
        public var systemIdentifierOnDisk: String?
        public var serverSystemIdentifier: String
        /// Tablespaces besides pg_default and pg_global.
        public var tablespaces: Int
        /// The role may call `pg_backup_start`.
        public var mayStartBackup: Bool
        public var pageSize: Int
    }

    /// The rule: `stream` streams; `auto` reads locally for an incremental when every condition
    /// holds; `local` reads locally or refuses, naming the condition that fails.
    public static func decide(_ probe: Probe) -> Decision {
        if probe.mode == .stream || (probe.mode == .auto && !probe.incremental) { return .stream(note: nil) }
        let problem: String? = {
            if probe.majorVersion < 15 { return "PostgreSQL \(probe.majorVersion) has no pg_backup_start (15 and later)" }
            if probe.inRecovery { return "the server is a standby" }
            guard let directory = probe.dataDirectory else { return "the role may not read data_directory (superuser or pg_read_all_settings)" }
            guard let onDisk = probe.systemIdentifierOnDisk else { return "\(directory) is not readable on this host (pra runs elsewhere, or as an account that cannot read it)" }
            if onDisk != probe.serverSystemIdentifier { return "\(directory) on this host holds database system \(onDisk), the server is \(probe.serverSystemIdentifier) (another cluster)" }
            if probe.tablespaces > 0 { return "the cluster has \(probe.tablespaces) tablespace(s) outside the data directory" }
            if !probe.mayStartBackup { return "the role may not call pg_backup_start (superuser, or GRANT EXECUTE ON FUNCTION pg_backup_start, pg_backup_stop)" }
            if probe.pageSize < 512 || probe.pageSize % 512 != 0 { return "block_size \(probe.pageSize) is not a multiple of 512" }
            return nil
        }()
        guard let problem else { return .local(root: probe.dataDirectory!, pageSize: probe.pageSize) }
        if probe.mode == .local { return .refused("BASE_BACKUP_READ=local: cannot read the data directory: \(problem)") }
        return .stream(note: "incremental read through pg_basebackup (every range hashed), not from the data directory: \(problem)")
    }

    /// Asks the server and this host.
    static func probe(_ server: ArchivingServer, mode: Mode, incremental: Bool) -> Probe {
        let connection = server.connection
        let directory = try? connection.scalar("SHOW data_directory")
        let inRecovery = (try? connection.scalar("SELECT pg_is_in_recovery()")) != "f"
        let tablespaces = Int((try? connection.scalar("SELECT count(*) FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')")) ?? nil ?? "1") ?? 1
        let mayStart = (try? connection.scalar("SELECT has_function_privilege('pg_backup_start(text, boolean)', 'EXECUTE') AND has_function_privilege('pg_backup_stop(boolean)', 'EXECUTE')")) == "t"
        let pageSize = Int((try? connection.scalar("SHOW block_size")) ?? nil ?? "") ?? 0
        return Probe(mode: mode, incremental: incremental, majorVersion: server.majorVersion, inRecovery: inRecovery,
                     dataDirectory: directory ?? nil, systemIdentifierOnDisk: (directory ?? nil).flatMap(systemIdentifier(inDataDirectory:)),
                     serverSystemIdentifier: server.systemIdentifier, tablespaces: tablespaces, mayStartBackup: mayStart, pageSize: pageSize)
    }

    /// The system identifier `global/pg_control` starts with (a little-endian uint64), or
    /// `nil` when the file cannot be read here.
    static func systemIdentifier(inDataDirectory directory: String) -> String? {
        let descriptor = open((directory as NSString).appendingPathComponent("global/pg_control"), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var value: UInt64 = 0
        guard read(descriptor, &value, 8) == 8 else { return nil }
        return String(UInt64(littleEndian: value))
    }
}
