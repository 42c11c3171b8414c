import Foundation
import PRACore

/// Where archives named on the command line are, and whether the backup directory exists:
/// a bare name (`akig_backup_full_20261125_030000.sql.gz`, as `pra backup` prints it) is looked
/// up in BACKUP_DIR when it is not in the current directory.
struct BackupDirectoryPaths {
    let configuration: Configuration

    var directory: String { configuration.backupDirectory }

    /// Where BACKUP_DIR's value came from, for messages.
    var origin: String {
        switch configuration.source(of: .backupDir) {
        case .option: return "--backup-dir"
        case .environment: return "BACKUP_DIR from the environment"
        case .envFile: return "BACKUP_DIR from the env file"
        case .defaultValue, nil: return "the default; BACKUP_DIR is not set"
        }
    }

    /// The path of `name`: as given when it exists, else in BACKUP_DIR when it is a bare name
    /// that exists there. Throws a one-line error naming both places otherwise.
    func resolve(_ name: String) throws(ConfigurationError) -> String {
        if FileManager.default.fileExists(atPath: name) { return name }
        if !name.contains("/") {
            let candidate = (directory as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            throw ConfigurationError("\(name) does not exist: not in the current directory, nor in the backup directory \(directory) (\(origin)); give its path, or set BACKUP_DIR or --backup-dir")
        }
        throw ConfigurationError("\(name) does not exist")
    }

    /// Throws when the backup directory does not exist (or is not a directory).
    func requireDirectory() throws(ConfigurationError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue { return }
        throw ConfigurationError("the backup directory \(directory) does not exist (\(origin)); point BACKUP_DIR or --backup-dir at the directory pra backup writes to")
    }
}
