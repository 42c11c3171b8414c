/// Follows a tar stream as it passes (ustar, as pg_basebackup writes it): counts the entries,
/// keeps the content of the one entry asked for, and knows whether the end-of-archive marker
/// was reached. Holds at most one header block and the kept entry in memory.
public struct TarStreamScanner {
    /// The entry whose content is kept (pg_basebackup's `backup_manifest`).
    public let keptEntryName: String
    public private(set) var keptContent: [UInt8]?
    public private(set) var entryCount = 0
    /// Two zero blocks seen: the archive ended properly.
    public private(set) var reachedEnd = false
    /// Why the stream is not a tar archive, once it is known.
    public private(set) var problem: String?

    private var header: [UInt8] = []
    private var remainingContent: UInt64 = 0
    private var remainingPadding: UInt64 = 0
    private var keeping = false
    private var zeroBlocks = 0

    public init(keeping name: String) {
        keptEntryName = name
    }

    public mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        while index < bytes.count && problem == nil && !reachedEnd {
            if remainingContent > 0 {
                let take = Int(min(UInt64(bytes.count - index), remainingContent))
                if keeping { keptContent?.append(contentsOf: bytes[index..<(index + take)]) }
                remainingContent -= UInt64(take)
                index += take
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
        remainingContent = size
        remainingPadding = (512 - size % 512) % 512
        keeping = name == keptEntryName
        if keeping { keptContent = [] }
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
