import CZlib

/// Streaming gzip decompressor. Owns one heap-allocated `z_stream`, released in `deinit`.
///
/// Accepts concatenated gzip members (as `gzip -c a b` writes and as `gunzip` accepts) and
/// reports anything after the last member that is not another member as trailing garbage.
public final class GzipInflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8]
    private var betweenMembers = false
    private var memberInProgress = false
    /// gzip members read to their end so far.
    private(set) var membersCompleted = 0
    private var consumed: UInt64 = 0
    private var produced: UInt64 = 0
    private var pendingMagic: [UInt8] = []

    public init(chunkSize: Int = 256 * 1024) throws(GzipError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = [UInt8](repeating: 0, count: chunkSize)
        // windowBits 15 + 16: gzip wrapper only, so a raw zlib or plain file is rejected.
        guard pra_inflateInit2(stream, 15 + 16) == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw GzipError(kind: .initialisationFailed, zlibMessage: nil, compressedOffset: 0)
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compressed bytes consumed so far.
    public var compressedBytes: UInt64 { consumed }
    /// Uncompressed bytes produced so far.
    public var uncompressedBytes: UInt64 { produced }

    /// Decompresses `input`, handing each uncompressed chunk to `sink`.
    public func decompress(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var remaining = input
        while !remaining.isEmpty {
            if betweenMembers {
                try startNextMember(&remaining, sink: sink)
                continue
            }
            memberInProgress = true
            let used = try feed(remaining, sink: sink)
            remaining = UnsafeRawBufferPointer(rebasing: remaining[used...])
        }
    }

    /// After a member ended, the next bytes must be another member's magic (1f 8b).
    private func startNextMember(_ remaining: inout UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let magic: [UInt8] = [0x1f, 0x8b]
        let garbageOffset = consumed - UInt64(pendingMagic.count)
        pendingMagic.append(remaining[0])
        remaining = UnsafeRawBufferPointer(rebasing: remaining[1...])
        consumed += 1
        guard pendingMagic == Array(magic.prefix(pendingMagic.count)) else {
            throw GzipError(kind: .trailingGarbage, zlibMessage: nil, compressedOffset: garbageOffset)
        }
        guard pendingMagic.count == magic.count else { return }
        inflateReset(stream)
        betweenMembers = false
        memberInProgress = true
        pendingMagic = []
        consumed -= UInt64(magic.count)  // counted again when replayed below
        try magic.withUnsafeBytes { _ = try feed($0, sink: sink) }
    }

    /// Declares the end of input; throws when the stream stopped in the middle of a member.
    public func finish() throws {
        if !pendingMagic.isEmpty {
            throw GzipError(kind: .trailingGarbage, zlibMessage: nil, compressedOffset: consumed - UInt64(pendingMagic.count))
        }
        if memberInProgress || membersCompleted == 0 {
            throw GzipError(kind: .truncated, zlibMessage: consumed == 0 ? "empty input" : nil, compressedOffset: consumed)
        }
    }

    /// Feeds bytes into the current member; returns how many input bytes it consumed.
    @discardableResult
    private func feed(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
        stream.pointee.avail_in = uInt(input.count)
        let capacity = output.count
        let startIn = input.count
        try output.withUnsafeMutableBytes { buffer in
            let base = buffer.bindMemory(to: Bytef.self).baseAddress!
            while true {
                stream.pointee.next_out = base
                stream.pointee.avail_out = uInt(capacity)
                let before = Int(stream.pointee.avail_in)
                let status = inflate(stream, Z_NO_FLUSH)
                consumed += UInt64(before - Int(stream.pointee.avail_in))
                let count = capacity - Int(stream.pointee.avail_out)
                if count > 0 {
                    produced += UInt64(count)
                    try sink(UnsafeRawBufferPointer(start: base, count: count))
                }
                switch status {
                case Z_STREAM_END:
                    membersCompleted += 1
                    memberInProgress = false
                    betweenMembers = true
                    return
                case Z_OK:
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { return }
                case Z_BUF_ERROR:
                    // No progress possible: needs more input.
                    return
                case Z_DATA_ERROR:
                    let message = GzipDeflater.message(stream)
                    if produced == 0 && consumed <= 10 && message == "incorrect header check" {
                        throw GzipError(kind: .notGzip, zlibMessage: message, compressedOffset: 0)
                    }
                    throw GzipError(kind: .corruptData, zlibMessage: message, compressedOffset: consumed)
                default:
                    throw GzipError(kind: .internalError, zlibMessage: GzipDeflater.message(stream), compressedOffset: consumed)
                }
            }
        }
        return startIn - Int(stream.pointee.avail_in)
    }
}
