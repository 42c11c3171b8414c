import CPosix
import Foundation

/// Follows a tar stream as it passes (ustar, as pg_basebackup writes it): counts the entries,
/// keeps the content of the one entry asked for, knows whether the end-of-archive marker was
/// reached, and refuses any entry pg_basebackup never writes (``forbiddenEntry``) before it can
/// reach `tar -x`: only regular files and directories, symbolic links only as
/// `pg_tblspc/<oid>`, no setuid, setgid or sticky bits, no hard links, devices, FIFOs, pax or
/// GNU long-name headers, no `.`, absolute or `..` paths, no ustar name prefix. A base backup
/// in `BACKUP_DIR` may have been written by whoever can write there (the server's account).
/// Holds at most one header block and the kept entry in memory.
public struct TarStreamScanner {
    /// The entry whose content is kept (pg_basebackup's `backup_manifest`).
    public let keptEntryName: String
    public private(set) var keptContent: [UInt8]?
    public private(set) var entryCount = 0
    /// Two zero blocks seen: the archive ended properly.
    public private(set) var reachedEnd = false
    /// Why the stream is not a tar archive, once it is known.
    public private(set) var problem: String?
    /// The first entry a base backup may not hold, and why: nothing from it on may be extracted.
    public private(set) var forbiddenEntry: String?
    /// When set, each regular file PostgreSQL's manifest gives a CRC-32C is checked as it passes.
    public var checksums: PostgresBackupManifestChecksums?
    /// Files whose size or CRC-32C differs from the manifest's, described: the first ten, then
    /// one line saying that more differ.
    public private(set) var checksumMismatches: [String] = []
    /// Paths whose content matched the manifest's CRC-32C.
    public private(set) var checksummedPaths: Set<String> = []

    private var header: [UInt8] = []
    private var remainingContent: UInt64 = 0
    private var remainingPadding: UInt64 = 0
    private var keeping = false
    private var zeroBlocks = 0
    /// The file being checksummed, what the manifest expects and the running CRC.
    private var checked: (path: String, expected: PostgresBackupManifestChecksums.Expected, size: UInt64)?
    private var crc: UInt32 = 0xFFFF_FFFF

    public init(keeping name: String) {
        keptEntryName = name
    }

    public mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        while index < bytes.count && problem == nil && forbiddenEntry == nil && !reachedEnd {
            if remainingContent > 0 {
                let take = Int(min(UInt64(bytes.count - index), remainingContent))
                if keeping { keptContent?.append(contentsOf: bytes[index..<(index + take)]) }
                if checked != nil { crc = pra_crc32c(crc, bytes.baseAddress! + index, take) }
                remainingContent -= UInt64(take)
                index += take
                if remainingContent == 0 { finishChecksum() }
            } else if remainingPadding > 0 {
                let take = Int(min(UInt64(bytes.count - index), remainingPadding))
                remainingPadding -= UInt64(take)
                index += take
            } else {
                let take = min(bytes.count - index, 512 - header.count)
                header.append(contentsOf: bytes[index..<(index + take)])
                index += take
                if header.count == 512 {
                    readHeader()
                    header.removeAll(keepingCapacity: true)
                }
            }
        }
    }

    private mutating func readHeader() {
        if header.allSatisfy({ $0 == 0 }) {
            zeroBlocks += 1
            if zeroBlocks == 2 { reachedEnd = true }
            return
        }
        zeroBlocks = 0
        let name = Self.text(header[0..<100])
        guard let size = Self.size(header[124..<136]) else {
            problem = "entry \(entryCount + 1) (\(name)) has an unreadable size field"
            return
        }
        entryCount += 1
        if let reason = Self.forbiddenReason(name: name, type: header[156], mode: Self.size(header[100..<108]), linkName: Self.text(header[157..<257]), prefix: Self.text(header[345..<500])) {
            forbiddenEntry = "entry \(entryCount) (\(name.isEmpty ? "no name" : name.debugDescription)): \(reason)"
            return
        }
        remainingContent = size
        remainingPadding = (512 - size % 512) % 512
        keeping = name == keptEntryName
        if keeping { keptContent = [] }
        let regular = header[156] == UInt8(ascii: "0") || header[156] == 0
        if regular, let expected = checksums?.files[name] {
            checked = (name, expected, size)
            crc = 0xFFFF_FFFF
            if size == 0 { finishChecksum() }
        }
    }

    /// Every file the manifest gives a CRC-32C passed and matched (and the manifest lists no
    /// checksum this scanner cannot check).
    public var allChecksumsMatched: Bool {
        guard let checksums else { return false }
        return checksums.complete && checksumMismatches.isEmpty && checksummedPaths.count == checksums.files.count
    }

    private mutating func finishChecksum() {
        guard let file = checked else { return }
        checked = nil
        let found = crc ^ 0xFFFF_FFFF
        if file.size == file.expected.size && found == file.expected.crc32c {
            checksummedPaths.insert(file.path)
        } else if checksumMismatches.count < 10 {
            checksumMismatches.append(file.size != file.expected.size
                ? "\(file.path): \(file.size) bytes, backup_manifest says \(file.expected.size)"
                : "\(file.path): CRC-32C \(String(format: "%08x", found)), backup_manifest says \(String(format: "%08x", file.expected.crc32c))")
        } else if checksumMismatches.count == 10 {
            checksumMismatches.append("and more files differ from backup_manifest")
        }
    }

    /// Why an entry may not be extracted from a base backup, `nil` when it may.
    static func forbiddenReason(name: String, type: UInt8, mode: UInt64?, linkName: String, prefix: String) -> String? {
        guard prefix.isEmpty else { return "a ustar name prefix (pg_basebackup never writes one)" }
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        if name.isEmpty || name.hasPrefix("/") { return "an absolute or empty path" }
        if components.contains("..") { return "a path with a .. component" }
        // pg_basebackup writes "./pg_wal/archive_status"; "." alone is the target directory itself.
        if components.allSatisfy({ $0 == "." || $0.isEmpty }) { return "the entry . (it would change the target directory itself)" }
        guard let mode else { return "an unreadable mode field" }
        if mode & 0o7000 != 0 { return String(format: "mode %04o: setuid, setgid or sticky bits", Int(mode & 0o7777)) }
        // pg_basebackup writes 0700/0600, or 0750/0640 for a cluster with group access: never
        // anything others may touch, nor group write (a world-writable global/ would let any
        // local account rewrite the recovered cluster's catalogs).
        if mode & 0o027 != 0 { return String(format: "mode %04o: writable by the group or open to others (a data directory never is)", Int(mode & 0o7777)) }
        switch type {
        case UInt8(ascii: "0"), 0: return nil
        case UInt8(ascii: "5"): return nil
        case UInt8(ascii: "2"):
            let parts = name.split(separator: "/")
            if parts.count == 2, parts[0] == "pg_tblspc", parts[1].allSatisfy(\.isNumber), !linkName.isEmpty { return nil }
            return "a symbolic link to \(linkName.debugDescription) outside pg_tblspc/"
        case UInt8(ascii: "1"): return "a hard link to \(linkName.debugDescription)"
        case UInt8(ascii: "3"), UInt8(ascii: "4"): return "a device node"
        case UInt8(ascii: "6"): return "a FIFO"
        case UInt8(ascii: "x"), UInt8(ascii: "g"): return "a pax header (it can rename the next entry)"
        case UInt8(ascii: "L"), UInt8(ascii: "K"): return "a GNU long name or link header"
        default: return "entry type \(String(decoding: [type], as: UTF8.self).debugDescription), not a regular file or directory"
        }
    }

    static func text(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Octal digits, or GNU base-256 (high bit set) for large files.
    static func size(_ field: ArraySlice<UInt8>) -> UInt64? {
        if let first = field.first, first & 0x80 != 0 {
            return field.dropFirst().reduce(UInt64(first & 0x7f)) { $0 << 8 | UInt64($1) }
        }
        let digits = field.prefix { $0 != 0 && $0 != 0x20 }.drop { $0 == 0x20 }
        if digits.isEmpty { return 0 }
        return UInt64(String(decoding: digits, as: UTF8.self), radix: 8)
    }
}
