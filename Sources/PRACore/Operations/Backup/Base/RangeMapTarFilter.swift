import Crypto
import Foundation

/// Sits between pg_basebackup's tar stream and the compressor of every base backup: builds the
/// new backup's ``RangeMap`` (each regular file hashed in ranges as it passes) and, for an
/// incremental (`reference` set), rewrites the stream so that it holds only what changed.
///
/// - A file the reference lacks, `backup_manifest`, and one whose range entry name would not
///   fit a ustar name: passed through whole (its header and content unchanged).
/// - A file the reference has: its header is dropped and each range is buffered (one range at
///   most in memory), hashed, and stored as its own entry `pra-range/<index>/<path>` only when
///   its hash differs from the reference's (or the reference lacks it). An equal hash is the
///   only reason a range is left out.
/// - Directories, symbolic links and the end-of-archive marker: passed through.
///
/// The map records every file (changed or not) with its new size, so a restore truncates or
/// extends to it, and files absent from it are deleted.
public struct RangeMapTarFilter {
    /// Top directory of the range entries; a data directory has no such entry.
    public static let rangePrefix = "pra-range/"
    /// pg_basebackup's own manifest, always stored whole (the archive's verification reads it).
    static let postgresManifestEntry = "backup_manifest"

    public let reference: RangeMap?
    public private(set) var map: RangeMap
    /// Ranges stored in the stream (whole files count theirs), and ranges left to the reference.
    public private(set) var storedRanges = 0
    public private(set) var referencedRanges = 0

    private enum State {
        case header
        /// Copying a file's content (and hashing it) as it is.
        case whole
        /// Buffering a file's content range by range.
        case ranged
        /// Skipping (`passThrough` false) or copying padding / non-file content.
        case other(passThrough: Bool)
        /// After the end-of-archive marker: everything passes.
        case ended
    }

    private var state = State.header
    private var header: [UInt8] = []
    private var zeroBlocks = 0
    /// The current file.
    private var path = ""
    private var originalHeader: [UInt8] = []
    private var size: UInt64 = 0
    private var mode: UInt32 = 0
    private var remaining: UInt64 = 0
    private var padding: UInt64 = 0
    private var rangeIndex = 0
    private var rangeHasher = SHA256()
    private var rangeFill: UInt64 = 0
    private var rangeBuffer: [UInt8] = []
    private var fileHashes: [UInt8] = []

    public init(reference: RangeMap?, rangeSize: UInt64 = RangeMap.defaultRangeSize) {
        self.reference = reference
        map = RangeMap(rangeSize: reference?.rangeSize ?? rangeSize)
    }

    /// Feeds the next piece of the tar stream; `emit` receives the rewritten stream.
    public mutating func process(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var index = 0
        while index < bytes.count {
            switch state {
            case .ended:
                try emit(UnsafeRawBufferPointer(rebasing: bytes[index...]))
                index = bytes.count
            case .header:
                let take = min(bytes.count - index, 512 - header.count)
                header.append(contentsOf: bytes[index..<(index + take)])
                index += take
                if header.count == 512 {
                    let block = header
                    header.removeAll(keepingCapacity: true)
                    try readHeader(block, emit: emit)
                }
            case .whole:
                let take = Int(min(UInt64(bytes.count - index), remaining, map.rangeSize - rangeFill))
                let piece = UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)])
                rangeHasher.update(bufferPointer: piece)
                try emit(piece)
                consumed(take)
                index += take
                if rangeFill == map.rangeSize || remaining == 0 { closeRange(stored: true) }
                if remaining == 0 { try endFile(emitPadding: true, emit: emit) }
            case .ranged:
                let take = Int(min(UInt64(bytes.count - index), remaining, map.rangeSize - rangeFill))
                rangeBuffer.append(contentsOf: bytes[index..<(index + take)])
                consumed(take)
                index += take
                if rangeFill == map.rangeSize || remaining == 0 { try flushRange(emit: emit) }
                if remaining == 0 { try endFile(emitPadding: false, emit: emit) }
            case .other(let passThrough):
                let take = Int(min(UInt64(bytes.count - index), remaining))
                if passThrough { try emit(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)])) }
                remaining -= UInt64(take)
                index += take
                if remaining == 0 { state = .header }
            }
        }
    }

    /// Builds the map entry of the file just ended and moves on to its padding.
    private mutating func endFile(emitPadding: Bool, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        map.add(path: path, size: size, mode: mode, rangeHashes: fileHashes)
        fileHashes.removeAll(keepingCapacity: true)
        remaining = padding
        state = padding == 0 ? .header : .other(passThrough: emitPadding)
    }

    private mutating func consumed(_ count: Int) {
        remaining -= UInt64(count)
        rangeFill += UInt64(count)
    }

    private mutating func closeRange(stored: Bool) {
        fileHashes += rangeHasher.finalize()
        rangeHasher = SHA256()
        rangeFill = 0
        rangeIndex += 1
        if stored { storedRanges += 1 } else { referencedRanges += 1 }
    }

    /// A buffered range: stored as its own entry unless the reference holds the same hash.
    private mutating func flushRange(emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let digest = Array(SHA256.hash(data: rangeBuffer))
        let unchanged = reference?.holds(path, range: rangeIndex, hash: digest) ?? false
        if !unchanged {
            let entry = Self.rangeHeader(from: originalHeader, name: Self.rangeEntryName(path: path, index: rangeIndex)!, size: UInt64(rangeBuffer.count))
            try entry.withUnsafeBytes { try emit($0) }
            try rangeBuffer.withUnsafeBytes { try emit($0) }
            let pad = (512 - rangeBuffer.count % 512) % 512
            if pad > 0 { try [UInt8](repeating: 0, count: pad).withUnsafeBytes { try emit($0) } }
        }
        fileHashes += digest
        rangeBuffer.removeAll(keepingCapacity: true)
        rangeFill = 0
        rangeIndex += 1
        if unchanged { referencedRanges += 1 } else { storedRanges += 1 }
    }

    private mutating func readHeader(_ block: [UInt8], emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        if block.allSatisfy({ $0 == 0 }) {
            try block.withUnsafeBytes { try emit($0) }
            zeroBlocks += 1
            if zeroBlocks == 2 { state = .ended }
            return
        }
        zeroBlocks = 0
        let name = TarStreamScanner.text(block[0..<100])
        // A header the scanner refuses makes the backup fail anyway; pass it on for it to see.
        guard let entrySize = TarStreamScanner.size(block[124..<136]) else {
            try block.withUnsafeBytes { try emit($0) }
            state = .ended
            return
        }
        let type = block[156]
        padding = (512 - entrySize % 512) % 512
        guard type == UInt8(ascii: "0") || type == 0 else {
            try block.withUnsafeBytes { try emit($0) }
            remaining = entrySize + padding
            state = remaining == 0 ? .header : .other(passThrough: true)
            return
        }
        path = Self.normalized(name)
        originalHeader = block
        size = entrySize
        mode = UInt32(TarStreamScanner.size(block[100..<108]) ?? 0o600)
        remaining = entrySize
        rangeIndex = 0
        rangeFill = 0
        let ranged = reference?.files[path] != nil && path != Self.postgresManifestEntry
            && Self.rangeEntryName(path: path, index: map.rangeCount(size: entrySize)) != nil
        if !ranged {
            try block.withUnsafeBytes { try emit($0) }
        }
        if entrySize == 0 {
            map.add(path: path, size: 0, mode: mode, rangeHashes: [])
            remaining = padding
            state = .header
        } else {
            state = ranged ? .ranged : .whole
        }
    }

    /// The path as the map keys it: without pg_basebackup's occasional leading `./`.
    public static func normalized(_ name: String) -> String {
        var path = Substring(name)
        while path.hasPrefix("./") { path = path.dropFirst(2) }
        return String(path)
    }

    /// `pra-range/<index>/<path>`, or `nil` when it would not fit the 100-byte ustar name.
    public static func rangeEntryName(path: String, index: Int) -> String? {
        let name = "\(rangePrefix)\(index)/\(path)"
        return name.utf8.count < 100 ? name : nil
    }

    /// Splits a range entry name into the file's path and the range index; `nil` when it is
    /// not one (or is malformed: the restore refuses those).
    public static func parseRangeEntry(_ name: String) -> (path: String, index: Int)? {
        let entry = normalized(name)
        guard entry.hasPrefix(rangePrefix) else { return nil }
        let rest = entry.dropFirst(rangePrefix.count)
        guard let slash = rest.firstIndex(of: "/"), let index = Int(rest[..<slash]), index >= 0 else { return nil }
        let path = String(rest[rest.index(after: slash)...])
        return path.isEmpty ? nil : (path, index)
    }

    /// A regular-file header for a range entry: the file's own header (owner, mode, time) with
    /// the name, size and checksum replaced.
    static func rangeHeader(from original: [UInt8], name: String, size: UInt64) -> [UInt8] {
        var block = original
        let nameBytes = Array(name.utf8)
        for index in 0..<100 { block[index] = index < nameBytes.count ? nameBytes[index] : 0 }
        TarHeader.put(octal: size, width: 12, at: 124, in: &block)
        block[156] = UInt8(ascii: "0")
        for index in 345..<500 { block[index] = 0 }
        TarHeader.seal(&block)
        return block
    }
}
