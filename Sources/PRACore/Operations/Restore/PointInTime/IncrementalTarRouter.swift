/// Splits the tar stream of an incremental base backup as it is extracted: its range entries
/// (`pra-range/<index>/<path>`, ``RangeMapTarFilter``) are handed to `range` whole (one range,
/// at most the map's range size, is buffered), everything else (directories, whole files, the
/// end-of-archive marker) goes on to `tar -x`. A range entry larger than a range is refused.
struct IncrementalTarRouter {
    let rangeSize: UInt64

    private enum State {
        case header
        /// Forwarding an entry's content and padding to tar.
        case forward
        /// Buffering a range entry's content, then skipping its padding.
        case range(path: String, index: Int)
        case skip
        /// After the end-of-archive marker or an unreadable header: everything goes to tar
        /// (the verifier's own scanner judges it).
        case ended
    }

    private var state = State.header
    private var header: [UInt8] = []
    private var remaining: UInt64 = 0
    private var padding: UInt64 = 0
    private var buffer: [UInt8] = []
    private var zeroBlocks = 0

    init(rangeSize: UInt64) {
        self.rangeSize = rangeSize
    }

    mutating func route(_ bytes: UnsafeRawBufferPointer, toTar: (UnsafeRawBufferPointer) throws -> Void, range: (String, Int, [UInt8]) throws -> Void) throws {
        var index = 0
        while index < bytes.count {
            switch state {
            case .ended:
                try toTar(UnsafeRawBufferPointer(rebasing: bytes[index...]))
                index = bytes.count
            case .header:
                let take = min(bytes.count - index, 512 - header.count)
                header.append(contentsOf: bytes[index..<(index + take)])
                index += take
                if header.count == 512 {
                    let block = header
                    header.removeAll(keepingCapacity: true)
                    try readHeader(block, toTar: toTar, range: range)
                }
            case .forward, .skip:
                let take = Int(min(UInt64(bytes.count - index), remaining))
                if case .forward = state { try toTar(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)])) }
                remaining -= UInt64(take)
                index += take
                if remaining == 0 { state = .header }
            case .range(let path, let rangeIndex):
                let take = Int(min(UInt64(bytes.count - index), remaining))
                buffer.append(contentsOf: bytes[index..<(index + take)])
                remaining -= UInt64(take)
                index += take
                if remaining == 0 {
                    try range(path, rangeIndex, buffer)
                    buffer.removeAll(keepingCapacity: true)
                    remaining = padding
                    state = padding == 0 ? .header : .skip
                }
            }
        }
    }

    private mutating func readHeader(_ block: [UInt8], toTar: (UnsafeRawBufferPointer) throws -> Void, range: (String, Int, [UInt8]) throws -> Void) throws {
        if block.allSatisfy({ $0 == 0 }) {
            try block.withUnsafeBytes { try toTar($0) }
            zeroBlocks += 1
            if zeroBlocks == 2 { state = .ended }
            return
        }
        zeroBlocks = 0
        let name = TarStreamScanner.text(block[0..<100])
        guard let size = TarStreamScanner.size(block[124..<136]) else {
            try block.withUnsafeBytes { try toTar($0) }
            state = .ended
            return
        }
        padding = (512 - size % 512) % 512
        if RangeMapTarFilter.normalized(name).hasPrefix(RangeMapTarFilter.rangePrefix) {
            guard let parsed = RangeMapTarFilter.parseRangeEntry(name), block[156] == UInt8(ascii: "0") || block[156] == 0 else {
                throw ChainAssemblyError(reason: "malformed range entry \(name.debugDescription)")
            }
            guard size > 0, size <= rangeSize else {
                throw ChainAssemblyError(reason: "range entry \(name.debugDescription) holds \(size) bytes, not 1 to \(rangeSize)")
            }
            remaining = size
            state = .range(path: parsed.path, index: parsed.index)
            return
        }
        try block.withUnsafeBytes { try toTar($0) }
        remaining = size + padding
        state = remaining == 0 ? .header : .forward
    }
}
