import Foundation

/// Cuts one `COPY ... FROM stdin` data stream, as it arrives in pieces of any size, into chunks
/// that end at data-line boundaries, and finds its end (the `\.` line).
///
/// In COPY's text format a backslash in a value is written `\\`, so a line that starts with
/// `\.` is only ever the end marker; `\.` elsewhere in a line (or a line starting `\\.`) is
/// data. A chunk is cut after the first complete line that brings it to `chunkSize` bytes or
/// more, so every chunk is whole rows (a row longer than `chunkSize` makes a chunk of its own).
/// Only the first three bytes of a line are kept: memory does not grow with line length.
struct CopyDataSplitter {
    /// What the caller does with the stream, in order.
    enum Event {
        /// Bytes of the current chunk (possibly part of a line).
        case data(UnsafeRawBufferPointer)
        /// The current chunk is complete (it ends with a newline); the next bytes start another.
        case cut
        /// The end marker line was read; its bytes (e.g. `\.` and the newline) were already
        /// given as `.data` and are not part of the COPY's data.
        case end(marker: [UInt8])
    }

    let chunkSize: Int
    /// The first bytes (up to 3) of the line being read.
    private var lineStart: [UInt8] = []
    /// Bytes given as `.data` since the last cut or end.
    private(set) var chunkBytes = 0

    init(chunkSize: Int) {
        self.chunkSize = max(1, chunkSize)
    }

    /// Takes COPY data from `base[start..<count]`; returns where it stopped: just after the end
    /// marker line, or `count` when the data goes on in the next piece.
    mutating func take(_ base: UnsafePointer<UInt8>, from start: Int, count: Int, _ emit: (Event) throws -> Void) rethrows -> Int {
        var segment = start
        var index = start
        while index < count {
            var taken = index
            while lineStart.count < 3 && taken < count && base[taken] != 0x0A {
                lineStart.append(base[taken])
                taken += 1
            }
            guard let found = memchr(base + index, 0x0A, count - index) else { break }
            let lineEnd = base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
            let first = lineStart
            lineStart.removeAll(keepingCapacity: true)
            index = lineEnd
            if first == [0x5C, 0x2E] || first == [0x5C, 0x2E, 0x0D] {
                try flush(base, segment, lineEnd, emit)
                chunkBytes = 0
                try emit(.end(marker: first + [0x0A]))
                return lineEnd
            }
            if chunkBytes + (lineEnd - segment) >= chunkSize {
                try flush(base, segment, lineEnd, emit)
                segment = lineEnd
                chunkBytes = 0
                try emit(.cut)
            }
        }
        try flush(base, segment, count, emit)
        return count
    }

    private mutating func flush(_ base: UnsafePointer<UInt8>, _ from: Int, _ to: Int, _ emit: (Event) throws -> Void) rethrows {
        guard to > from else { return }
        chunkBytes += to - from
        try emit(.data(UnsafeRawBufferPointer(start: base + from, count: to - from)))
    }
}
