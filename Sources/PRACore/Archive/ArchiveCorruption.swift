import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Ways to damage a backup on purpose, for drills and tests of the verifier. Each one is a
/// kind of damage that storage, copies or people inflict on real archives.
public enum ArchiveCorruption: Sendable, Equatable, CustomStringConvertible {
    /// Flip `count` bits at positions drawn from `seed` (deterministic), avoiding the gzip header.
    case bitFlips(count: Int, seed: UInt64)
    /// Cut the archive to `fraction` of its size.
    case truncate(fraction: Double)
    /// Overwrite `length` bytes with zeros starting at `fraction` of the size.
    case zeroBlock(fraction: Double, length: Int)
    /// Append bytes after the end of the gzip stream.
    case appendGarbage(bytes: Int)
    /// Delete the manifest (the backup becomes incomplete).
    case deleteManifest
    /// Change the manifest's SHA-256 (the archive no longer matches it).
    case alterManifest

    public var description: String {
        switch self {
        case .bitFlips(let count, let seed): return "\(count) bit flip(s), seed \(seed)"
        case .truncate(let fraction): return "truncated to \(Int(fraction * 100))%"
        case .zeroBlock(let fraction, let length): return "\(length) zeroed bytes at \(Int(fraction * 100))%"
        case .appendGarbage(let bytes): return "\(bytes) bytes of garbage appended"
        case .deleteManifest: return "manifest deleted"
        case .alterManifest: return "manifest checksum altered"
        }
    }

    /// Applies the damage to `archivePath` (and its manifest) in place.
    public func apply(to archivePath: String) throws {
        let manifestPath = archivePath + BackupArchiveName.manifestSuffix
        switch self {
        case .bitFlips(let count, let seed):
            var data = try Data(contentsOf: URL(fileURLWithPath: archivePath))
            var state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
            for _ in 0..<count {
                // xorshift64: deterministic positions for a given seed.
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                let span = max(1, data.count - 20 - 8)
                let position = 20 + Int(state % UInt64(span))
                data[position] ^= UInt8(1 << (state >> 60 & 7))
            }
            try data.write(to: URL(fileURLWithPath: archivePath))
        case .truncate(let fraction):
            let size = try Self.size(of: archivePath)
            guard Glibc.truncate(archivePath, off_t(Double(size) * fraction)) == 0 else {
                throw FileError(operation: .write, path: archivePath, code: errno)
            }
        case .zeroBlock(let fraction, let length):
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: archivePath))
            defer { try? handle.close() }
            let size = try Self.size(of: archivePath)
            let offset = min(UInt64(Double(size) * fraction), UInt64(max(0, size - length)))
            try handle.seek(toOffset: offset)
            try handle.write(contentsOf: Data(repeating: 0, count: min(length, size)))
        case .appendGarbage(let bytes):
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: archivePath))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data((0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }))
        case .deleteManifest:
            guard unlink(manifestPath) == 0 else { throw FileError(operation: .remove, path: manifestPath, code: errno) }
        case .alterManifest:
            var manifest = try BackupManifest.load(path: manifestPath)
            manifest.sha256 = String(manifest.sha256.reversed())
            try manifest.encoded().write(to: URL(fileURLWithPath: manifestPath))
        }
    }

    static func size(of path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}
