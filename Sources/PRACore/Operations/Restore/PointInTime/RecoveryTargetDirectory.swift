import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The directory `pra restore --pitr` recovers into, and everything pra does to it.
///
/// The directory ends up holding a whole cluster (data, password hashes) and is written by the
/// server's account, so as root pra:
/// - refuses a directory owned by any account but root or the server's (someone who created
///   `/tmp/recovered` first would receive the cluster), one that is a symbolic link, one that
///   holds `BACKUP_DIR`, `REPORT_DIR` or `LOG_DIR`, any `postmaster.pid` (a data directory, maybe
///   of a running server, below it) or, non-empty, anything but a PostgreSQL data directory;
/// - never deletes what was there: with `--force` a data directory is moved aside
///   (`<dir>.pra-replaced-<stamp>`), and put back if the restore fails;
/// - removes what it extracted as the server's account (`rm` through `setpriv`), so that a
///   symbolic link swapped in meanwhile can only lead it where that account may write anyway;
/// - writes its own files with `O_NOFOLLOW` and only into regular files the server's account
///   owns and that have one link: root never writes where that account could not.
struct RecoveryTargetDirectory {
    /// Absolute path.
    let path: String
    /// The account that owns the extracted files and runs the server; `nil`: this process.
    let user: OSUser?
    /// Where the previous data directory was moved (`--force` on a non-empty target).
    private(set) var aside: String?
    /// True when pra created the directory itself (a failed restore then removes it).
    private(set) var created = false

    init(path: String, user: OSUser?) {
        self.path = path
        self.user = user
    }

    /// Refuses a target pra must not use; `true` when it exists and is not empty.
    func inspect(force: Bool, protected: [(name: String, path: String)]) throws(OperationFailure) -> Bool {
        let real = Self.resolved(path)
        for (name, directory) in protected {
            let inside = Self.resolved(directory)
            if inside == real || inside.hasPrefix(real == "/" ? "/" : real + "/") {
                throw usage("\(path) holds \(name) (\(directory)): restore --pitr never writes over the backups, reports or logs it may need; choose another directory")
            }
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return false }
        if info.st_mode & S_IFMT == S_IFLNK {
            throw usage("\(path) is a symbolic link; give the directory it points to, or a new one")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw usage("\(path) exists and is not a directory") }
        if OSUser.processIsRoot, info.st_uid != 0, info.st_uid != (user?.uid ?? 0) {
            let owner = OSUser.withID(info.st_uid)?.name ?? "uid \(info.st_uid)"
            throw usage("\(path) is owned by \(owner), not by root or \(user?.name ?? "root"): the recovered cluster (its data and password hashes) would be handed to \(owner). Remove it, choose a directory root or \(user?.name ?? "root") owns (for example under /var/lib/pra), or pass --run-as \(owner) if \(owner) is meant to run the recovered server")
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if let pidFile = Self.firstPidFile(under: path) {
            let running = ServerControl(dataDirectory: (pidFile as NSString).deletingLastPathComponent, logFile: "", binDirectory: "", user: nil)
            let state = running.isRunning ? "a PostgreSQL server (pid \(running.postmasterPID ?? 0)) is running on" : "a PostgreSQL data directory with a postmaster.pid is at"
            throw usage("\(state) \((pidFile as NSString).deletingLastPathComponent), inside \(path); restore --pitr never writes over a cluster's data directory while it may be in use: stop that server and remove its postmaster.pid, or choose another directory")
        }
        guard !entries.isEmpty else { return false }
        guard force else {
            throw usage("\(path) is not empty (\(entries.count) entries); restore --pitr writes only into an empty or new directory, or moves a data directory aside with --force")
        }
        guard entries.contains("PG_VERSION") else {
            throw usage("\(path) is not empty and is not a PostgreSQL data directory (no PG_VERSION); --force only moves a data directory aside, never other files: choose an empty or new directory")
        }
        return true
    }

    /// Makes the directory ready for extraction: the old data directory moved aside (when
    /// `replacing`), a missing one created; owned by ``user``, mode 0700.
    mutating func prepare(replacing: Bool, now: Date = Date()) throws(OperationFailure) {
        let fileManager = FileManager.default
        if replacing {
            let stamp = BackupArchiveName.stamp(now)
            var candidate = "\(path).pra-replaced-\(stamp)"
            var attempt = 1
            while fileManager.fileExists(atPath: candidate) {
                attempt += 1
                candidate = "\(path).pra-replaced-\(stamp)-\(attempt)"
            }
            guard rename(path, candidate) == 0 else {
                throw OperationFailure(stage: "target", message: "cannot move \(path) aside to \(candidate): \(String(cString: strerror(errno))); empty it yourself or choose another directory", isUsageError: true)
            }
            aside = candidate
        }
        if !fileManager.fileExists(atPath: path) {
            let parent = (path as NSString).deletingLastPathComponent
            do {
                try fileManager.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            } catch {
                throw OperationFailure(stage: "target", message: "cannot create \(parent): \(error.localizedDescription)", isUsageError: true)
            }
            // mkdir, not "create if missing": a directory someone else created meanwhile is refused.
            guard mkdir(path, 0o700) == 0 else {
                let reason = String(cString: strerror(errno))
                putBack()
                throw OperationFailure(stage: "target", message: "cannot create \(path): \(reason)", isUsageError: true)
            }
            created = true
        }
        if let user, lchown(path, user.uid, user.gid) != 0 {
            let reason = String(cString: strerror(errno))
            // Nothing half-prepared: the new directory removed, a data directory moved aside put back.
            rollBack()
            throw OperationFailure(stage: "target", message: "cannot give \(path) to \(user.name): \(reason)")
        }
        chmod(path, 0o700)
    }

    /// Removes everything in the directory, as ``user``.
    func clear() {
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).map { (path as NSString).appendingPathComponent($0) }
        guard !entries.isEmpty else { return }
        if let user, let rm = try? SystemProgram.locate("rm", package: "coreutils") {
            _ = try? ExternalProcess(executable: rm, arguments: ["-rf", "--one-file-system", "--"] + entries, environment: ChildEnvironment.base(), timeout: 3600, user: user).run()
        } else {
            for entry in entries { try? FileManager.default.removeItem(atPath: entry) }
        }
    }

    /// After a failed restore: what was extracted removed, a directory pra created removed, and
    /// the data directory moved aside put back.
    func rollBack() {
        clear()
        if created || aside != nil { rmdir(path) }
        putBack()
    }

    private func putBack() {
        if let aside { rename(aside, path) }
    }

    /// Appends `text` to (or creates) the file `name` in the directory without following a
    /// symbolic link, and only into a regular file of ``user`` with one link; a file pra
    /// creates is given to ``user``.
    func append(_ text: String, to name: String, createOnly: Bool = false) throws {
        let file = (path as NSString).appendingPathComponent(name)
        var descriptor = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        var createdFile = descriptor >= 0
        if descriptor < 0 && errno == EEXIST {
            if createOnly { return }
            descriptor = open(file, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC)
            createdFile = false
        }
        guard descriptor >= 0 else { throw FileError(operation: .open, path: file, code: errno) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileError(operation: .open, path: file, code: errno) }
        if !createdFile {
            guard info.st_mode & S_IFMT == S_IFREG, info.st_nlink == 1, info.st_uid == (user?.uid ?? geteuid()) else {
                throw OperationFailure(stage: "recover", message: "\(file) is not a plain file of \(user?.name ?? "this user") with one link (a hard link or another owner): refusing to write recovery settings into it")
            }
        } else if let user, fchown(descriptor, user.uid, user.gid) != 0 {
            throw FileError(operation: .open, path: file, code: errno)
        }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { throw FileError(operation: .write, path: file, code: errno) }
            written += count
        }
        guard fsync(descriptor) == 0 else { throw FileError(operation: .write, path: file, code: errno) }
    }

    private func usage(_ message: String) -> OperationFailure {
        OperationFailure(stage: "target", message: message, isUsageError: true)
    }

    /// `path` with the symbolic links of its existing part resolved.
    static func resolved(_ path: String) -> String {
        var existing = path
        var rest: [String] = []
        while !existing.isEmpty && existing != "/" {
            if let real = realpath(existing, nil) {
                defer { free(real) }
                return ([String(cString: real)] + rest.reversed()).joined(separator: "/").replacingOccurrences(of: "//", with: "/")
            }
            rest.append((existing as NSString).lastPathComponent)
            existing = (existing as NSString).deletingLastPathComponent
        }
        return path
    }

    /// The first `postmaster.pid` at any depth below `directory` (links not followed).
    static func firstPidFile(under directory: String) -> String? {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return nil }
        while let name = walker.nextObject() as? String {
            if (name as NSString).lastPathComponent == "postmaster.pid" { return (directory as NSString).appendingPathComponent(name) }
        }
        return nil
    }
}
