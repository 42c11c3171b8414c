import Foundation
import PRACore
import PRATestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `pra wal push` and `pra wal get` on real files, run as PostgreSQL runs them: separate
/// processes, overlapping when the archiver is restarted while a push is still running.
/// The segments are synthetic (a valid long page header, 16 MiB): no server is needed to
/// show what the archive keeps.
@Suite("WAL archive integrity: overlapping pushes, damaged copies, and what wal get tells recovery", .serialized)
struct WALArchiveIntegrityTests {
    static let segmentSize = 16 << 20

    /// A 16 MiB file that passes `wal push`'s checks: long page header, system identifier,
    /// segment size; the rest varies with `seed` so that two segments differ.
    static func syntheticSegment(seed: UInt8, system: UInt64 = 7_314_849_219_033_417_011) -> Data {
        var bytes = [UInt8](repeating: 0, count: segmentSize)
        bytes[2] = 0x02  // XLP_LONG_HEADER
        for index in 0..<8 { bytes[24 + index] = UInt8((system >> (8 * UInt64(index))) & 0xff) }
        bytes[32 + 3] = 0x01  // 16 MiB, little-endian
        bytes[36 + 1] = 0x20  // 8 KiB blocks
        var state = UInt32(seed) &* 2_654_435_761 &+ 1
        for index in stride(from: 64, to: segmentSize, by: 8) {
            state = state &* 1_664_525 &+ 1_013_904_223
            bytes[index] = UInt8(truncatingIfNeeded: state >> 24)
            bytes[index + 1] = seed
        }
        return Data(bytes)
    }

    static func pra(_ arguments: [String], backupDirectory: String) throws -> PraBinary.Result {
        try PraBinary.run(arguments + ["--backup-dir", backupDirectory, "--env-file", TestEnvironment.noEnvFile], environment: TestEnvironment.baseEnvironment(), timeout: 120)
    }

    /// Writes all of `data` to `fd` (a FIFO a push reads from: returns once the push took it).
    static func writeAll(_ fd: Int32, _ data: Data) {
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// The pid of the `pra` process whose command line names `argument`.
    static func pid(runningWith argument: String) -> pid_t? {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), pid != getpid(),
                  let line = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            if line.split(separator: 0).contains(where: { String(decoding: $0, as: UTF8.self) == argument }) { return pid }
        }
        return nil
    }

    /// A `pra` run on another thread, its result collected later.
    final class Background: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var result: Result<PraBinary.Result, any Error>?

        init(_ arguments: [String], backupDirectory: String) {
            DispatchQueue.global().async {
                self.result = Result { try WALArchiveIntegrityTests.pra(arguments, backupDirectory: backupDirectory) }
                self.done.signal()
            }
        }

        func wait() throws -> PraBinary.Result {
            done.wait()
            return try result!.get()
        }
    }

    @Test("two overlapping pushes of one segment, the second killed half-way: the archive holds the whole segment, and the killed writer's temporary file is removed later")
    func overlappingPushesArchiveTheWholeSegment() throws {
        signal(SIGPIPE, SIG_IGN)
        let backup = TestEnvironment.temporaryDirectory("walrace")
        let work = TestEnvironment.temporaryDirectory("walrace-w")
        let name = "000000010000000000000003"
        let segment = Self.syntheticSegment(seed: 3)
        let half = segment.count / 2
        // Each push reads its segment from a FIFO: the test decides when each has read how much.
        for writer in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: "\(work)/\(writer)", withIntermediateDirectories: true)
            #expect(mkfifo("\(work)/\(writer)/\(name)", 0o600) == 0)
        }
        let fifoA = "\(work)/a/\(name)", fifoB = "\(work)/b/\(name)"
        let pushA = Background(["wal", "push", fifoA], backupDirectory: backup)
        let writerA = open(fifoA, O_WRONLY | O_CLOEXEC)
        #expect(writerA >= 0)
        // Push A has opened its temporary file and compressed half the segment.
        Self.writeAll(writerA, segment.prefix(half))
        let pushB = Background(["wal", "push", fifoB], backupDirectory: backup)
        let writerB = open(fifoB, O_WRONLY | O_CLOEXEC)
        #expect(writerB >= 0)
        // Push B (the archiver restarted) has opened its own temporary file and written half of it.
        Self.writeAll(writerB, segment.prefix(half))
        Self.writeAll(writerA, segment.suffix(from: half))
        close(writerA)
        let a = try pushA.wait()
        #expect(a.exitCode == 0, "\(a.stderr)")
        // B dies half-way (a server crash kills the archiver's child).
        let pidB = try #require(Self.pid(runningWith: fifoB))
        kill(pidB, SIGKILL)
        close(writerB)
        _ = try pushB.wait()

        // What recovery would read: the whole segment, not B's half-written stream.
        let fetched = work + "/fetched"
        let get = try Self.pra(["wal", "get", name, fetched], backupDirectory: backup)
        #expect(get.exitCode == 0, "\(get.stderr)")
        let reference = work + "/reference"
        try segment.write(to: URL(fileURLWithPath: reference))
        #expect(try FileDigest(path: fetched) == FileDigest(path: reference))

        // A push of the same content again: checked, answered "already archived". The killed B's
        // temporary file goes (its pid is gone, its lock released); a live writer's is left alone.
        let directory = backup + "/wal/0000000100000000"
        let live = "\(directory)/.\(name).\(getpid()).livewr.partial"
        try Data("a live writer's half-written file".utf8).write(to: URL(fileURLWithPath: live))
        // Both untouched for two minutes: only the dead pid tells them apart.
        for entry in try FileManager.default.contentsOfDirectory(atPath: directory) where entry.hasSuffix(".partial") {
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-120)], ofItemAtPath: directory + "/" + entry)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".partial") }.count == 2)
        let renamed = work + "/c/" + name
        try FileManager.default.createDirectory(atPath: work + "/c", withIntermediateDirectories: true)
        try segment.write(to: URL(fileURLWithPath: renamed))
        let again = try Self.pra(["wal", "push", renamed, "--json"], backupDirectory: backup)
        #expect(again.exitCode == 0, "\(again.stderr)")
        #expect(again.stdout.contains("\"alreadyArchived\" : true"), "\(again.stdout)")
        let left = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".partial") }
        #expect(left == [(live as NSString).lastPathComponent], "\(left)")
    }

    @Test("a damaged archived copy under the segment's own name is not taken as already archived: a push of the segment replaces it with a checked copy")
    func damagedArchivedCopyIsNotAlreadyArchived() throws {
        let backup = TestEnvironment.temporaryDirectory("waldamaged")
        let work = TestEnvironment.temporaryDirectory("waldamaged-w")
        let name = "000000010000000000000004"
        let segment = Self.syntheticSegment(seed: 4)
        let path = work + "/" + name
        try segment.write(to: URL(fileURLWithPath: path))
        #expect(try Self.pra(["wal", "push", path], backupDirectory: backup).exitCode == 0)
        let archived = try #require(try WALArchive(backupDirectory: backup).find(WALFileName(name)!))
        // Cut to half: the file a killed or interleaved writer would have left under the right name.
        #expect(truncate(archived.path, off_t(archived.compressedBytes / 2)) == 0)

        let again = try Self.pra(["wal", "push", path, "--json"], backupDirectory: backup)
        #expect(again.exitCode == 0, "\(again.stderr)")
        #expect(again.stdout.contains("\"alreadyArchived\" : false"), "\(again.stdout)")
        #expect(again.stdout.contains("\"replacedDamaged\""), "\(again.stdout)")
        let fetched = work + "/fetched"
        let get = try Self.pra(["wal", "get", name, fetched], backupDirectory: backup)
        #expect(get.exitCode == 0, "\(get.stderr)")
        #expect(try FileDigest(path: fetched) == FileDigest(size: UInt64(segment.count), sha256: archived.sha256))

        // A damaged copy of other content under the same name is not replaced: the push fails naming it.
        let other = Self.syntheticSegment(seed: 5)
        let otherName = "000000010000000000000005"
        let otherPath = work + "/" + otherName
        try other.write(to: URL(fileURLWithPath: otherPath))
        let foreignCopy = backup + "/wal/0000000100000000/\(otherName)-\(String(repeating: "ab", count: 32)).gz"
        try Data("not gzip".utf8).write(to: URL(fileURLWithPath: foreignCopy))
        let refused = try Self.pra(["wal", "push", otherPath], backupDirectory: backup)
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains(foreignCopy) && refused.stderr.contains("damaged"), "\(refused.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: foreignCopy)) == Data("not gzip".utf8))
    }

    @Test("wal get: a corrupt or unreadable archived segment exits 126 so that recovery stops instead of promoting early; a segment archived nowhere exits 1 without a word")
    func corruptSegmentStopsRecovery() throws {
        let backup = TestEnvironment.temporaryDirectory("walgetfatal")
        let work = TestEnvironment.temporaryDirectory("walgetfatal-w")
        let name = "000000010000000000000006"
        let path = work + "/" + name
        try Self.syntheticSegment(seed: 6).write(to: URL(fileURLWithPath: path))
        #expect(try Self.pra(["wal", "push", path], backupDirectory: backup).exitCode == 0)
        let archived = try #require(try WALArchive(backupDirectory: backup).find(WALFileName(name)!))

        let missing = try Self.pra(["wal", "get", "000000010000000000000007", work + "/RECOVERYXLOG"], backupDirectory: backup)
        #expect(missing.exitCode == 1)
        #expect(missing.stderr.isEmpty, "\(missing.stderr)")

        var damaged = try Data(contentsOf: URL(fileURLWithPath: archived.path))
        damaged[damaged.count / 2] ^= 0x10
        try damaged.write(to: URL(fileURLWithPath: archived.path))
        let corrupt = try Self.pra(["wal", "get", name, work + "/RECOVERYXLOG"], backupDirectory: backup)
        #expect(corrupt.exitCode == 126)
        let lines = corrupt.stderr.split(separator: "\n")
        #expect(lines.count == 1 && corrupt.stderr.contains(name) && corrupt.stderr.contains("corrupt"), "\(corrupt.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work + "/RECOVERYXLOG"))

        // Unreadable: the archived name is a directory (a damaged file system, a bad sync).
        try FileManager.default.removeItem(atPath: archived.path)
        try FileManager.default.createDirectory(atPath: archived.path, withIntermediateDirectories: false)
        let unreadable = try Self.pra(["wal", "get", name, work + "/RECOVERYXLOG"], backupDirectory: backup)
        #expect(unreadable.exitCode == 126, "\(unreadable.stderr)")
        #expect(unreadable.stderr.contains(name), "\(unreadable.stderr)")

        // The directory holding the segments cannot be listed: not "not archived".
        let directory = backup + "/wal/0000000100000000"
        try FileManager.default.removeItem(atPath: directory)
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: directory))
        let unlistable = try Self.pra(["wal", "get", name, work + "/RECOVERYXLOG"], backupDirectory: backup)
        #expect(unlistable.exitCode == 126, "\(unlistable.stderr)")
        #expect(unlistable.stderr.contains(name), "\(unlistable.stderr)")
    }
    @Test("a forged timeline history or backup label is refused at push with the file and line; verify --wal reports histories that do not parse or contradict the archived segments")
    func forgedHistoryIsRefused() throws {
        let backup = TestEnvironment.temporaryDirectory("walhistory")
        let work = TestEnvironment.temporaryDirectory("walhistory-w")
        func push(_ name: String, _ content: String) throws -> PraBinary.Result {
            let path = work + "/" + name
            try Data(content.utf8).write(to: URL(fileURLWithPath: path))
            return try Self.pra(["wal", "push", path], backupDirectory: backup)
        }
        let segmentPath = work + "/000000010000000000000002"
        try Self.syntheticSegment(seed: 2).write(to: URL(fileURLWithPath: segmentPath))
        #expect(try Self.pra(["wal", "push", segmentPath], backupDirectory: backup).exitCode == 0)

        // Timeline 2 claiming to descend from itself: the recoverable window would be cut at 0/4000000.
        let forged = try push("00000002.history", "1\t0/5000A28\tno recovery target specified\n2\t0/4000000\tforged\n")
        #expect(forged.exitCode == 1)
        #expect(forged.stderr.contains("00000002.history") && forged.stderr.contains("line 2"), "\(forged.stderr)")
        #expect(forged.stderr.split(separator: "\n").count == 1, "\(forged.stderr)")
        #expect(try WALArchive(backupDirectory: backup).find(WALFileName("00000002.history")!) == nil)
        let backwards = try push("00000003.history", "1\t0/5000A28\tno recovery target specified\n\n2\t0/3000000\tbefore its parent began\n")
        #expect(backwards.exitCode == 1)
        #expect(backwards.stderr.contains("00000003.history") && backwards.stderr.contains("line 3"), "\(backwards.stderr)")
        let junk = try push("00000004.history", "this is not a history file\n")
        #expect(junk.exitCode == 1)
        #expect(junk.stderr.contains("00000004.history") && junk.stderr.contains("line 1"), "\(junk.stderr)")
        #expect(try push("00000005.history", "").exitCode == 1)

        // The file PostgreSQL writes: accepted.
        let genuine = try push("00000002.history", "1\t0/5000A28\tno recovery target specified\n")
        #expect(genuine.exitCode == 0, "\(genuine.stderr)")

        // A backup label whose start location is not the segment its name says.
        let label = """
            START WAL LOCATION: 0/2000028 (file 000000010000000000000002)
            STOP WAL LOCATION: 0/2000100 (file 000000010000000000000002)
            CHECKPOINT LOCATION: 0/2000060
            BACKUP METHOD: streamed
            BACKUP FROM: primary
            START TIME: 2026-12-01 14:00:00 UTC
            LABEL: pg_basebackup base backup
            START TIMELINE: 1
            STOP TIME: 2026-12-01 14:00:01 UTC
            STOP TIMELINE: 1

            """
        let misnamed = try push("000000010000000000000007.00000028.backup", label)
        #expect(misnamed.exitCode == 1)
        #expect(misnamed.stderr.contains("000000010000000000000007.00000028.backup") && misnamed.stderr.contains("line 1"), "\(misnamed.stderr)")
        let stopBeforeStart = try push("000000010000000000000002.00000028.backup", label.replacingOccurrences(of: "STOP WAL LOCATION: 0/2000100", with: "STOP WAL LOCATION: 0/2000000"))
        #expect(stopBeforeStart.exitCode == 1)
        #expect(stopBeforeStart.stderr.contains("line 2"), "\(stopBeforeStart.stderr)")
        #expect(try push("000000010000000000000002.00000028.backup", "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n").exitCode == 1)
        let goodLabel = try push("000000010000000000000002.00000028.backup", label)
        #expect(goodLabel.exitCode == 0, "\(goodLabel.stderr)")
        #expect(try Self.pra(["verify", "--wal"], backupDirectory: backup).exitCode == 0)

        // Files that reached the archive unchecked (an older pra, a copy by hand): verify reports them.
        // A segment of timeline 2 before the switch point its history names (0/5000A28: segment 5).
        let early = work + "/000000020000000000000003"
        try Self.syntheticSegment(seed: 7).write(to: URL(fileURLWithPath: early))
        #expect(try Self.pra(["wal", "push", early], backupDirectory: backup).exitCode == 0)
        // A history file that does not parse, placed as an archived file.
        let plain = work + "/00000003.history.plain"
        try Data("garbage\n".utf8).write(to: URL(fileURLWithPath: plain))
        let sha = try FileDigest(path: plain).sha256
        try ExternalProcess(executable: "/bin/sh", arguments: ["-c", "gzip -c < \"$0\" > \"$1\"", plain, backup + "/wal/timelines/00000003.history-\(sha).gz"]).runChecked()
        let verify = try Self.pra(["verify", "--wal"], backupDirectory: backup)
        #expect(verify.exitCode == 1, "\(verify.stdout)")
        #expect(verify.stdout.contains("00000003.history") && verify.stdout.contains("line 1"), "\(verify.stdout)")
        #expect(verify.stdout.contains("000000020000000000000003") && verify.stdout.contains("00000002.history"), "\(verify.stdout)")
    }
}

@Suite("recovery from a WAL archive with a corrupt segment, on real PostgreSQL", .serialized, .enabled(if: TestEnvironment.serverAvailable, "PostgreSQL server programs (initdb, pg_ctl, pg_basebackup) are not installed"))
struct CorruptSegmentRecoveryTests {
    @Test("a corrupt archived segment stops recovery with FATAL at that segment: the server is never promoted on a timeline that lacks the WAL after it")
    func corruptSegmentIsNotTheEndOfRecovery() throws {
        let server = try ArchivingCluster(label: "walfatal")
        #expect(try server.pra(["backup", "--base"]).exitCode == 0)
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('one')")
        try server.switchAndWait()
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('two')")
        let damagedName = try server.switchAndWait()
        try server.sql("INSERT INTO pitr_marker (note) VALUES ('three')")
        try server.switchAndWait()
        let file = try #require(try server.archive.find(WALFileName(damagedName)!))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file.path))
        bytes[bytes.count / 2] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: file.path))

        let target = server.targetDirectory("walfatal-t")
        defer { server.stopRecovered(target) }
        let restore = try server.pra(["restore", "--pitr", "--target-dir", target, "--stop", "--json"])
        #expect(restore.exitCode == 1, "\(restore.stdout) \(restore.stderr)")
        // Recovery failed at the fetch (the startup process's FATAL), instead of ending there and
        // promoting a server that silently lacks 'two' and 'three'.
        #expect(restore.stdout.contains("\"failedStage\" : \"recover\""), "\(restore.stdout)")
        #expect(restore.stdout.contains("could not restore file \\\"\(damagedName)\\\""), "\(restore.stdout)")
        #expect(!restore.stdout.contains("\"serverRunning\" : true"), "\(restore.stdout)")
        #expect(!restore.stdout.contains("\"timeline\" : 2"), "\(restore.stdout)")
    }
}
