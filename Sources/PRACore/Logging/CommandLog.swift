import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The per-command, per-day log file in `LOG_DIR`: `pra-<command>-<YYYYMMDD>.log` (UTC date),
/// holding the same lines the command writes on stderr, each prefixed with the UTC time and
/// the process id, plus a line when the command starts and how it ended.
///
/// Every line goes through the ``SecretRedactor`` first, whether or not a log file is open.
/// A log file that cannot be written never fails the command: the caller gets a warning.
public final class CommandLog: @unchecked Sendable {
    /// The process's log: the executable opens it once it has its configuration.
    public static let shared = CommandLog()

    private let lock = NSLock()
    private var fd: Int32 = -1
    private var redactor = SecretRedactor(secrets: [])
    /// The log file being written, if any.
    public private(set) var path: String?

    public init() {}

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// The file name for `command` on the UTC day of `date`.
    public static func fileName(command: String, date: Date) -> String {
        let day = String(BackupArchiveName.stamp(date).prefix(8))
        let safe = command.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" }
        return "pra-\(String(safe))-\(day).log"
    }

    /// Sets the secrets to hide from every line from now on.
    public func useRedactor(_ redactor: SecretRedactor) {
        lock.lock()
        defer { lock.unlock() }
        self.redactor = redactor
    }

    /// Opens (appends to) the day's log of `command` in `directory`, creating the directory
    /// (mode 750). Returns the path.
    @discardableResult
    public func open(directory: String, command: String, date: Date = Date()) throws(FileError) -> String {
        if !FileManager.default.fileExists(atPath: directory) {
            guard (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])) != nil else {
                throw FileError(operation: .mkdir, path: directory, code: access((directory as NSString).deletingLastPathComponent, W_OK) == 0 ? EIO : errno)
            }
        }
        let file = (directory as NSString).appendingPathComponent(Self.fileName(command: command, date: date))
        let descriptor = Glibc.open(file, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw FileError(operation: .open, path: file, code: errno) }
        lock.lock()
        defer { lock.unlock() }
        if fd >= 0 { close(fd) }
        fd = descriptor
        path = file
        return file
    }

    /// Redacts `line`, appends it to the log file when one is open, and returns the redacted
    /// line for stderr.
    @discardableResult
    public func record(_ line: String, date: Date = Date()) -> String {
        lock.lock()
        defer { lock.unlock() }
        let clean = redactor.redact(line)
        if fd >= 0 {
            let stamped = "\(Self.timestamp(date)) pra[\(getpid())] \(clean)\n"
            _ = stamped.withCString { Glibc.write(fd, $0, strlen($0)) }
        }
        return clean
    }

    /// Redacts text without logging it (for stdout and alerts).
    public func redact(_ text: String) -> String {
        lock.lock()
        defer { lock.unlock() }
        return redactor.redact(text)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
