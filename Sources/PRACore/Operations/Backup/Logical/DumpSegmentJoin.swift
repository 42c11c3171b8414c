import Foundation

/// Joins the outputs of two pg_dump runs over one snapshot and one `\restrict` key (sections
/// pre-data and data, then post-data) and pra's own COPY blocks between them into what reads
/// as one pg_dump output: one preamble, one `\restrict` line, one completion trailer, one
/// `\unrestrict` line.
///
/// - ``TrailerCut`` holds back the end of the first run and, at its end, checks that it is
///   exactly pg_dump's completion trailer for the key, and drops it;
/// - ``PreambleCut`` holds back the start of the second run until its first entry and drops
///   the lines it shares with the first run's preamble, which must hold the `\restrict` line.
///
/// Both refuse what they do not recognise rather than guess: the backup then fails.
enum DumpSegmentJoin {
    /// Why a run's output could not be joined.
    struct Mismatch: Error, CustomStringConvertible {
        let description: String
    }

    /// What separates a preamble from the first entry: pg_dump starts every entry with a
    /// blank line and a `--` comment block.
    static let entryStart = Array("\n\n--\n-- ".utf8)
    /// The most bytes a preamble may take before its first entry.
    static let preambleLimit = 64 * 1024

    /// The preamble of a run: its bytes up to (without) its first entry's comment block,
    /// or `nil` when `head` holds no entry yet.
    static func preamble(in head: [UInt8]) -> [UInt8]? {
        guard let at = head.firstRange(of: entryStart)?.lowerBound else { return nil }
        return Array(head[..<(at + 2)])
    }

    /// pg_dump's completion trailer when it restricts with `key`.
    static func trailer(key: String) -> [UInt8] {
        Array("--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict \(key)\n\n".utf8)
    }

    /// Passes a run's output on except its last bytes, which must be its completion trailer.
    struct TrailerCut {
        let trailer: [UInt8]
        private var held: [UInt8] = []

        init(key: String) {
            trailer = DumpSegmentJoin.trailer(key: key)
        }

        mutating func pass(_ chunk: UnsafeRawBufferPointer, to emit: (UnsafeRawBufferPointer) throws -> Void) rethrows {
            if chunk.count >= trailer.count {
                try held.withUnsafeBytes { try emit($0) }
                try emit(UnsafeRawBufferPointer(rebasing: chunk[..<(chunk.count - trailer.count)]))
                held = Array(chunk[(chunk.count - trailer.count)...])
            } else {
                held.append(contentsOf: chunk)
                let surplus = held.count - trailer.count
                if surplus > 0 {
                    try held.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[..<surplus])) }
                    held.removeFirst(surplus)
                }
            }
        }

        /// Checks that what is held back is the trailer (which is then dropped).
        func finish() throws(Mismatch) {
            guard held == trailer else {
                throw Mismatch(description: "pg_dump's output (sections pre-data and data) did not end with its completion trailer for the dump's \\restrict key")
            }
        }
    }

    /// Drops the lines a run's preamble shares with `expected` (the first run's), which must
    /// include the `\restrict` line, and passes the rest on: the settings pg_dump writes before
    /// its first entry (`SET default_tablespace = '';`) differ between the runs and stay.
    struct PreambleCut {
        let expected: [UInt8]
        let restrictLine: [UInt8]
        private var held: [UInt8] = []
        private var cut = false

        init(expected: [UInt8], key: String) {
            self.expected = expected
            restrictLine = Array("\n\\restrict \(key)\n".utf8)
        }

        mutating func pass(_ chunk: UnsafeRawBufferPointer, to emit: (UnsafeRawBufferPointer) throws -> Void) throws {
            if cut { return try emit(chunk) }
            held.append(contentsOf: chunk)
            guard let preamble = DumpSegmentJoin.preamble(in: held) else {
                guard held.count <= DumpSegmentJoin.preambleLimit else {
                    throw Mismatch(description: "pg_dump's output (section post-data) has no entry within its first \(DumpSegmentJoin.preambleLimit) bytes")
                }
                return
            }
            // The whole lines both preambles start with.
            var shared = zip(preamble, expected).prefix { $0 == $1 }.count
            while shared > 0 && preamble[shared - 1] != UInt8(ascii: "\n") { shared -= 1 }
            guard preamble[..<shared].firstRange(of: restrictLine) != nil else {
                throw Mismatch(description: "pg_dump's preamble (\\restrict line and settings) differs between the two runs over one snapshot")
            }
            cut = true
            let rest = held[shared...]
            held = []
            try rest.withUnsafeBytes { try emit($0) }
        }

        /// Checks that the run's preamble was found (a run with no entry ends with its trailer,
        /// whose comment block counts as one).
        func finish() throws(Mismatch) {
            guard cut else {
                throw Mismatch(description: "pg_dump's output (section post-data) ended before its preamble did")
            }
        }
    }
}
