import Foundation
import Testing

@testable import PRACore

/// The dump scanner refuses, before psql could read it, what would make it and psql disagree
/// about where a string or COPY data ends (no server needed: the scanner is pure).
@Suite("dump scanner: forms pg_dump never writes are refused")
struct DumpScannerTests {
    /// Scans `text` in pieces of `piece` bytes; the violation, or `nil`, and the meta-line bytes.
    static func scan(_ text: String, piece: Int = 7) -> (violation: DumpScanner.Violation?, metaLines: [String]) {
        var scanner = DumpScanner()
        let bytes = Array(text.utf8)
        var metaLines: [String] = []
        var current = ""
        var start = 0
        do {
            while start < bytes.count {
                let end = min(bytes.count, start + piece)
                let slice = Array(bytes[start..<end])
                try slice.withUnsafeBytes { buffer in
                    try scanner.scan(buffer, metaLine: { range in
                        current += String(decoding: slice[range], as: UTF8.self)
                        if current.hasSuffix("\n") {
                            metaLines.append(current)
                            current = ""
                        }
                    })
                }
                start = end
            }
            try scanner.finish()
        } catch let violation as DumpScanner.Violation {
            return (violation, metaLines)
        } catch {
            Issue.record("unexpected \(error)")
        }
        return (nil, metaLines)
    }

    static let header = "--\n-- PostgreSQL database dump\n--\n\n\\restrict AbC123\n\nSET statement_timeout = 0;\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\nSELECT pg_catalog.set_config('search_path', '', false);\n"

    @Test("pg_dump's own lines pass, and its \\restrict/\\unrestrict lines are reported to be left out of psql's input")
    func pgDumpFormPasses() {
        let dump = Self.header + "CREATE TABLE public.t (a text);\nCOPY public.t (a) FROM stdin;\nx\\\\y\n'\n\\.\n\n\\unrestrict AbC123\n"
        for piece in [1, 3, 7, 4096] {
            let outcome = Self.scan(dump, piece: piece)
            #expect(outcome.violation == nil, "piece \(piece): \(String(describing: outcome.violation))")
            #expect(outcome.metaLines == ["\\restrict AbC123\n", "\\unrestrict AbC123\n"], "piece \(piece)")
        }
    }

    @Test("standard_conforming_strings turned off: a string psql ends elsewhere cannot hide a meta-command", arguments: [
        "SET standard_conforming_strings = off;\nSELECT 'x\\'';\n\\! touch /tmp/pra-never\n",
        "SET standard_conforming_strings TO off;\n",
        "SELECT pg_catalog.set_config('standard_conforming_strings', 'off', false);\n",
        "SET standard_conforming_strings = on; SET standard_conforming_strings = off;\n",
        "ALTER DATABASE d SET standard_conforming_strings = off;\n",
        "DO $$ BEGIN PERFORM set_config('standard_conforming_strings', 'off', false); END $$;\n",
    ])
    func lexerSettingsRefused(_ attack: String) {
        let outcome = Self.scan(Self.header + attack)
        // (ALTER DATABASE is refused first for acting beyond the restored database.)
        #expect(outcome.violation.map { $0.message.contains("standard_conforming_strings") || $0.message.contains("beyond the database") } == true, "\(String(describing: outcome.violation))")
    }

    @Test("client encodings that can hide a backslash or a quote inside a character are refused", arguments: ["SJIS", "BIG5", "GBK", "UHC", "GB18030", "JOHAB", "shift_jis_2004"])
    func unsafeClientEncodingRefused(_ encoding: String) {
        let outcome = Self.scan(Self.header + "SET client_encoding = '\(encoding)';\n")
        #expect(outcome.violation != nil)
        #expect(Self.scan(Self.header + "SET client_encoding = 'LATIN1';\n").violation == nil)
    }

    @Test("COPY in any form but pg_dump's is refused", arguments: [
        "COPY (SELECT 1) TO STDOUT; -- FROM stdin;\n\\! touch /tmp/pra-never\n",
        "copy public.t (a) from stdin;\n'\n\\.\n",
        "COPY public.t (a) FROM\nstdin;\n'\n\\.\n\\! touch /tmp/pra-never\n",
        "SELECT 1; COPY public.t (a) FROM stdin;\n'\n\\.\n",
        "/* x */ COPY public.t (a) FROM stdin;\n",
        "COPY public.t (a) FROM stdin; SELECT 1;\n",
        "COPY public.t (a) FROM stdin; -- FROM stdin;\n",
        "  COPY public.t (a) FROM stdin;\n",
        "Copy public.t (a) FROM stdin;\n",
    ])
    func copyFormsRefused(_ attack: String) {
        let outcome = Self.scan(Self.header + "CREATE TABLE public.t (a text);\n" + attack)
        #expect(outcome.violation?.message.contains("COPY") == true, "\(attack): \(String(describing: outcome.violation))")
    }

    @Test("statements acting beyond the restored database are refused", arguments: [
        "ALTER ROLE postgres PASSWORD 'owned';\n",
        "alter user postgres with superuser;\n",
        "ALTER /* x */\n  ROLE ALL SET search_path = evil;\n",
        "CREATE ROLE evil SUPERUSER LOGIN;\n",
        "DROP DATABASE other;\n",
        "CREATE DATABASE planted;\n",
        "ALTER DATABASE other OWNER TO evil;\n",
        "ALTER SYSTEM SET archive_command = 'id';\n",
        "LOAD '/tmp/evil.so';\n",
        "REASSIGN OWNED BY a TO b;\n",
        "DROP USER x;\n",
        "CREATE TABLESPACE t LOCATION '/tmp';\n",
        "COMMENT ON DATABASE other IS 'x';\n",
        "DO $d$ BEGIN EXECUTE 'COPY (SELECT 1) TO ''/tmp/pra-never'' '; END $d$;\n",
    ])
    func beyondDatabaseRefused(_ attack: String) {
        let outcome = Self.scan(Self.header + attack)
        #expect(outcome.violation?.message.contains("beyond the database") == true, "\(attack): \(String(describing: outcome.violation))")
    }

    @Test("what pg_dump writes about users and roles inside one database passes")
    func userMappingPasses() {
        let dump = Self.header + "CREATE USER MAPPING FOR postgres SERVER s OPTIONS (user 'x');\nALTER DEFAULT PRIVILEGES FOR ROLE postgres GRANT SELECT ON TABLES TO PUBLIC;\nALTER TABLE public.t OWNER TO postgres;\nCREATE TABLE public.roles (role text, database text);\nGRANT ALL ON TABLE public.t TO postgres;\n"
        #expect(Self.scan(dump).violation == nil, "\(String(describing: Self.scan(dump).violation))")
    }

    @Test("a NUL byte, which would hide the rest of its line from psql, is refused")
    func nulRefused() {
        let outcome = Self.scan(Self.header + "SELECT 1; \u{0}'\n\\! touch /tmp/pra-never\n'\n")
        #expect(outcome.violation?.message.contains("NUL") == true, "\(String(describing: outcome.violation))")
    }

    @Test("words that only look like COPY or the settings pass")
    func lookalikesPass() {
        let dump = Self.header + "CREATE TABLE public.copyright (copy text, standard_conforming text);\nCOMMENT ON TABLE public.copyright IS 'COPY x FROM stdin;';\n-- SET standard_conforming_strings = off;\n/* copy t from stdin; */\nCOPY public.copyright (copy, standard_conforming) FROM stdin;\na\tb\n\\.\n"
        #expect(Self.scan(dump).violation == nil, "\(String(describing: Self.scan(dump).violation))")
    }
}
