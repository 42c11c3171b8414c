import Foundation
import PRATestSupport
import Testing

@testable import PRACore

/// User-given output paths (`--prometheus`, `--json`, `--junit`, `--html`, `--markdown`): a link,
/// a device, a FIFO or `-` is written through, never renamed over; a regular file keeps the
/// atomic write.
@Suite("output files: links, devices, FIFOs and - are written through")
struct OutputFileTests {
    static func fileType(_ path: String) -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        return info.st_mode & S_IFMT
    }

    @Test("a symbolic link to a file: the link stays, its target gets the content")
    func symlinkToFile() throws {
        let directory = TestEnvironment.temporaryDirectory("out-link")
        let target = directory + "/target.prom"
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: target))
        let link = directory + "/pra.prom"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        #expect(OutputFile.mode(of: link) == .throughExisting)
        try OutputFile.write(Data("pra_status_level 0\n".utf8), to: link)
        #expect(Self.fileType(link) == S_IFLNK, "the link was replaced by a file")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "pra_status_level 0\n", "shorter content truncates the old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["pra.prom", "target.prom"], "no temporary file left")
    }

    @Test("a /dev/stdout-like link (to /proc/self/fd/N, a pipe): the content goes down the pipe, the link stays")
    func stdoutLikeLink() throws {
        let directory = TestEnvironment.temporaryDirectory("out-stdout")
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let link = directory + "/stdout"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/proc/self/fd/\(fds[1])")
        try OutputFile.write(Data("through the pipe\n".utf8), to: link)
        #expect(Self.fileType(link) == S_IFLNK)
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(fds[0], &buffer, buffer.count)
        #expect(String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self) == "through the pipe\n")
    }

    @Test("a FIFO: written to its reader, still a FIFO")
    func fifo() throws {
        let directory = TestEnvironment.temporaryDirectory("out-fifo")
        let path = directory + "/metrics.fifo"
        #expect(mkfifo(path, 0o600) == 0)
        #expect(OutputFile.mode(of: path) == .throughExisting)
        let received = ReceivedText()
        let reader = Thread {
            let fd = open(path, O_RDONLY)
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 256)
            while fd >= 0 {
                let count = read(fd, &buffer, buffer.count)
                if count <= 0 { break }
                bytes += buffer.prefix(count)
            }
            if fd >= 0 { close(fd) }
            received.text = String(decoding: bytes, as: UTF8.self)
        }
        reader.start()
        try OutputFile.write(Data("into the fifo\n".utf8), to: path)
        let deadline = Date().addingTimeInterval(10)
        while received.text == nil && Date() < deadline { usleep(10_000) }
        #expect(received.text == "into the fifo\n")
        #expect(Self.fileType(path) == S_IFIFO, "the FIFO was replaced by a file")
    }

    @Test("a character device (/dev/null) is written, never replaced")
    func device() throws {
        #expect(OutputFile.mode(of: "/dev/null") == .throughExisting)
        try OutputFile.write(Data("nothing\n".utf8), to: "/dev/null")
        #expect(Self.fileType("/dev/null") == S_IFCHR)
    }

    @Test("- is standard output; a dangling link is an error, nothing created")
    func dashAndDanglingLink() throws {
        #expect(OutputFile.mode(of: "-") == .standardOutput)
        let directory = TestEnvironment.temporaryDirectory("out-dangling")
        let link = directory + "/pra.prom"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: directory + "/missing/target")
        let error = try #require(throws: FileError.self) { try OutputFile.write(Data("x\n".utf8), to: link) }
        #expect(error.path == link && error.code == ENOENT, "\(error)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/missing"))
    }

    @Test("a regular file keeps the atomic write: a new inode renamed into place, mode 644, no temporary left")
    func regularFileAtomic() throws {
        let directory = TestEnvironment.temporaryDirectory("out-regular")
        let path = directory + "/pra.prom"
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: path))
        // A second name for the old file: an atomic replacement leaves it untouched.
        #expect(link(path, directory + "/old-copy") == 0)
        #expect(OutputFile.mode(of: path) == .atomic)
        try OutputFile.write(Data("new\n".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
        #expect(try String(contentsOfFile: directory + "/old-copy", encoding: .utf8) == "old\n")
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["old-copy", "pra.prom"])
        // A path that does not exist yet: created atomically too.
        try OutputFile.write(Data("fresh\n".utf8), to: directory + "/fresh.prom")
        #expect(Self.fileType(directory + "/fresh.prom") == S_IFREG)
    }

    @Test("pra status --prometheus through a /dev/stdout-like link and -: the figures on stdout, the link intact",
          .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs are not installed"))
    func statusPrometheusToStdout() throws {
        let directory = TestEnvironment.temporaryDirectory("out-status")
        let environment = TestEnvironment.environment(database: "postgres", backupDirectory: directory)
        let link = directory + "/stdout-link"
        // The child's own fd 1 (a pipe to this test), as /dev/stdout is: never the machine's /dev/stdout.
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/proc/self/fd/1")
        for path in [link, "-"] {
            let result = try PraBinary.run(["status", "--quiet", "--prometheus", path], environment: environment)
            #expect([0, 1, 2].contains(result.exitCode), "\(result.stderr)")
            #expect(result.stdout.contains("# TYPE pra_status_level gauge"), "\(path): \(result.stdout)")
            #expect(!result.stderr.contains("cannot write the Prometheus file"), "\(result.stderr)")
        }
        #expect(Self.fileType(link) == S_IFLNK, "the link was replaced by a file")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "/proc/self/fd/1")
        #expect(!FileManager.default.fileExists(atPath: "-"), "- is standard output, not a file")
    }
}

/// What the FIFO's reader thread read.
final class ReceivedText: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: String?
    var text: String? {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
