import Foundation
import Testing

@testable import PRACore

@Suite("split full backups: the plan, and joining pg_dump's two runs")
struct SplitTableDumpTests {
    static let key = "k3yK3y0123"
    static let preamble = "--\n-- PostgreSQL database dump\n--\n\n\\restrict \(key)\n\n-- Dumped from database version 15.20\n\nSET statement_timeout = 0;\nSET client_encoding = 'UTF8';\nSET row_security = off;\n\n"

    /// Feeds `bytes` through `pass` in pieces of the given sizes (cycled), collecting what it emits.
    static func feed(_ bytes: [UInt8], pieces: [Int], through pass: (UnsafeRawBufferPointer, (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> [UInt8] {
        var out: [UInt8] = []
        var offset = 0
        var turn = 0
        while offset < bytes.count {
            let size = min(pieces[turn % pieces.count], bytes.count - offset)
            try bytes[offset..<(offset + size)].withUnsafeBytes { piece in
                try pass(piece) { out.append(contentsOf: $0) }
            }
            offset += size
            turn += 1
        }
        return out
    }

    @Test("pages are cut into ranges of the chunk size, the last one open-ended (pages added since are read too)")
    func chunks() {
        typealias Chunk = SplitTableDump.Chunk
        #expect(SplitTableDump.chunks(pages: 10, pagesPerChunk: 4) == [Chunk(first: 0, end: 4), Chunk(first: 4, end: 8), Chunk(first: 8, end: nil)])
        #expect(SplitTableDump.chunks(pages: 8, pagesPerChunk: 4) == [Chunk(first: 0, end: 4), Chunk(first: 4, end: nil)])
        #expect(SplitTableDump.chunks(pages: 1, pagesPerChunk: 8192) == [Chunk(first: 0, end: nil)])
        let table = SplitTableDump.Table(schema: "s", name: "t", owner: "o", qualified: "s.t", columns: "a, b", pages: 10)
        #expect(SplitTableDump.copyStatement(table, Chunk(first: 4, end: 8)) == "COPY (SELECT a, b FROM ONLY s.t WHERE ctid >= '(4,0)'::pg_catalog.tid AND ctid < '(8,0)'::pg_catalog.tid) TO STDOUT")
        #expect(SplitTableDump.copyStatement(table, Chunk(first: 8, end: nil)) == "COPY (SELECT a, b FROM ONLY s.t WHERE ctid >= '(8,0)'::pg_catalog.tid) TO STDOUT")
    }

    @Test("pg_dump takes --restrict-key from 17.6, 16.10, 15.14, 14.19, 13.22 and 18; without it, PRA_JOBS=1 or a server before 14 nothing is split")
    func availability() {
        func line(_ version: String) -> String { "pg_dump (PostgreSQL) \(version) (Debian \(version)-0+deb12u1)" }
        for (version, supported) in [("15.13", false), ("15.14", true), ("15.20", true), ("16.9", false), ("16.10", true), ("17.5", false), ("17.6", true),
                                     ("18.0", true), ("18beta1", true), ("14.19", true), ("13.21", false), ("13.22", true), ("12.22", false)] {
            #expect(SplitTableDump.supportsRestrictKey(line(version)) == supported, "\(version)")
        }
        #expect(!SplitTableDump.supportsRestrictKey("pg_dump 15.20"))
        #expect(SplitTableDump.isAvailable(jobs: 2, serverMajor: 15, pgDumpVersion: line("15.20")))
        #expect(!SplitTableDump.isAvailable(jobs: 1, serverMajor: 15, pgDumpVersion: line("15.20")))
        #expect(!SplitTableDump.isAvailable(jobs: 2, serverMajor: 13, pgDumpVersion: line("15.20")))
        #expect(!SplitTableDump.isAvailable(jobs: 2, serverMajor: 15, pgDumpVersion: line("15.13")))
    }

    @Test("the entry is pg_dump's, its comment on one line whatever the names hold; the exclusion pattern quotes every part")
    func entryAndPattern() {
        let table = SplitTableDump.Table(schema: "Odd \"S\".x", name: "line\nbreak\r\\! rm", owner: "me", qualified: "\"Odd \"\"S\"\".x\".\"line\nbreak\"", columns: "a", pages: 1)
        let header = SplitTableDump.entryHeader(table)
        #expect(header.hasPrefix("--\n-- Data for Name: line break \\! rm; Type: TABLE DATA; Schema: Odd \"S\".x; Owner: me\n--\n\nCOPY "))
        // Only the COPY line's quoted identifier may hold a line break: it is one SQL token there.
        #expect(header.split(separator: "\n", omittingEmptySubsequences: false).filter { $0.hasPrefix("\\") }.isEmpty)
        #expect(SplitTableDump.excludePattern(table) == "\"Odd \"\"S\"\".x\".\"line\nbreak\r\\! rm\"")
        #expect(SplitTableDump.entryEnd == "\\.\n\n\n")
    }

    @Test("restrict keys are 64 random letters and digits")
    func restrictKeys() {
        let first = SplitTableDump.makeRestrictKey(), second = SplitTableDump.makeRestrictKey()
        #expect(first.count == 64 && first.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(first != second)
    }

    @Test("the client encoding comes from pg_dump's preamble, and only a plain name is taken")
    func clientEncoding() {
        #expect(SplitTableDump.clientEncoding(inPreamble: Array(Self.preamble.utf8)) == "UTF8")
        #expect(SplitTableDump.clientEncoding(inPreamble: Array("SET client_encoding = 'LATIN1';\n".utf8)) == "LATIN1")
        #expect(SplitTableDump.clientEncoding(inPreamble: Array("SET client_encoding = 'x''; DROP';\n".utf8)) == nil)
        #expect(SplitTableDump.clientEncoding(inPreamble: Array("SET row_security = off;\n".utf8)) == nil)
    }

    @Test("the first run's trailer is dropped whatever the pieces, and anything else at its end is refused")
    func trailerCut() throws {
        let body = Array((Self.preamble + "--\n-- Name: t; Type: TABLE; Schema: public; Owner: o\n--\n\nCREATE TABLE public.t (a int);\n\n\n").utf8)
        let whole = body + DumpSegmentJoin.trailer(key: Self.key)
        for pieces in [[1], [7, 1, 300], [4096], [whole.count]] {
            var cut = DumpSegmentJoin.TrailerCut(key: Self.key)
            let out = try Self.feed(whole, pieces: pieces) { try cut.pass($0, to: $1) }
            try cut.finish()
            #expect(out == body, "\(pieces)")
        }
        // Another key's trailer, a truncated output, no trailer at all.
        for wrong in [body + DumpSegmentJoin.trailer(key: "other"), Array(whole.dropLast(3)), body] {
            var cut = DumpSegmentJoin.TrailerCut(key: Self.key)
            _ = try Self.feed(wrong, pieces: [5, 64]) { try cut.pass($0, to: $1) }
            #expect(throws: DumpSegmentJoin.Mismatch.self) { try cut.finish() }
        }
    }

    @Test("the second run's preamble loses the lines it shares with the first (the \\restrict line among them) and keeps its own settings")
    func preambleCut() throws {
        let entries = "--\n-- Name: t_pkey; Type: CONSTRAINT; Schema: public; Owner: o\n--\n\nALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (a);\n\n\n"
        let first = Self.preamble + "SET default_table_access_method = heap;\n\n"
        let expected = try #require(DumpSegmentJoin.preamble(in: Array((first + "--\n-- Name: x").utf8)))
        #expect(expected == Array(first.utf8))
        let own = "SET default_tablespace = '';\n\n"
        let second = Array((Self.preamble + own + entries).utf8) + DumpSegmentJoin.trailer(key: Self.key)
        for pieces in [[1], [3, 200], [second.count]] {
            var cut = DumpSegmentJoin.PreambleCut(expected: expected, key: Self.key)
            let out = try Self.feed(second, pieces: pieces) { try cut.pass($0, to: $1) }
            try cut.finish()
            #expect(out == Array((own + entries).utf8) + DumpSegmentJoin.trailer(key: Self.key), "\(pieces)")
        }
        // With no post-data entry, the trailer's comment block ends the preamble.
        var empty = DumpSegmentJoin.PreambleCut(expected: expected, key: Self.key)
        let onlyTrailer = try Self.feed(Array(Self.preamble.utf8) + DumpSegmentJoin.trailer(key: Self.key), pieces: [10]) { try empty.pass($0, to: $1) }
        try empty.finish()
        #expect(onlyTrailer == DumpSegmentJoin.trailer(key: Self.key))
        // Another key (the \restrict line would stay, a second one): refused.
        var otherKey = DumpSegmentJoin.PreambleCut(expected: expected, key: Self.key)
        #expect(throws: DumpSegmentJoin.Mismatch.self) {
            _ = try Self.feed(Array((Self.preamble.replacingOccurrences(of: Self.key, with: "zzz") + entries).utf8), pieces: [4096]) { try otherKey.pass($0, to: $1) }
        }
        // No entry at all within the limit, or an output that ends first.
        var endless = DumpSegmentJoin.PreambleCut(expected: expected, key: Self.key)
        #expect(throws: DumpSegmentJoin.Mismatch.self) { _ = try Self.feed([UInt8](repeating: 65, count: DumpSegmentJoin.preambleLimit + 10), pieces: [4096]) { try endless.pass($0, to: $1) } }
        var short = DumpSegmentJoin.PreambleCut(expected: expected, key: Self.key)
        _ = try Self.feed(Array("--\n-- PostgreSQL".utf8), pieces: [4]) { try short.pass($0, to: $1) }
        #expect(throws: DumpSegmentJoin.Mismatch.self) { try short.finish() }
    }
}
