import CPosix
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs external programs (pg_dump, psql, pg_ctl, initdb) with argument arrays, never a shell.
///
/// Each child gets its own process group so that a timeout, a failure of the consumer or an
/// interrupt can stop it and everything it started. stdout can be streamed to a handler
/// chunk by chunk; stderr is always drained (its tail is kept for error messages).
public struct ExternalProcess: Sendable {
    /// Absolute path of the program.
    public var executable: String
    public var arguments: [String]
    public var environment: [String: String]
    /// Stop the program (SIGTERM, then SIGKILL) after this many seconds.
    public var timeout: Double?
    /// Run the program as this account (through `setpriv`, groups cleared; `HOME`, `USER` and
    /// `LOGNAME` set to the account's) instead of as this process. `nil`: as this process.
    public var user: OSUser?

    public init(executable: String, arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment, timeout: Double? = nil, user: OSUser? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.timeout = timeout
        self.user = user
    }

    /// How a run ended.
    public struct Outcome: Sendable {
        public var exitCode: Int32?
        public var signal: Int32?
        public var timedOut: Bool
        /// Captured stdout (empty unless capture was asked for).
        public var standardOutput: Data
        /// The last 64 KiB of stderr.
        public var standardError: String
        public var succeeded: Bool { exitCode == 0 && !timedOut }
        public var stdoutText: String { String(decoding: standardOutput, as: UTF8.self) }
    }

    var programName: String { (executable as NSString).lastPathComponent }

    /// Runs the program and captures its stdout.
    public func run() throws(ProcessError) -> Outcome {
        do {
            return try launch(stdin: nil, stdout: nil)
        } catch let error as ProcessError {
            throw error
        } catch {
            throw ProcessError(kind: .failed, program: programName, stderr: "\(error)")
        }
    }

    /// Runs and throws ``ProcessError`` unless it exits 0.
    @discardableResult
    public func runChecked() throws(ProcessError) -> Outcome {
        let outcome = try run()
        try check(outcome)
        return outcome
    }

    /// Runs the program, handing each stdout chunk to `consume` on the calling thread.
    /// If `consume` throws, the program's process group is stopped and the error rethrown.
    public func run(streamingTo consume: (UnsafeRawBufferPointer) throws -> Void) throws -> Outcome {
        try withoutActuallyEscaping(consume) { try launch(stdin: nil, stdout: $0) }
    }

    /// Runs the program, letting `produce` write its stdin on the calling thread; stdout is discarded.
    /// If `produce` throws, the program's process group is stopped and the error rethrown.
    public func run(feedingStdin produce: (FileDescriptorWriter) throws -> Void) throws -> Outcome {
        try withoutActuallyEscaping(produce) { try launch(stdin: $0, stdout: nil) }
    }

    /// Throws a ``ProcessError`` describing a run that did not succeed.
    public func check(_ outcome: Outcome) throws(ProcessError) {
        if outcome.timedOut {
            throw ProcessError(kind: .timedOut, program: programName, stderr: outcome.standardError)
        }
        if outcome.exitCode != 0 {
            throw ProcessError(kind: .failed, program: programName, exitCode: outcome.exitCode, signal: outcome.signal, stderr: outcome.standardError)
        }
    }

    private func launch(stdin produce: ((FileDescriptorWriter) throws -> Void)?, stdout consume: ((UnsafeRawBufferPointer) throws -> Void)?) throws -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ProcessError(kind: .notFound, program: programName, stderr: "\(executable) is not an executable file")
        }
        let pipes = try Pipes(withStdin: produce != nil)
        let group = ChildProcessGroup(pid: try spawn(pipes))
        pipes.closeChildEnds()

        let stderrDrain = PipeDrain(fd: pipes.stderrRead, keepLast: 64 * 1024)
        stderrDrain.start()
        let cleanupToken = InterruptCleanup.shared.register { group.stop(grace: 0) }
        let watchdog = Watchdog()
        if let timeout {
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                if watchdog.arm() { group.stop(grace: 5) }
            }
        }

        var consumerError: Error?
        var captured = Data()
        if let produce {
            let stdoutDrain = PipeDrain(fd: pipes.stdoutRead, keepLast: 1024 * 1024)
            stdoutDrain.start()
            do {
                try produce(FileDescriptorWriter(fd: pipes.stdinWrite, path: "stdin of \(programName)"))
            } catch {
                consumerError = error
                // Kill before closing stdin: EOF would let the program finish (psql would COMMIT).
                group.stop(grace: 0)
            }
            pipes.closeStdinWrite()
            captured = stdoutDrain.finish()
        } else {
            let reader = pipes.stdoutRead
            var buffer = [UInt8](repeating: 0, count: 256 * 1024)
            readLoop: while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(reader, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    break readLoop
                }
                if count == 0 { break readLoop }
                if let consume {
                    do {
                        try buffer.withUnsafeBytes { try consume(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                    } catch {
                        consumerError = error
                        group.stop(grace: 5)
                        break readLoop
                    }
                } else {
                    captured.append(contentsOf: buffer[0..<count])
                }
            }
        }
        pipes.closeStdoutRead()
        group.waitUntilExited()
        let timedOut = !watchdog.arm()
        InterruptCleanup.shared.unregister(cleanupToken)
        let status = group.killRestAndReap()
        let stderrBytes = stderrDrain.finish()
        pipes.closeStderrRead()
        if let consumerError {
            if let processError = consumerError as? ProcessError { throw processError }
            throw ConsumerFailure(underlying: consumerError, standardError: String(decoding: stderrBytes, as: UTF8.self))
        }
        return Outcome(exitCode: status.exitCode, signal: status.signal, timedOut: timedOut, standardOutput: captured, standardError: String(decoding: stderrBytes, as: UTF8.self))
    }

    private func spawn(_ pipes: Pipes) throws(ProcessError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if pipes.stdinRead >= 0 {
            posix_spawn_file_actions_adddup2(&actions, pipes.stdinRead, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, pipes.stdoutWrite, 1)
        posix_spawn_file_actions_adddup2(&actions, pipes.stderrWrite, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        Self.resetSignals(&attributes)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var program = executable
        var words = [executable] + arguments
        var childEnvironment = environment
        if let user {
            // setpriv changes the ids in the child before it execs the program: nothing of the
            // program ever runs with root's privileges.
            program = Self.setprivPath
            words = [program, "--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", "--", executable] + arguments
            childEnvironment["HOME"] = user.home
            childEnvironment["USER"] = user.name
            childEnvironment["LOGNAME"] = user.name
        }
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = childEnvironment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
        guard result == 0 else {
            pipes.closeAll()
            throw ProcessError(kind: .spawnFailed, program: programName, stderr: String(cString: strerror(result)))
        }
        return pid
    }

    /// The child's signals start at their defaults (those pra catches included) and none is
    /// blocked, whatever pra itself does with them; the caller sets POSIX_SPAWN_SETSIGDEF and
    /// POSIX_SPAWN_SETSIGMASK.
    static func resetSignals(_ attributes: inout posix_spawnattr_t) {
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
    }

    /// util-linux's `setpriv`, which drops to another account before exec.
    static let setprivPath = (try? SystemProgram.locate("setpriv", package: "util-linux")) ?? "/usr/bin/setpriv"
}

/// The consumer of a program's output (or producer of its input) failed; carries the program's stderr.
public struct ConsumerFailure: Error, CustomStringConvertible {
    public let underlying: Error
    public let standardError: String
    public var description: String { "\(underlying)" }
}

/// Writes all bytes to a file descriptor, retrying short and interrupted writes; a failure
/// names `path` and the bytes that got through.
public struct FileDescriptorWriter {
    let fd: Int32
    let path: String

    public init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Writes `bytes`; returns how many were written (all of them).
    @discardableResult
    public func write(_ bytes: UnsafeRawBufferPointer, alreadyWritten: UInt64 = 0) throws(FileError) -> Int {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw FileError(operation: .write, path: path, code: errno, bytes: alreadyWritten + UInt64(offset))
            }
            offset += written
        }
        return offset
    }
}

/// Reads a pipe to EOF on a thread of its own, keeping at most `keepLast` bytes.
final class PipeDrain: @unchecked Sendable {
    private let fd: Int32
    private let keepLast: Int
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(fd: Int32, keepLast: Int) {
        self.fd = fd
        self.keepLast = keepLast
    }

    func start() {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                data.append(contentsOf: buffer[0..<count])
                if data.count > keepLast * 2 { data = data.suffix(keepLast) }
            }
            done.signal()
        }
        thread.start()
    }

    /// Waits for EOF and returns what was kept.
    func finish() -> Data {
        done.wait()
        return data.count > keepLast ? data.suffix(keepLast) : data
    }
}

/// Decides once between "finished" and "timed out".
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var fired = false

    /// Returns true for the first caller only.
    func arm() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if fired { return false }
        fired = true
        return true
    }
}

/// The three pipes between us and a child; every end is close-on-exec until dup2'd.
final class Pipes {
    /// The capacity asked for the stdin and stdout pipes (the kernel's default is 64 KiB).
    static let dataPipeBytes: Int32 = 1 << 20
    var stdinRead: Int32 = -1, stdinWrite: Int32 = -1
    var stdoutRead: Int32 = -1, stdoutWrite: Int32 = -1
    var stderrRead: Int32 = -1, stderrWrite: Int32 = -1

    init(withStdin: Bool) throws(ProcessError) {
        func makePipe() throws(ProcessError) -> (Int32, Int32) {
            var fds: [Int32] = [-1, -1]
            guard pra_pipe_cloexec(&fds) == 0 else {
                throw ProcessError(kind: .spawnFailed, program: "pipe", stderr: String(cString: strerror(errno)))
            }
            return (fds[0], fds[1])
        }
        if withStdin { (stdinRead, stdinWrite) = try makePipe() }
        (stdoutRead, stdoutWrite) = try makePipe()
        (stderrRead, stderrWrite) = try makePipe()
        // The data pipes hold 1 MiB instead of 64 KiB: a producer and a consumer working at
        // uneven paces (pg_dump and a compressor, a decompressor and tar) stall each other less.
        // Best effort: beyond fs.pipe-max-size or the user's pipe quota the default stays.
        // Measured on the PITR extraction of 5.4 GB (zstd into tar): 8.7-11.1 s instead of 12.1-16.2 s.
        if withStdin { _ = pra_pipe_set_size(stdinWrite, Self.dataPipeBytes) }
        _ = pra_pipe_set_size(stdoutWrite, Self.dataPipeBytes)
    }

    private func close(_ fd: inout Int32) {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    func closeChildEnds() {
        close(&stdinRead)
        close(&stdoutWrite)
        close(&stderrWrite)
    }

    func closeStdinWrite() { close(&stdinWrite) }
    func closeStdoutRead() { close(&stdoutRead) }
    func closeStderrRead() { close(&stderrRead) }

    func closeAll() {
        closeChildEnds()
        closeStdinWrite()
        closeStdoutRead()
        closeStderrRead()
    }

    deinit { closeAll() }
}
