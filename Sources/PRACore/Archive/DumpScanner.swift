import Foundation

/// Reads a plain SQL dump as psql would lex it, in a stream (constant memory), and stops at
/// the first psql meta-command (`\! cmd`, `\connect db`, `\i file`, ...) outside COPY data:
/// a restore never lets an archive run shell commands or change database.
///
/// The only meta-commands allowed are pg_dump's own `\restrict KEY` / `\unrestrict KEY` pair
/// (pg_dump 13.22, 14.19, 15.14, 16.10, 17.6 and later), at the start of a line. When the
/// manifest records the key (`expectedKey`), the dump's must be the same, and must be there.
///
/// Quotes (`'...'`, `E'...'`, `"..."`, `$tag$...$tag$`) and comments (`--`, nested `/* */`)
/// are followed so that a backslash inside them is data, as psql treats it; COPY data (after a
/// `COPY ... FROM stdin;` line that starts a statement, up to the `\.` line) is skipped line by
/// line with `memchr`, so the scan costs little on the bulk of a dump. Each COPY block passed
/// is reported with its row count (``CopyBlock``): in COPY text format every row is one line.
///
/// The scanner is one defence, not the only one: psql itself refuses meta-commands during a
/// restore (``PsqlRestriction``). So that the two never disagree about where data ends, the
/// scanner also refuses what pg_dump never writes and would change psql's lexing or its idea of
/// COPY data:
/// - a COPY statement other than `COPY table (columns) FROM stdin;` alone on its line (a
///   lowercase `copy`, one after another statement or a comment on the same line, one spread
///   over several lines, one followed by a comment or a second statement);
/// - any mention of `standard_conforming_strings` or `client_encoding` outside comments and COPY
///   data except pg_dump's own `SET standard_conforming_strings = on;` and
///   `SET client_encoding = '...';` with an encoding in which every byte below 0x80 is ASCII
///   (SJIS, BIG5, GBK, UHC, GB18030 and JOHAB can hide a backslash or a quote in a character).
public struct DumpScanner: Sendable {
    /// A `COPY ... FROM stdin;` block the scan has read to its `\.` line.
    public struct CopyBlock: Sendable, Equatable {
        /// The `COPY ... FROM stdin;` line, without its line end (its first 4 KiB at most).
        public let statement: [UInt8]
        /// The data lines before `\.`: one per row, since COPY's text format escapes the
        /// newlines, carriage returns and backslashes inside values.
        public let rows: Int64

        /// The table the block loads (`nil` when its name cannot be read plainly).
        public var target: CopyTarget? { DumpScanner.copyTarget(statement) }
    }

    /// The table a `COPY name (columns) FROM stdin;` line names.
    public struct CopyTarget: Sendable, Equatable {
        /// As written in the dump, quotes kept (`public.users`, `"My ""odd"" schema"."t.x"`).
        public let written: String
        /// Each dotted part without quotes (`["My \"odd\" schema", "t.x"]`).
        public let parts: [String]
    }

    /// Why the scan stopped.
    public struct Violation: Error, Sendable, Equatable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "line \(line): \(message)" }
    }

    private enum State: Sendable {
        case normal, singleQuote(escapes: Bool), doubleQuote, lineComment, blockComment(depth: Int)
        case dollarOpening, dollarBody, copyData, metaLine
    }

    private static let restrictPrefix = Array("\\restrict ".utf8)
    private static let unrestrictPrefix = Array("\\unrestrict ".utf8)
    private static let copyPrefix = Array("COPY ".utf8)
    private static let copySuffix = Array("FROM stdin;".utf8)

    /// The key the manifest records; `nil`: a file without one (a consistent pair is accepted).
    public let expectedKey: String?
    /// The `\restrict` key found in the dump.
    public private(set) var restrictKey: String?
    public private(set) var line = 1
    private var unrestricted = false
    private var state: State = .normal
    private var previous: UInt8 = 0x0A
    private var beforePrevious: UInt8 = 0x0A
    private var atLineStart = true
    private var statementStart = true
    /// The current line, kept only while it may be a COPY statement or a meta-command (capped).
    private var lineBuffer: [UInt8] = []
    private var collecting = false
    private var tag: [UInt8] = []
    private var closeProgress = -1
    /// Past `lineBuffer`'s cap: the line's last bytes, enough to see `FROM stdin;` at its end
    /// (a COPY line names every column and can be longer than the cap).
    private var lineOverflow: [UInt8] = []
    /// Inside COPY data: the first bytes of the current line (up to 3, to spot `\.`), packed.
    private var copyLinePrefix: UInt32 = 0
    private var copyLinePrefixCount = 0
    /// The COPY line of the current block, and the rows read in it so far.
    private var copyStatement: [UInt8] = []
    private var copyRows: Int64 = 0
    /// The first word of the current statement while it is read (lowercased, at most 5 bytes),
    /// where it started and whether it was written in capitals: `COPY` is only accepted as
    /// pg_dump writes it.
    private var firstWord: [UInt8] = []
    private var readingFirstWord = false
    private var firstWordAtLineStart = false
    private var firstWordCapitals = false
    /// The first three words of the current statement (lowercased, at most 17 bytes each), read
    /// across blanks, line ends and comments: to refuse statements acting beyond the database
    /// being restored (roles, other databases, the server's configuration, libraries).
    private var leadingWords: [[UInt8]] = []
    private var leadingWord: [UInt8] = []
    private var readingLeadingWords = false
    /// The current line holds a COPY statement (checked in full at its end).
    private var copyStatementOnLine = false
    /// Statement-ending semicolons on the current line (outside quotes and comments).
    private var semicolonsOnLine = 0
    /// The word being read, lowercased (at most 40 bytes; longer words never match).
    private var word: [UInt8] = []
    /// The current line names a setting that changes how psql lexes what follows.
    private var lexerSettingOnLine = false
    /// Byte ranges of the current piece holding the accepted `\restrict`/`\unrestrict` lines.
    private var metaLineStart: Int?

    /// True between statements at the start of a line, outside quotes, comments and COPY data:
    /// a line starting here is a new statement, a comment or a meta-command (a restore splits
    /// the dump only at such lines).
    public var atStatementBoundary: Bool {
        guard case .normal = state else { return false }
        return atLineStart && statementStart
    }

    /// True inside the data of a `COPY ... FROM stdin;` statement (up to its `\.` line).
    public var inCopyData: Bool {
        if case .copyData = state { return true }
        return false
    }

    public init(expectedKey: String? = nil) {
        self.expectedKey = expectedKey
    }

    /// Scans the next piece of the dump. Throws at the first forbidden meta-command.
    /// `copyBlockEnded` is called, in order, for each COPY block whose `\.` line is in this piece.
    /// `metaLine` is called with the byte range of this piece that holds each accepted
    /// `\restrict`/`\unrestrict` line (its line end included; a line split across pieces is
    /// reported in each): a restore leaves them out of what psql reads, and gives psql its own.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer, copyBlockEnded: ((CopyBlock) -> Void)? = nil, metaLine: ((Range<Int>) -> Void)? = nil) throws(Violation) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let count = bytes.count
        var index = 0
        if case .metaLine = state { metaLineStart = 0 }
        defer {
            if let start = metaLineStart {
                if case .metaLine = state { metaLine?(start..<count) }
                metaLineStart = nil
            }
        }
        while index < count {
            if case .copyData = state {
                // Line by line: only the first bytes of each line matter (`\.` ends the data).
                let remaining = count - index
                var taken = 0
                while copyLinePrefixCount < 3 && taken < remaining && base[index + taken] != 0x0A {
                    copyLinePrefix = copyLinePrefix << 8 | UInt32(base[index + taken])
                    copyLinePrefixCount += 1
                    taken += 1
                }
                guard let found = memchr(base + index, 0x0A, remaining) else { return }
                let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                // `\.` or `\.` CR: the end of the data.
                let ends = (copyLinePrefixCount == 2 && copyLinePrefix == 0x5C2E) || (copyLinePrefixCount == 3 && copyLinePrefix == 0x5C2E0D)
                copyLinePrefix = 0
                copyLinePrefixCount = 0
                line += 1
                index = newline + 1
                if ends {
                    state = .normal
                    statementStart = true
                    atLineStart = true
                    previous = 0x0A
                    copyBlockEnded?(CopyBlock(statement: copyStatement, rows: copyRows))
                } else {
                    copyRows += 1
                }
                continue
            }
            let byte = base[index]
            let wasMeta: Bool
            if case .metaLine = state { wasMeta = true } else { wasMeta = false }
            try step(byte)
            if case .metaLine = state {
                if !wasMeta { metaLineStart = index }
            } else if wasMeta, let start = metaLineStart {
                // The meta-command line ended and was accepted (a refused one threw).
                metaLine?(start..<(index + 1))
                metaLineStart = nil
            }
            index += 1
        }
    }

    /// Call at the end of the dump: a key the manifest records must have been seen.
    public func finish() throws(Violation) {
        if let expectedKey, restrictKey != expectedKey {
            throw Violation(line: line, message: "the dump has no \\restrict line with the key its manifest records (\(expectedKey.prefix(8))…)")
        }
    }

    private mutating func step(_ byte: UInt8) throws(Violation) {
        let lineStart = atLineStart
        if byte == 0x0A {
            try endOfLine()
            return
        }
        atLineStart = false
        // psql reads lines as C strings: a NUL byte would hide the rest of its line (a quote, a
        // comment start) from psql but not from this scanner. pg_dump never writes one.
        if byte == 0 { throw Violation(line: line, message: "a NUL byte outside COPY data (pg_dump never writes one; psql would not read the rest of the line): refusing to run it") }
        try followWords(byte)
        if collecting {
            if lineBuffer.count < Self.lineCap {
                lineBuffer.append(byte)
            } else {
                lineOverflow.append(byte)
                if lineOverflow.count > 64 { lineOverflow.removeFirst(lineOverflow.count - 16) }
            }
        }
        // A handler that returns false has set `previous` itself (a comment opener or closer
        // must not also count as the start of the next one).
        guard try stepInState(byte, lineStart: lineStart) else { return }
        beforePrevious = previous
        previous = byte
    }

    private var escapedNext = false

    /// Advances the state machine by `byte`; false when `previous` must not become `byte`.
    private mutating func stepInState(_ byte: UInt8, lineStart: Bool) throws(Violation) -> Bool {
        switch state {
        case .normal:
            return try stepInCode(byte, lineStart: lineStart)
        case .singleQuote(let escapes):
            if escapedNext {
                // The escaped byte is data, whatever it is (a quote included).
                escapedNext = false
            } else if escapes && byte == 0x5C {
                escapedNext = true
            } else if byte == 0x27 {
                state = .normal
            }
        case .doubleQuote:
            if byte == 0x22 { state = .normal }
        case .dollarOpening:
            if byte == 0x24 {
                state = .dollarBody
                closeProgress = -1
            } else if Self.isIdentifier(byte) && !(tag.isEmpty && byte >= 0x30 && byte <= 0x39) {
                tag.append(byte)
            } else {
                state = .normal
                try step(byte)
                return false
            }
        case .dollarBody:
            stepInDollarBody(byte)
        case .lineComment, .copyData:
            break
        case .blockComment(let depth):
            return stepInBlockComment(byte, depth: depth)
        case .metaLine:
            // Refuse as soon as the line can no longer be \restrict or \unrestrict: psql must
            // never receive the rest of it.
            let soFar = lineBuffer
            let prefixOfRestrict = soFar.count <= Self.restrictPrefix.count ? Array(Self.restrictPrefix.prefix(soFar.count)) == soFar : soFar.starts(with: Self.restrictPrefix)
            let prefixOfUnrestrict = soFar.count <= Self.unrestrictPrefix.count ? Array(Self.unrestrictPrefix.prefix(soFar.count)) == soFar : soFar.starts(with: Self.unrestrictPrefix)
            if !prefixOfRestrict && !prefixOfUnrestrict {
                throw violation("psql meta-command outside COPY data")
            }
        }
        return true
    }

    /// A byte of SQL outside quotes and comments: what opens them, a meta-command, statement
    /// boundaries and the first words of a statement.
    private mutating func stepInCode(_ byte: UInt8, lineStart: Bool) throws(Violation) -> Bool {
        switch byte {
        case 0x5C:  // backslash: a meta-command
            guard lineStart else { throw violation("psql meta-command outside COPY data") }
            state = .metaLine
            collecting = true
            lineBuffer = [byte]
        case 0x27:  // '
            let escapes = (previous == 0x45 || previous == 0x65) && !Self.isIdentifier(beforePrevious)
            state = .singleQuote(escapes: escapes)
            statementStart = false
        case 0x22:
            state = .doubleQuote
            statementStart = false
        case 0x24:  // $
            if !Self.isIdentifier(previous) {
                state = .dollarOpening
                tag = []
            }
            statementStart = false
        case 0x2D where previous == 0x2D:
            state = .lineComment
        case 0x2A where previous == 0x2F:
            state = .blockComment(depth: 1)
            // "/*" must not also count as the start of a closing "*/".
            beforePrevious = previous
            previous = 0
            return false
        case 0x3B:
            statementStart = true
            semicolonsOnLine += 1
        case 0x20, 0x09, 0x0D, 0x2D, 0x2F:
            break
        default:
            startWord(byte, lineStart: lineStart)
        }
        return true
    }

    /// A letter (or other byte) where a statement may start: its first words are followed, and a
    /// COPY or SET line is kept whole, to be checked at its end.
    private mutating func startWord(_ byte: UInt8, lineStart: Bool) {
        if statementStart && Self.isLetter(byte) {
            readingFirstWord = true
            firstWord = [byte | 0x20]
            readingLeadingWords = true
            leadingWords = []
            leadingWord = [byte | 0x20]
            firstWordAtLineStart = lineStart
            firstWordCapitals = byte < 0x61
        }
        if lineStart && statementStart && (byte == Self.copyPrefix[0] || byte == 0x53) {
            collecting = true
            lineBuffer = [byte]
        }
        statementStart = false
    }

    /// Inside `$tag$ ... $tag$`: only the closing tag ends it.
    private mutating func stepInDollarBody(_ byte: UInt8) {
        if byte == 0x24 {
            if closeProgress == tag.count {
                state = .normal
                closeProgress = -1
            } else {
                closeProgress = 0
            }
        } else if closeProgress >= 0 && closeProgress < tag.count && byte == tag[closeProgress] {
            closeProgress += 1
        } else {
            closeProgress = -1
        }
    }

    /// Inside `/* ... */`, which nests in PostgreSQL.
    private mutating func stepInBlockComment(_ byte: UInt8, depth: Int) -> Bool {
        if byte == 0x2A && previous == 0x2F {
            state = .blockComment(depth: depth + 1)
        } else if byte == 0x2F && previous == 0x2A {
            state = depth == 1 ? .normal : .blockComment(depth: depth - 1)
        } else {
            return true
        }
        beforePrevious = previous
        previous = 0
        return false
    }

    private mutating func endOfLine() throws(Violation) {
        defer {
            line += 1
            atLineStart = true
            beforePrevious = previous
            previous = 0x0A
            semicolonsOnLine = 0
            lexerSettingOnLine = false
            copyStatementOnLine = false
        }
        try endWord()
        try endFirstWord()
        try endLeadingWord()
        // Where the line's text ended: a COPY line must end in plain SQL, not in a comment.
        let endedInCode: Bool
        if case .normal = state { endedInCode = true } else { endedInCode = false }
        if case .lineComment = state { state = .normal }
        if case .metaLine = state {
            var text = lineBuffer
            if text.last == 0x0D { text.removeLast() }
            collecting = false
            lineBuffer.removeAll(keepingCapacity: true)
            lineOverflow.removeAll(keepingCapacity: true)
            state = .normal
            try checkMetaLine(text)
            return
        }
        var text: [UInt8] = []
        var end: [UInt8] = []
        if collecting {
            collecting = false
            text = lineBuffer
            end = Array(lineBuffer.suffix(Self.copySuffix.count + 1) + lineOverflow)
            lineBuffer.removeAll(keepingCapacity: true)
            lineOverflow.removeAll(keepingCapacity: true)
            if text.last == 0x0D { text.removeLast() }
            if end.last == 0x0D { end.removeLast() }
        }
        if lexerSettingOnLine && !Self.isAllowedLexerSetting(text) {
            throw Violation(line: line, message: "a statement that changes standard_conforming_strings or client_encoding (pg_dump writes only SET standard_conforming_strings = on; and an ASCII-safe client_encoding): psql would lex what follows differently; refusing to run it")
        }
        if copyStatementOnLine {
            // Only what pg_dump writes: `COPY table (columns) FROM stdin;`, alone on its line,
            // ending in code (not a comment), with that one semicolon.
            guard endedInCode, statementStart, semicolonsOnLine == 1, text.starts(with: Self.copyPrefix), end.count >= Self.copySuffix.count,
                end.suffix(Self.copySuffix.count).elementsEqual(Self.copySuffix)
            else {
                throw Violation(line: line, message: "a COPY statement in a form pg_dump never writes (only COPY table (columns) FROM stdin; alone on its line is accepted); refusing to run it")
            }
            state = .copyData
            copyLinePrefix = 0
            copyLinePrefixCount = 0
            copyStatement = text
            copyRows = 0
        }
    }

    /// Follows words outside comments and COPY data: the first word of each statement (`COPY`
    /// must be pg_dump's), and any word naming a setting that changes psql's lexing.
    private mutating func followWords(_ byte: UInt8) throws(Violation) {
        let inCode: Bool
        switch state {
        case .normal, .singleQuote, .doubleQuote, .dollarOpening, .dollarBody: inCode = true
        case .lineComment, .blockComment, .copyData, .metaLine: inCode = false
        }
        let wordByte = inCode && Self.isIdentifier(byte)
        if wordByte {
            if word.count <= 40 { word.append(Self.isLetter(byte) ? byte | 0x20 : byte) }
        } else {
            try endWord()
        }
        if readingFirstWord {
            if case .normal = state, Self.isIdentifier(byte) {
                if firstWord.count <= 4 { firstWord.append(Self.isLetter(byte) ? byte | 0x20 : byte) }
                if byte >= 0x61 && byte <= 0x7A { firstWordCapitals = false }
            } else {
                try endFirstWord()
            }
        }
        if readingLeadingWords {
            try followLeadingWords(byte)
        }
    }

    private mutating func followLeadingWords(_ byte: UInt8) throws(Violation) {
        switch state {
        case .normal:
            if Self.isIdentifier(byte) && (!leadingWord.isEmpty || Self.isLetter(byte)) {
                if leadingWord.count <= 16 { leadingWord.append(Self.isLetter(byte) ? byte | 0x20 : byte) }
                return
            }
            try endLeadingWord()
            // Blanks and comment starts keep the statement's leading keywords coming.
            if ![0x20, 0x09, 0x0D, 0x2D, 0x2F, 0x2A].contains(byte) { try judgeLeadingWords() }
        case .lineComment, .blockComment:
            try endLeadingWord()
        default:
            try endLeadingWord()
            try judgeLeadingWords()
        }
    }

    private mutating func endLeadingWord() throws(Violation) {
        guard readingLeadingWords, !leadingWord.isEmpty else { return }
        leadingWords.append(leadingWord)
        leadingWord.removeAll(keepingCapacity: true)
        if leadingWords.count == 3 { try judgeLeadingWords() }
    }

    private mutating func judgeLeadingWords() throws(Violation) {
        guard readingLeadingWords else { return }
        readingLeadingWords = false
        if let statement = Self.beyondDatabase(leadingWords) {
            throw Violation(line: line, message: "\(statement): a statement acting beyond the database being restored, which a dump of one database never holds; refusing to run it")
        }
    }

    /// The statement when its leading words act beyond one database: roles and users, other
    /// databases, tablespaces, the server's configuration (ALTER SYSTEM), libraries (LOAD),
    /// other roles' objects (REASSIGN OWNED), comments on databases and roles; or run code
    /// pg_dump never writes (DO). `CREATE USER MAPPING` (foreign data) is pg_dump's.
    static func beyondDatabase(_ words: [[UInt8]]) -> String? {
        let text = words.map { String(decoding: $0, as: UTF8.self) }
        guard let first = text.first else { return nil }
        if first == "load" || first == "reassign" { return first.uppercased() }
        // Anonymous code: pg_dump never writes a DO block, and one can run any SQL dynamically.
        if first == "do" { return "DO (an anonymous code block)" }
        if first == "comment", text.count >= 3, text[1] == "on", ["database", "role", "tablespace"].contains(text[2]) { return "COMMENT ON \(text[2].uppercased())" }
        guard ["alter", "create", "drop"].contains(first), text.count >= 2 else { return nil }
        let second = text[1]
        if ["role", "group", "database", "system", "tablespace"].contains(second) { return "\(first.uppercased()) \(second.uppercased())" }
        if second == "user" && (text.count < 3 || text[2] != "mapping") { return "\(first.uppercased()) USER" }
        return nil
    }

    private mutating func endWord() throws(Violation) {
        guard !word.isEmpty else { return }
        if word == Self.standardConformingStrings || word == Self.clientEncoding { lexerSettingOnLine = true }
        word.removeAll(keepingCapacity: true)
    }

    private mutating func endFirstWord() throws(Violation) {
        guard readingFirstWord else { return }
        readingFirstWord = false
        guard firstWord == Self.copyWord else { return }
        guard firstWordAtLineStart && firstWordCapitals else {
            throw Violation(line: line, message: "a COPY statement in a form pg_dump never writes (not COPY in capitals at the start of a line); refusing to run it")
        }
        copyStatementOnLine = true
    }

    private static let copyWord = Array("copy".utf8)
    private static let standardConformingStrings = Array("standard_conforming_strings".utf8)
    private static let clientEncoding = Array("client_encoding".utf8)
    /// Client encodings in which a byte below 0x80 (a backslash, a quote) can be the second
    /// byte of a character: psql and a byte-wise scanner would disagree about it.
    private static let unsafeEncodings: Set<String> = ["sjis", "shift_jis", "shift_jis_2004", "mskanji", "big5", "gbk", "cp936", "uhc", "gb18030", "johab", "win932", "win936", "win949", "win950", "tcvn", "windows932", "windows936", "windows949", "windows950"]

    /// pg_dump's own lines: `SET standard_conforming_strings = on;`, and
    /// `SET client_encoding = 'X';` with an ASCII-safe encoding.
    static func isAllowedLexerSetting(_ line: [UInt8]) -> Bool {
        let text = String(decoding: line, as: UTF8.self)
        if text == "SET standard_conforming_strings = on;" { return true }
        let prefix = "SET client_encoding = '"
        guard text.hasPrefix(prefix), text.hasSuffix("';") else { return false }
        let name = text.dropFirst(prefix.count).dropLast(2)
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else { return false }
        return !unsafeEncodings.contains(name.lowercased().replacingOccurrences(of: "-", with: "_"))
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    private mutating func checkMetaLine(_ text: [UInt8]) throws(Violation) {
        let shown = String(decoding: text.prefix(12), as: UTF8.self)
        if text.starts(with: Self.restrictPrefix) {
            let key = String(decoding: text.dropFirst(Self.restrictPrefix.count), as: UTF8.self).trimmingCharacters(in: .whitespaces)
            guard restrictKey == nil, !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw Violation(line: line, message: "unexpected \\restrict line (only one, with an alphanumeric key, is allowed)")
            }
            if let expectedKey, key != expectedKey {
                throw Violation(line: line, message: "\\restrict key does not match the key the manifest records")
            }
            restrictKey = key
            statementStart = true
            return
        }
        if text.starts(with: Self.unrestrictPrefix) {
            let key = String(decoding: text.dropFirst(Self.unrestrictPrefix.count), as: UTF8.self).trimmingCharacters(in: .whitespaces)
            guard let restrictKey, !unrestricted, key == restrictKey else {
                throw Violation(line: line, message: "\\unrestrict without the matching \\restrict key")
            }
            unrestricted = true
            statementStart = true
            return
        }
        throw Violation(line: line, message: "psql meta-command \"\(shown)\" outside COPY data")
    }

    /// The most of a line kept to recognise it (a COPY line's table name is well within it).
    private static let lineCap = 4096

    private func violation(_ message: String) -> Violation {
        Violation(line: line, message: "\(message): refusing to run it")
    }

    private static func isIdentifier(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x24 || byte >= 0x80
    }

    /// The table of a `COPY name (columns) FROM stdin;` line: dotted parts, each a bare word
    /// or a double-quoted identifier (`""` inside); `nil` when the line is not read plainly.
    public static func copyTarget(_ line: [UInt8]) -> CopyTarget? {
        guard line.starts(with: copyPrefix) else { return nil }
        var index = copyPrefix.count
        var written: [UInt8] = []
        var parts: [String] = []
        while index < line.count {
            var part: [UInt8] = []
            if line[index] == 0x22 {
                written.append(0x22)
                index += 1
                while index < line.count {
                    if line[index] == 0x22 {
                        if index + 1 < line.count && line[index + 1] == 0x22 {
                            written += [0x22, 0x22]
                            part.append(0x22)
                            index += 2
                            continue
                        }
                        break
                    }
                    written.append(line[index])
                    part.append(line[index])
                    index += 1
                }
                guard index < line.count else { return nil }
                written.append(0x22)
                index += 1
            } else {
                let start = index
                while index < line.count, ![0x20, 0x2E, 0x28, 0x0A, 0x22].contains(line[index]) { index += 1 }
                guard index > start else { return nil }
                part += line[start..<index]
                written += part
            }
            parts.append(String(decoding: part, as: UTF8.self))
            guard index < line.count else { return nil }
            if line[index] == 0x2E {
                written.append(0x2E)
                index += 1
                continue
            }
            return line[index] == 0x20 ? CopyTarget(written: String(decoding: written, as: UTF8.self), parts: parts) : nil
        }
        return nil
    }

    /// The `\restrict` key in the first lines of a dump (`nil` when there is none).
    public static func restrictKey(inHead head: [UInt8]) -> String? {
        for rawLine in head.split(separator: 0x0A) {
            var lineBytes = Array(rawLine)
            if lineBytes.last == 0x0D { lineBytes.removeLast() }
            if lineBytes.starts(with: restrictPrefix) {
                let key = String(decoding: lineBytes.dropFirst(restrictPrefix.count), as: UTF8.self).trimmingCharacters(in: .whitespaces)
                return key.isEmpty ? nil : key
            }
        }
        return nil
    }
}
