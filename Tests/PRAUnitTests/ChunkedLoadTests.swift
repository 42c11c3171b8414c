import Foundation
import Testing

@testable import PRACore

/// The server-free parts of the chunked parallel restore: where COPY data is cut
/// (``CopyDataSplitter``) and the spill ceiling (``SpillBudget``).
@Suite("chunked logical restore: cutting and spill accounting")
struct ChunkedLoadTests {
    /// What the splitter made of `data` fed in pieces of `piece` bytes: the chunks, the marker,
    /// and where it said the COPY data ended.
    static func split(_ data: [UInt8], chunkSize: Int, piece: Int) -> (chunks: [[UInt8]], marker: [UInt8]?, end: Int?) {
        var splitter = CopyDataSplitter(chunkSize: chunkSize)
        var chunks: [[UInt8]] = [[]]
        var marker: [UInt8]?
        var end: Int?
        var offset = 0
        data.withUnsafeBufferPointer { buffer in
            while offset < data.count && end == nil {
                let count = min(piece, data.count - offset)
                let stop = splitter.take(buffer.baseAddress! + offset, from: 0, count: count) { event in
                    switch event {
                    case .data(let bytes): chunks[chunks.count - 1].append(contentsOf: bytes)
                    case .cut: chunks.append([])
                    case .end(let line): marker = line
                    }
                }
                if marker != nil { end = offset + stop }
                offset += count
            }
        }
        return (chunks, marker, end)
    }

    @Test("COPY data is cut only after whole lines, every chunk but the last reaches the chunk size, and nothing is lost, whatever the piece size")
    func cutsAtLineBoundaries() {
        var rows: [UInt8] = []
        for index in 0..<500 { rows += Array("\(index)\tvalue \(String(repeating: "x", count: index % 37))\n".utf8) }
        let input = rows + Array("\\.\n".utf8) + Array("trailing SQL\n".utf8)
        for piece in [1, 2, 3, 7, 64, 1000, input.count] {
            let (chunks, marker, end) = Self.split(input, chunkSize: 256, piece: piece)
            #expect(marker == Array("\\.\n".utf8), "piece \(piece)")
            #expect(end == rows.count + 3, "piece \(piece)")
            let data = chunks.flatMap { $0 }
            // The marker line is given as data, then reported: the COPY's data is what precedes it.
            #expect(Array(data.dropLast(3)) == rows, "piece \(piece)")
            #expect(chunks.count > 10, "piece \(piece): \(chunks.count) chunks")
            for chunk in chunks.dropLast() {
                #expect(chunk.last == 0x0A)
                #expect(chunk.count >= 256 && chunk.count < 256 + 80, "\(chunk.count)")
            }
        }
    }

    @Test("a \\. inside a line, a line starting \\\\., or \\. followed by more text is data; only a line that is exactly \\. (or \\.\\r) ends the COPY")
    func endMarkerOnlyAlone() {
        let rows = Array("a\\.b\n\\\\.\n\\.x\n\t\\.\n".utf8)
        for terminator in ["\\.\n", "\\.\r\n"] {
            for piece in [1, 2, 5, 100] {
                let (chunks, marker, end) = Self.split(rows + Array(terminator.utf8) + Array("SET x = 1;\n".utf8), chunkSize: 1 << 20, piece: piece)
                #expect(marker == Array(terminator.utf8))
                #expect(end == rows.count + terminator.utf8.count)
                #expect(chunks.count == 1)
                #expect(Array(chunks[0].dropLast(terminator.utf8.count)) == rows)
            }
        }
    }

    @Test("a line longer than the chunk size makes one chunk of its own, kept whole; an empty COPY ends at once")
    func longLineAndEmpty() {
        let long = Array(repeating: UInt8(ascii: "y"), count: 10_000) + [0x0A]
        let input = Array("1\n".utf8) + long + Array("2\n".utf8) + Array("\\.\n".utf8)
        let (chunks, _, _) = Self.split(input, chunkSize: 100, piece: 333)
        // The cut comes after the long line; what follows stays short of a chunk, with the marker.
        #expect(chunks == [Array("1\n".utf8) + long, Array("2\n\\.\n".utf8)])

        let (empty, marker, end) = Self.split(Array("\\.\n".utf8), chunkSize: 100, piece: 1)
        #expect(marker != nil && end == 3)
        #expect(empty == [Array("\\.\n".utf8)])
    }

    @Test("the chunk size is a quarter of the spill limit, between 64 KiB and 32 MiB")
    func chunkSizes() {
        #expect(SpillBudget.chunkSize(limit: 512 << 20) == 32 << 20)
        #expect(SpillBudget.chunkSize(limit: 4 << 20) == 1 << 20)
        #expect(SpillBudget.chunkSize(limit: 100 << 10) == 64 << 10)
    }

    /// Runs `body` on a thread of its own after `delay` seconds (never on the test's
    /// cooperative pool, which the blocked reader would starve).
    static func later(_ delay: Double, _ body: @escaping @Sendable () -> Void) -> Thread {
        let thread = Thread {
            Thread.sleep(forTimeInterval: delay)
            body()
        }
        thread.start()
        return thread
    }

    @Test("the reader waits while the next bytes would pass the limit, until a worker releases a file; the peak never passes the limit")
    func budgetWaitsForRelease() throws {
        let budget = SpillBudget(limit: 1000)
        try budget.reserve(600, held: 0)
        // A chunk handed to a worker (600 bytes); the reader's new chunk has 0 bytes so far.
        let started = Date()
        _ = Self.later(0.2) { budget.release(600) }
        try budget.reserve(500, held: 0)
        #expect(Date().timeIntervalSince(started) >= 0.15)
        #expect(budget.current == 500)
        #expect(budget.peak == 600)
    }

    @Test("when only the reader's own chunk is on disk it writes on (no deadlock), and the peak says by how much the limit was passed")
    func ownChunkNeverWaits() throws {
        let budget = SpillBudget(limit: 1000)
        try budget.reserve(900, held: 0)
        try budget.reserve(900, held: 900)
        #expect(budget.peak == 1800)
        budget.release(1800)
        #expect(budget.current == 0)
    }

    @Test("a cancelled budget releases a waiting reader, which throws")
    func cancelReleasesReader() throws {
        let budget = SpillBudget(limit: 100)
        try budget.reserve(100, held: 0)
        _ = Self.later(0.1) { budget.cancel() }
        #expect(throws: SpillBudget.Cancelled.self) { try budget.reserve(50, held: 0) }
    }

    @Test("a parallel restore needs room for the spill limit (or the dump, when smaller), not for the whole dump; too little says how much and names the variable")
    func spillSpace() throws {
        let gib: UInt64 = 1 << 30
        // A 50 GB dump with 1 GiB free: enough for the default 512 MiB ceiling.
        #expect(RestoreOperation.spillSpaceShortfall(directory: "/tmp", free: gib, dumpBytes: 50 * gib, spillLimit: 512 << 20) == nil)
        // A small dump needs only its own size.
        #expect(RestoreOperation.spillSpaceShortfall(directory: "/tmp", free: 200 << 20, dumpBytes: 100 << 20, spillLimit: 512 << 20) == nil)
        let short = try #require(RestoreOperation.spillSpaceShortfall(directory: "/tmp", free: 300 << 20, dumpBytes: 50 * gib, spillLimit: 512 << 20))
        #expect(short == "/tmp has 300 MiB free, the spill files need up to 512 MiB (RESTORE_SPILL_LIMIT=512MiB, or the dump's table data when smaller)")
    }
}
