import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Applies incremental base backups, oldest first, on a data directory that holds their full
/// base backup (extracted by ``PointInTimeRestoreOperation/extract(_:into:as:archive:)``), then
/// checks the assembled tree against the newest range map.
///
/// Each incremental's archive is verified while it streams (``BaseBackupVerifier``): its whole
/// files and directories go to `tar -x` as the server's account, its range entries are written
/// by pra at their offsets. The archive is hostile until verified: a range's path must be a
/// relative path without `..` of a file the link's (SHA-256 checked) map lists, its offset and
/// length within the recorded size; files are opened component by component without following
/// a symbolic link, and only regular files of the server's account with one link are written.
struct ChainAssembly {
    /// The data directory, absolute.
    let directory: String
    /// The server's account (owner of every extracted file); `nil`: this process.
    let user: OSUser?
    let progress: ProgressReporter?

    private var owner: uid_t { user?.uid ?? geteuid() }

    /// Applies `link` (an incremental whose range map is `map`) on the tree: its files and
    /// ranges written, then every file cut or extended to its recorded size and the files its
    /// map does not list removed. Returns the verification of its archive; a damaged archive
    /// (not valid) leaves the tree half-applied: the caller discards it. `archive`: read the
    /// archive from there instead of the entry's path (an off-site link streamed as it arrives).
    func apply(_ link: BaseBackupCatalogue.Entry, map: RangeMap, archive: FileHandle? = nil) throws -> VerificationResult {
        let tar = ExternalProcess(executable: try SystemProgram.locate("tar", package: "tar"), arguments: ["-x", "-f", "-", "-C", directory, "--no-same-owner", "--no-same-permissions"],
                                  environment: ChildEnvironment.base(), timeout: 6 * 3600, user: user)
        var router = IncrementalTarRouter(rangeSize: map.rangeSize)
        var verdict: VerificationResult?
        var tarStopped: Error?
        let progress = self.progress
        let outcome = try tar.run { stdin in
            verdict = try BaseBackupVerifier(phase: "apply \(link.name.fileName)").verify(link, archive: archive, progress: progress) { piece in
                try router.route(piece, toTar: { bytes in
                    guard tarStopped == nil else { return }
                    do { try stdin.write(bytes) } catch { tarStopped = error }
                }, range: { path, index, bytes in
                    try writeRange(path: path, index: index, bytes: bytes, map: map)
                })
            }
        }
        guard let verdict else { throw ChainAssemblyError(reason: "tar ended before the archive was read") }
        guard verdict.valid else { return verdict }
        try tar.check(outcome)
        if let tarStopped { throw tarStopped }
        try settle(map)
        return verdict
    }

    /// Checks every file of the tree against `map` (size and each range's SHA-256) and that the
    /// tree holds no regular file the map lacks. Returns the problems (the first ten).
    func check(against map: RangeMap) -> [String] {
        var problems: [String] = []
        for path in map.paths where problems.count < 10 {
            let file = map.files[path]!
            do {
                let descriptor = try openBeneath(path, flags: O_RDONLY)
                defer { close(descriptor) }
                if let problem = try compare(descriptor, path: path, file: file, map: map) { problems.append(problem) }
            } catch {
                problems.append("\(path): \(error)")
            }
        }
        for path in regularFiles() where map.files[path] == nil && problems.count < 10 {
            problems.append("\(path) is in the tree but not in the range map")
        }
        return problems
    }

    /// One range: checked against the map, then written at its offset.
    private func writeRange(path: String, index: Int, bytes: [UInt8], map: RangeMap) throws {
        if let reason = TarStreamScanner.forbiddenReason(name: path, type: UInt8(ascii: "0"), mode: 0o600, linkName: "", prefix: "") {
            throw ChainAssemblyError(reason: "range entry for \(path.debugDescription): \(reason)")
        }
        guard let file = map.files[path] else {
            throw ChainAssemblyError(reason: "range entry for \(path), a file its range map does not list")
        }
        let offset = UInt64(index) * map.rangeSize
        guard offset < file.size, UInt64(bytes.count) == min(map.rangeSize, file.size - offset) else {
            throw ChainAssemblyError(reason: "range \(index) of \(path) (\(bytes.count) bytes) does not fit its recorded size \(file.size)")
        }
        let descriptor = try openBeneath(path, flags: O_WRONLY)
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, off_t(offset) + off_t(written)) }
            guard count > 0 else { throw FileError(operation: .write, path: (directory as NSString).appendingPathComponent(path), code: errno) }
            written += count
        }
    }

    /// Every file of `map` cut or extended to its size; regular files it does not list removed.
    private func settle(_ map: RangeMap) throws {
        for path in map.paths {
            let file = map.files[path]!
            let descriptor: Int32
            do {
                descriptor = try openBeneath(path, flags: O_WRONLY)
            } catch {
                throw ChainAssemblyError(reason: "\(path), listed in the range map, is not in the assembled tree (\(error))")
            }
            defer { close(descriptor) }
            var info = stat()
            guard fstat(descriptor, &info) == 0 else { throw FileError(operation: .open, path: path, code: errno) }
            if UInt64(info.st_size) != file.size, ftruncate(descriptor, off_t(file.size)) != 0 {
                throw FileError(operation: .write, path: (directory as NSString).appendingPathComponent(path), code: errno)
            }
        }
        for path in regularFiles() where map.files[path] == nil {
            try removeBeneath(path)
        }
    }

    /// The file's size and range hashes against the map; `nil` when they match.
    private func compare(_ descriptor: Int32, path: String, file: RangeMap.File, map: RangeMap) throws -> String? {
        var buffer = [UInt8](repeating: 0, count: Int(map.rangeSize))
        var offset: UInt64 = 0
        var index = 0
        while true {
            let filled = try buffer.withUnsafeMutableBytes { try PositionalRead.fill(descriptor, $0, at: offset, path: path) }
            if filled == 0 { break }
            guard map.holds(path, range: index, hash: SHA256.hash(data: buffer[0..<filled])) else {
                return "\(path): range \(index) differs from the range map"
            }
            offset += UInt64(filled)
            index += 1
            if filled < buffer.count { break }
        }
        return offset == file.size ? nil : "\(path): \(offset) bytes, the range map says \(file.size)"
    }

    /// Regular files below the directory (relative paths), symbolic links not followed.
    private func regularFiles() -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var found: [String] = []
        while let name = walker.nextObject() as? String {
            var info = stat()
            if lstat((directory as NSString).appendingPathComponent(name), &info) == 0, info.st_mode & S_IFMT == S_IFREG { found.append(name) }
        }
        return found
    }

    /// Opens `relative` below the directory, one component at a time with `O_NOFOLLOW`: a
    /// symbolic link anywhere on the way is refused; only a regular file of the server's
    /// account with one link is returned.
    private func openBeneath(_ relative: String, flags: Int32) throws -> Int32 {
        let (parent, name) = try openParent(of: relative)
        defer { close(parent) }
        let descriptor = openat(parent, name, flags | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError(operation: .open, path: (directory as NSString).appendingPathComponent(relative), code: errno) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_nlink == 1, info.st_uid == owner else {
            close(descriptor)
            throw ChainAssemblyError(reason: "\(relative) is not a plain file of \(user?.name ?? "this user") with one link")
        }
        return descriptor
    }

    private func removeBeneath(_ relative: String) throws {
        let (parent, name) = try openParent(of: relative)
        defer { close(parent) }
        guard unlinkat(parent, name, 0) == 0 || errno == ENOENT else {
            throw FileError(operation: .write, path: (directory as NSString).appendingPathComponent(relative), code: errno)
        }
    }

    /// The directory holding `relative`, opened without following a link, and the last component.
    private func openParent(of relative: String) throws -> (Int32, String) {
        var components = relative.split(separator: "/").map(String.init).filter { $0 != "." }
        guard let name = components.popLast(), !components.contains("..") && name != ".." else {
            throw ChainAssemblyError(reason: "\(relative.debugDescription) is not a path below the data directory")
        }
        var current = open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard current >= 0 else { throw FileError(operation: .open, path: directory, code: errno) }
        for component in components {
            let next = openat(current, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            close(current)
            guard next >= 0 else { throw FileError(operation: .open, path: (directory as NSString).appendingPathComponent(relative), code: errno) }
            current = next
        }
        return (current, name)
    }
}

/// Why an incremental could not be applied (a range entry refused, a listed file missing).
struct ChainAssemblyError: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
