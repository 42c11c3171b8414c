import Crypto
import Foundation

/// What a base backup holds, file by file: each regular file's size, mode and the SHA-256 of
/// each fixed range of its content (``rangeSize``, 1 MiB). Written beside every base backup
/// archive (`<archive>.ranges`, its SHA-256 in the pra manifest); an incremental base backup
/// compares the files it copies against its reference's map and stores only the ranges whose
/// hash differs or that the reference lacks. An incremental's own map describes the complete
/// state it stands for (every file, changed or not), so the next one can chain on it.
///
/// Memory: 32 bytes per range (32 MiB per TiB of data at 1 MiB ranges) in one flat array, plus
/// a dictionary entry per file (about 100 bytes with its path).
public struct RangeMap: Sendable, Equatable {
    /// Suffix of the map file beside its archive.
    public static let fileSuffix = ".ranges"
    public static let defaultRangeSize: UInt64 = 1 << 20
    static let magic = Array("PRARMAP1".utf8)
    static let hashLength = 32

    /// One regular file: its size, mode and where its range hashes start in ``hashes``.
    public struct File: Sendable, Equatable {
        public var size: UInt64
        public var mode: UInt32
        /// Index (in hashes, not bytes) of its first range hash.
        public var firstHash: Int
    }

    public let rangeSize: UInt64
    public private(set) var files: [String: File] = [:]
    /// Paths in the order they were added (the tar's order), for a stable encoding.
    public private(set) var paths: [String] = []
    /// The range hashes of every file, 32 bytes each, one after another.
    public private(set) var hashes: [UInt8] = []

    public init(rangeSize: UInt64 = Self.defaultRangeSize) {
        precondition(rangeSize > 0)
        self.rangeSize = rangeSize
    }

    /// How many ranges a file of `size` bytes has.
    public func rangeCount(size: UInt64) -> Int {
        Int((size + rangeSize - 1) / rangeSize)
    }

    /// Adds a file; `rangeHashes` holds one 32-byte hash per range, in order. A path added
    /// twice keeps the last (tar semantics: the later entry wins).
    public mutating func add(path: String, size: UInt64, mode: UInt32, rangeHashes: [UInt8]) {
        precondition(rangeHashes.count == rangeCount(size: size) * Self.hashLength)
        if files[path] == nil { paths.append(path) }
        files[path] = File(size: size, mode: mode, firstHash: hashes.count / Self.hashLength)
        hashes.append(contentsOf: rangeHashes)
    }

    /// The hash of range `index` of `path`, or `nil` when the map has no such range.
    public func hash(of path: String, range index: Int) -> ArraySlice<UInt8>? {
        guard let file = files[path], index >= 0, index < rangeCount(size: file.size) else { return nil }
        let start = (file.firstHash + index) * Self.hashLength
        return hashes[start..<(start + Self.hashLength)]
    }

    /// Whether range `index` of `path` with content hash `hash` is the same in this map (so an
    /// incremental need not store it). Equal hash is the only way a range is skipped.
    public func holds(_ path: String, range index: Int, hash: some Sequence<UInt8>) -> Bool {
        guard let known = self.hash(of: path, range: index) else { return false }
        return known.elementsEqual(hash)
    }

    /// The binary form: magic, range size, file count, then per file (in ``paths`` order) its
    /// path length, path, size, mode and range hashes; all integers little-endian.
    public func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.reserveCapacity(hashes.count + paths.count * 64 + 32)
        Self.append(rangeSize, to: &bytes)
        Self.append(UInt64(paths.count), to: &bytes)
        for path in paths {
            let file = files[path]!
            let name = Array(path.utf8)
            Self.append(UInt32(name.count), to: &bytes)
            bytes += name
            Self.append(file.size, to: &bytes)
            Self.append(file.mode, to: &bytes)
            let start = file.firstHash * Self.hashLength
            bytes += hashes[start..<(start + rangeCount(size: file.size) * Self.hashLength)]
        }
        return bytes
    }

    /// Decodes a map, treating it as hostile: every length is checked against what is left,
    /// so a damaged or forged map is refused, never read past its end.
    public static func decode(_ bytes: [UInt8]) throws(RangeMapError) -> RangeMap {
        var reader = Reader(bytes: bytes)
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else { throw RangeMapError("not a pra range map (wrong magic)") }
        reader.offset = magic.count
        let rangeSize = try reader.integer(UInt64.self)
        guard rangeSize > 0, rangeSize <= 1 << 30 else { throw RangeMapError("range size \(rangeSize) is out of bounds") }
        let count = try reader.integer(UInt64.self)
        guard count <= UInt64(bytes.count) else { throw RangeMapError("file count \(count) is larger than the map") }
        var map = RangeMap(rangeSize: rangeSize)
        for _ in 0..<count {
            let nameLength = Int(try reader.integer(UInt32.self))
            guard nameLength > 0, nameLength <= 4096 else { throw RangeMapError("a path length of \(nameLength) bytes") }
            let path = String(decoding: try reader.take(nameLength), as: UTF8.self)
            let size = try reader.integer(UInt64.self)
            let mode = try reader.integer(UInt32.self)
            guard size / rangeSize < UInt64(bytes.count) else { throw RangeMapError("\(path): size \(size) needs more range hashes than the map holds") }
            let ranges = try reader.take(map.rangeCount(size: size) * hashLength)
            map.add(path: path, size: size, mode: mode, rangeHashes: Array(ranges))
        }
        guard reader.offset == bytes.count else { throw RangeMapError("\(bytes.count - reader.offset) bytes after the last file") }
        return map
    }

    /// Reads the map at `path` and checks its SHA-256 against `sha256` (from the manifest)
    /// before decoding it.
    public static func load(path: String, sha256: String) throws(RangeMapError) -> RangeMap {
        guard let data = FileManager.default.contents(atPath: path) else { throw RangeMapError("\(path): cannot read the file") }
        let actual = SHA256.hash(data: data).hex
        guard actual == sha256 else { throw RangeMapError("\(path): SHA-256 \(actual.prefix(16))… does not match the manifest's \(sha256.prefix(16))…") }
        do {
            return try decode(Array(data))
        } catch {
            throw RangeMapError("\(path): \(error.reason)")
        }
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func take(_ count: Int) throws(RangeMapError) -> ArraySlice<UInt8> {
            guard count >= 0, count <= bytes.count - offset else { throw RangeMapError("ends early (truncated)") }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }

        mutating func integer<T: FixedWidthInteger>(_ type: T.Type) throws(RangeMapError) -> T {
            let slice = try take(MemoryLayout<T>.size)
            return slice.reversed().reduce(T(0)) { $0 << 8 | T($1) }
        }
    }
}

/// A range map that cannot be used: unreadable, not matching its manifest, or malformed.
public struct RangeMapError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "range map \(reason)" }
}
