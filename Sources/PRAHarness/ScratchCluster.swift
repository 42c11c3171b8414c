import Foundation
import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL: initdb + pg_ctl in a temporary directory, listening only on a
/// unix socket there, on a free port, with settings that favour speed over durability.
///
/// When the process runs as root the server runs as an unprivileged user (`postgres` when it
/// exists, else `nobody`). Teardown stops the server and removes the directory; it runs from
/// `deinit`, from ``teardown()``, and on interrupt, unless the cluster is ``persistent``.
public final class ScratchCluster: @unchecked Sendable {
    /// How to stop the server.
    public enum StopMode: String, Sendable {
        case fast, immediate
    }

    public struct State: Codable, Sendable {
        public var directory: String
        public var port: Int
        public var binDirectory: String
        public var runAsUser: String?
        /// Random; also in `.pra-cluster-token` inside the directory. `cluster down` acts only
        /// when both agree and the state names the directory it was found in.
        public var token: String?
    }

    /// Why `directory` is not a cluster `pra cluster up` made.
    public struct NotACluster: Error, CustomStringConvertible {
        public let directory: String
        public let reason: String
        public var description: String { "\(directory) is not a scratch cluster made by pra cluster up: \(reason)" }
    }

    static let tokenFile = ".pra-cluster-token"

    public let directory: String
    public let port: Int
    public let superuser = "postgres"
    let binDirectory: String
    let runAs: OSUser?
    /// Extra postgresql.conf settings, kept for re-initialisation.
    let settings: [String: String]
    /// WAL segment size in MiB given to initdb (`nil`: PostgreSQL's 16).
    let walSegmentMegabytes: Int?
    /// initdb's `--data-checksums`: every data page carries a checksum.
    let dataChecksums: Bool
    /// When true, the cluster outlives this object (for `pra cluster up`).
    public private(set) var persistent = false
    private var cleanupToken: Int?
    private var tornDown = false
    private let lock = NSLock()

    public var dataDirectory: String { directory + "/data" }
    public var logFile: String { directory + "/server.log" }
    public var socketDirectory: String { directory }
    /// The server's unix socket (a proxy's upstream).
    public var socketPath: String { "\(directory)/.s.PGSQL.\(port)" }

    /// Creates, initialises and starts a cluster.
    /// - Parameter settings: extra `postgresql.conf` settings.
    /// - Parameter preparing: runs after initdb, before the first start (for example to let the
    ///   server's OS user write the backup directory its `archive_command` archives into).
    ///   - walSegmentMegabytes: initdb's `--wal-segsize` (a power of two, 1–1024); small segments
    ///     make an archiving drill's archive lag short.
    ///   - cloning: the data directory of a stopped scratch cluster to copy instead of running
    ///     initdb (a drill's seeded template: copying takes a tenth of initdb plus the seeding).
    ///     Its WAL segment size must be `walSegmentMegabytes`'s.
    ///   - dataChecksums: initdb with `--data-checksums`.
    public init(binaries: PostgresBinaries = PostgresBinaries(), settings: [String: String] = [:], parentDirectory: String? = nil, walSegmentMegabytes: Int? = nil, dataChecksums: Bool = false, cloning templateDirectory: String? = nil, preparing: ((ScratchCluster) throws -> Void)? = nil) throws {
        let initdb = try binaries.locate("initdb")
        binDirectory = (initdb as NSString).deletingLastPathComponent
        runAs = getuid() == 0 ? Self.unprivilegedUser() : nil
        let parent = parentDirectory ?? ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(parent)/pra-cluster-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw FileError(operation: .mkdir, path: parent, code: errno)
        }
        directory = String(cString: created)
        port = Self.freePort()
        let root = directory
        cleanupToken = InterruptCleanup.shared.register { ScratchCluster.forceRemove(directory: root) }
        self.settings = settings
        self.walSegmentMegabytes = walSegmentMegabytes
        self.dataChecksums = dataChecksums
        do {
            if let runAs {
                chown(directory, runAs.uid, runAs.gid)
            }
            if let templateDirectory {
                try copyDataDirectory(from: templateDirectory)
            } else {
                try initializeDataDirectory()
            }
            try writeState()
            try preparing?(self)
            try start()
        } catch {
            teardown()
            throw error
        }
    }

    /// initdb into the data directory, then the scratch settings.
    private func initializeDataDirectory() throws {
        try runTool(binDirectory + "/initdb", ["-D", dataDirectory, "-U", superuser, "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"] + (walSegmentMegabytes.map { ["--wal-segsize=\($0)"] } ?? []) + (dataChecksums ? ["--data-checksums"] : []), timeout: 120)
        try appendSettings()
    }

    /// Copies a stopped cluster's data directory (owner and modes kept), then this cluster's
    /// settings: appended last in postgresql.conf, they override the template's port and socket.
    private func copyDataDirectory(from template: String) throws {
        guard !FileManager.default.fileExists(atPath: template + "/postmaster.pid") else {
            throw OperationFailure(stage: "cluster clone", message: "\(template) is in use by a server (postmaster.pid exists); a template must be stopped")
        }
        let copy = ExternalProcess(executable: "/bin/cp", arguments: ["-a", "--", template, dataDirectory], timeout: 300)
        do {
            try copy.runChecked()
        } catch {
            throw OperationFailure(stage: "cluster clone", message: "cannot copy \(template) to \(dataDirectory): \(error)")
        }
        try appendSettings()
    }

    /// Appends the scratch settings (socket, port, speed over durability) and the caller's.
    private func appendSettings() throws {
        var conf: [String: String] = [
            "listen_addresses": "''", "unix_socket_directories": "'\(directory)'", "port": "\(port)",
            "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
            "shared_buffers": "128MB", "max_connections": "40", "max_wal_size": "2GB",
            "wal_level": "minimal", "max_wal_senders": "0", "checkpoint_timeout": "30min",
            "log_min_messages": "warning", "log_line_prefix": "'%m [%p] %a '",
        ]
        for (key, value) in settings { conf[key] = value }
        let lines = conf.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: "\n")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDirectory + "/postgresql.conf"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\n# pra scratch cluster\n\(lines)\n".utf8))
        try handle.close()
    }

    /// `postgresql.conf` settings that archive every WAL segment with `pra wal push` into
    /// `backupDirectory` (and allow `pg_basebackup`), switching segments after `archiveTimeout` seconds.
    public static func archivingSettings(praExecutable: String, backupDirectory: String, archiveTimeout: Int = 60) -> [String: String] {
        let command = ShellCommandLine.postgresCommand([.literal(praExecutable), "wal", "push", .placeholder("%p"), "--backup-dir", .literal(backupDirectory), "--env-file", "/dev/null"])
        return [
            "wal_level": "replica", "archive_mode": "on", "archive_timeout": "\(archiveTimeout)",
            "archive_command": ShellCommandLine.configurationValue(command), "max_wal_senders": "4",
        ]
    }

    /// The OS user the server runs as when pra runs as root (`nil` otherwise).
    public var serverUser: String? { runAs?.name }

    /// Lets the server's OS user own `path` (a backup directory its `archive_command` writes), when we are root.
    public func grantServerAccess(to path: String) throws {
        guard let runAs else { return }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        guard chown(path, runAs.uid, runAs.gid) == 0 else { throw FileError(operation: .open, path: path, code: errno) }
    }

    /// Deletes the data directory (the server must be down: crashed or stopped).
    public func wipeDataDirectory() throws {
        if let pid = postmasterPID, Self.isAlive(pid) {
            throw OperationFailure(stage: "wipe", message: "the server (pid \(pid)) is still running; stop or crash it first")
        }
        try FileManager.default.removeItem(atPath: dataDirectory)
    }

    /// Provisions a new, empty server in place of a lost one: initdb again and start.
    public func reinitialize() throws {
        if FileManager.default.fileExists(atPath: dataDirectory) { try wipeDataDirectory() }
        try initializeDataDirectory()
        try start()
    }

    /// Re-attaches to a cluster that `pra cluster up` left running.
    public init(attachingTo directory: String) throws {
        guard let data = FileManager.default.contents(atPath: directory + "/pra-cluster.json"),
            let state = try? JSONCoding.decoder.decode(State.self, from: data)
        else {
            throw NotACluster(directory: directory, reason: "no readable pra-cluster.json")
        }
        // The state must describe the directory it is in (a crafted file naming another
        // directory would make us kill that directory's server and delete it)...
        guard let here = Self.realPath(directory), let named = Self.realPath(state.directory), here == named else {
            throw NotACluster(directory: directory, reason: "its pra-cluster.json names another directory (\(state.directory))")
        }
        // ...and carry the token pra left inside it.
        guard let token = state.token, !token.isEmpty,
            let stored = try? String(contentsOfFile: directory + "/" + Self.tokenFile, encoding: .utf8),
            stored.trimmingCharacters(in: .whitespacesAndNewlines) == token
        else {
            throw NotACluster(directory: directory, reason: "its token (\(Self.tokenFile)) is missing or does not match pra-cluster.json")
        }
        self.directory = state.directory
        settings = [:]
        walSegmentMegabytes = nil
        dataChecksums = false
        port = state.port
        binDirectory = state.binDirectory
        if let name = state.runAsUser, let user = OSUser.named(name) {
            runAs = user
        } else {
            runAs = nil
        }
        persistent = true
    }

    deinit {
        if !persistent { teardown() }
    }

    /// libpq settings reaching this cluster's `postgres` database as the superuser.
    public var connectionSettings: ConnectionSettings {
        ConnectionSettings(parameters: ["host": directory, "port": "\(port)", "user": superuser, "dbname": "postgres"])
    }

    /// Environment variables a person (or a child `pra`) uses to reach the cluster.
    public var environment: [String: String] {
        [Setting.pgHost.name: directory, Setting.pgPort.name: "\(port)", Setting.pgUser.name: superuser, Setting.pgDatabase.name: "postgres"]
    }

    /// The postmaster's pid from `postmaster.pid`, when the file is there.
    public var postmasterPID: pid_t? { control.postmasterPID }

    /// True when the postmaster process exists.
    public var isRunning: Bool {
        guard let pid = postmasterPID else { return false }
        return Self.isAlive(pid)
    }

    /// True when `pid` exists and is not a zombie waiting to be reaped.
    public static func isAlive(_ pid: pid_t) -> Bool { ProcessLiveness.isAlive(pid) }

    /// Waits up to `seconds` for `pid` to be gone.
    public static func waitUntilGone(_ pid: pid_t, seconds: Double = 10) { ProcessLiveness.waitUntilGone(pid, seconds: seconds) }

    /// Starts the server and waits until it accepts connections.
    public func start() throws {
        // After a crash, orphaned backends may hold the old shared memory for a moment.
        var lastError: Error?
        for attempt in 0..<5 {
            do {
                try runTool(binDirectory + "/pg_ctl", ["-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "start"], timeout: 90)
                return
            } catch {
                lastError = error
                usleep(UInt32(200_000 * (attempt + 1)))
            }
        }
        throw OperationFailure(stage: "cluster start", message: "\(lastError.map { "\($0)" } ?? "unknown"); server log: \(logTail())")
    }

    /// Stops the server (`fast` waits for sessions to end; `immediate` is a crash-like stop).
    public func stop(_ mode: StopMode = .fast) throws {
        guard isRunning else { return }
        try runTool(binDirectory + "/pg_ctl", ["-D", dataDirectory, "-m", mode.rawValue, "-w", "-t", "60", "stop"], timeout: 90)
    }

    /// SIGKILLs the postmaster, as a crash would. Its backends notice and exit shortly after.
    public func crash() {
        guard let pid = postmasterPID else { return }
        kill(pid, SIGKILL)
        // Wait for the postmaster to be gone so the caller sees a down server.
        Self.waitUntilGone(pid)
    }

    public func restart() throws {
        try stop(.fast)
        try start()
    }

    /// Keeps the cluster after this object goes away (`pra cluster up`).
    public func makePersistent() {
        persistent = true
        if let cleanupToken { InterruptCleanup.shared.unregister(cleanupToken) }
        cleanupToken = nil
    }

    /// Stops the server (immediate) and removes the directory. Safe to call twice.
    public func teardown() {
        lock.lock()
        defer { lock.unlock() }
        guard !tornDown else { return }
        tornDown = true
        if let pid = postmasterPID, Self.isAlive(pid) {
            try? runTool(binDirectory + "/pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"], timeout: 40)
            Self.waitUntilGone(pid)
        }
        Self.forceRemove(directory: directory)
        if let cleanupToken { InterruptCleanup.shared.unregister(cleanupToken) }
        cleanupToken = nil
    }

    /// Last lines of the server log, for error messages.
    public func logTail(lines: Int = 5) -> String {
        control.logTail(lines: lines)
    }

    /// Kills whatever postmaster the directory's `postmaster.pid` names and every process it
    /// started, then deletes the directory. The postmaster's children are not in its process
    /// group (each calls setsid) and outlive a SIGKILL of the postmaster until they notice: a
    /// backend in the middle of a query went on writing temporary files in the directory being
    /// deleted, and kept running after it was gone.
    static func forceRemove(directory: String) {
        if let text = try? String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8),
            let first = text.split(separator: "\n").first, let pid = pid_t(first), pid > 1,
            // Only a postmaster serving this directory (its working directory): a pid file the
            // server's account rewrote must not make us kill another process and its children.
            let served = realPath(directory + "/data"), realPath("/proc/\(pid)/cwd") == served
        {
            let children = descendants(of: pid)
            kill(pid, SIGKILL)
            for child in children { kill(child, SIGKILL) }
            waitUntilGone(pid, seconds: 5)
            for child in children { waitUntilGone(child, seconds: 5) }
        }
        // A file created while the tree was being deleted makes one pass fail: try again.
        for attempt in 0..<5 where FileManager.default.fileExists(atPath: directory) {
            if attempt > 0 { usleep(100_000) }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Every process below `pid` (children, their children...), from `/proc`.
    static func descendants(of pid: pid_t) -> [pid_t] {
        var parents: [pid_t: [pid_t]] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // After "pid (comm)": state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, let parent = pid_t(fields[1]) else { continue }
            parents[parent, default: []].append(child)
        }
        var found: [pid_t] = []
        var queue = parents[pid] ?? []
        while let next = queue.popLast() {
            found.append(next)
            queue += parents[next] ?? []
        }
        return found
    }

    private func writeState() throws {
        let token = UUID().uuidString + UUID().uuidString
        try DurableFile.write(Data((token + "\n").utf8), to: directory + "/" + Self.tokenFile, permissions: 0o600)
        let state = State(directory: directory, port: port, binDirectory: binDirectory, runAsUser: runAs?.name, token: token)
        try DurableFile.write(JSONCoding.encoder.encode(state), to: directory + "/pra-cluster.json", permissions: 0o644)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Starts and stops this cluster's server, as the unprivileged user when we are root.
    var control: ServerControl {
        // Sealed like every child: its archive_command (pra wal push --env-file /dev/null) must
        // not pick up a REMOTE_TARGET, S3 keys or a webhook from the environment of whoever
        // started it (a drill run from production's cron would copy scratch WAL off-site).
        // A drill that wants WAL off-site routes it explicitly (DrillArchiveCommand).
        ServerControl(dataDirectory: dataDirectory, logFile: logFile, binDirectory: binDirectory, user: runAs, environment: ChildEnvironment.base())
    }

    /// Runs a server tool, as the unprivileged user when we are root.
    private func runTool(_ executable: String, _ arguments: [String], timeout: Double) throws {
        try control.run((executable as NSString).lastPathComponent, arguments, timeout: timeout)
    }

    public static func unprivilegedUser() -> OSUser? {
        OSUser.named("postgres") ?? OSUser.named("nobody")
    }

    /// A TCP port the kernel reports free on loopback (the socket's name; the server listens on no TCP port).
    static func freePort() -> Int {
        LoopbackSocket.freePort() ?? 50000 + Int(getpid() % 10000)
    }
}
