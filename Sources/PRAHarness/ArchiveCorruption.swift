import Crypto
import Foundation
import PRACore

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
    /// Rewrite the archive without the first `count` data rows of `table` (`schema.name`, or a
    /// name in `public`; `nil`: the first table that has that many), and record the new checksum and sizes in the manifest (its row counts stay):
    /// an archive that verifies but no longer holds what was backed up, as a tool that rewrote
    /// it or someone who can write manifests leaves it. Only the restore's row counts tell.
    case dropRows(count: Int, table: String?)

    public var description: String {
        switch self {
        case .bitFlips(let count, let seed): return "\(count) bit flip(s), seed \(seed)"
        case .truncate(let fraction): return "truncated to \(Int(fraction * 100))%"
        case .zeroBlock(let fraction, let length): return "\(length) zeroed bytes at \(Int(fraction * 100))%"
        case .appendGarbage(let bytes): return "\(bytes) bytes of garbage appended"
        case .deleteManifest: return "manifest deleted"
        case .alterManifest: return "manifest checksum altered"
        case .dropRows(let count, let table): return "\(count) row(s) of \(table ?? "the first table") dropped, checksum rewritten"
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
        case .dropRows(let count, let table):
            try Self.dropRows(count, table: table, archivePath: archivePath, manifestPath: manifestPath)
        }
    }

    /// Streams the archive through inflate, a line filter and deflate into a new file, then
    /// puts it and a manifest describing it in place.
    private static func dropRows(_ count: Int, table: String?, archivePath: String, manifestPath: String) throws {
        var manifest = try BackupManifest.load(path: manifestPath)
        let output = try DurableFile(finalPath: archivePath, permissions: 0o640, replacing: true)
        let inflater = try GzipInflater()
        let deflater = try GzipDeflater()
        var hasher = SHA256()
        let write: (UnsafeRawBufferPointer) throws -> Void = { chunk in
            hasher.update(bufferPointer: chunk)
            try output.write(chunk)
        }
        var filter = RowDropper(count: count, table: table.map { $0.contains(".") ? $0 : "public." + $0 })
        let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: archivePath))
        defer { try? input.close() }
        while let chunk = try input.read(upToCount: 256 * 1024), !chunk.isEmpty {
            try chunk.withUnsafeBytes { compressed in
                try inflater.decompress(compressed) { plain in
                    try filter.feed(plain) { kept in try kept.withUnsafeBytes { try deflater.compress($0, sink: write) } }
                }
            }
        }
        try inflater.finish()
        try filter.flush { kept in try kept.withUnsafeBytes { try deflater.compress($0, sink: write) } }
        try deflater.finish(sink: write)
        guard filter.dropped == count else {
            throw NothingToDrop(archivePath: archivePath, count: count, table: table)
        }
        try output.commit(replacing: true)
        manifest.sha256 = hasher.finalize().hex
        manifest.compressedBytes = deflater.bytesOut
        manifest.uncompressedBytes = deflater.bytesIn
        try DurableFile.write(manifest.encoded(), to: manifestPath, permissions: 0o640)
    }

    /// `dropRows` found no table with enough rows.
    struct NothingToDrop: Error, CustomStringConvertible {
        let archivePath: String
        let count: Int
        let table: String?
        var description: String { "\(table.map { "table \($0)" } ?? "no table") in \(archivePath) \(table == nil ? "has" : "does not have") \(count) rows to drop" }
    }

    /// Passes a plain dump through line by line, leaving out the first `count` rows of the
    /// first COPY block (of `table`, when given) that has that many (a block with fewer rows is
    /// kept whole).
    private struct RowDropper {
        let count: Int
        let table: String?
        private(set) var dropped = 0
        private var line = Data()
        private var block: [Data] = []
        private var inCopy = false

        init(count: Int, table: String?) {
            self.count = count
            self.table = table
        }

        mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (Data) throws -> Void) throws {
            var start = 0
            for index in 0..<bytes.count where bytes[index] == UInt8(ascii: "\n") {
                line.append(contentsOf: bytes[start...index])
                try take(emit: emit)
                start = index + 1
            }
            line.append(contentsOf: bytes[start..<bytes.count])
        }

        mutating func flush(emit: (Data) throws -> Void) throws {
            if !line.isEmpty { try take(emit: emit) }
            try emit(block.reduce(into: Data()) { $0.append($1) })
            block = []
        }

        private mutating func take(emit: (Data) throws -> Void) throws {
            defer { line = Data() }
            guard dropped < count else { return try emit(line) }
            if !inCopy {
                let text = String(decoding: line, as: UTF8.self)
                inCopy = text.hasPrefix("COPY " + (table.map { $0 + " " } ?? "")) && text.hasSuffix("FROM stdin;\n")
                return try emit(line)
            }
            if line == Data("\\.\n".utf8) {
                // The block had fewer rows than asked: keep it whole.
                try emit(block.reduce(into: Data()) { $0.append($1) })
                block = []
                inCopy = false
                return try emit(line)
            }
            block.append(line)
            if block.count == count {
                dropped = count
                block = []
            }
        }
    }

    static func size(of path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}
