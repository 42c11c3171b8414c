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
/// line with `memchr`, so the scan costs little on the bulk of a dump.
public struct DumpScanner: Sendable {
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
    private var copyLineStart: [UInt8] = []

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
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) throws(Violation) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let count = bytes.count
        var index = 0
        while index < count {
            if case .copyData = state {
                // Line by line: only the first bytes of each line matter (`\.` ends the data).
                let remaining = count - index
                if copyLineStart.count < 3 {
                    let wanted = min(3 - copyLineStart.count, remaining)
                    var taken = 0
                    while taken < wanted && base[index + taken] != 0x0A {
                        copyLineStart.append(base[index + taken])
                        taken += 1
                    }
                }
                guard let found = memchr(base + index, 0x0A, remaining) else { return }
                let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                let start = copyLineStart
                copyLineStart.removeAll(keepingCapacity: true)
                line += 1
                index = newline + 1
                if start == [0x5C, 0x2E] || start == [0x5C, 0x2E, 0x0D] {
                    state = .normal
                    statementStart = true
                    atLineStart = true
                    previous = 0x0A
                }
                continue
            }
            let byte = base[index]
            try step(byte)
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
        if collecting {
            if lineBuffer.count < 4096 { lineBuffer.append(byte) }
        }
        switch state {
        case .normal:
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
                return
            case 0x3B:
                statementStart = true
            case 0x20, 0x09, 0x0D, 0x2D, 0x2F:
                break
            default:
                if lineStart && statementStart && byte == Self.copyPrefix[0] {
                    collecting = true
                    lineBuffer = [byte]
                }
                statementStart = false
            }
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
                return
            }
        case .dollarBody:
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
        case .lineComment:
            break
        case .blockComment(let depth):
            if byte == 0x2A && previous == 0x2F {
                state = .blockComment(depth: depth + 1)
                beforePrevious = previous
                previous = 0
                return
            }
            if byte == 0x2F && previous == 0x2A {
                state = depth == 1 ? .normal : .blockComment(depth: depth - 1)
                beforePrevious = previous
                previous = 0
                return
            }
        case .metaLine:
            // Refuse as soon as the line can no longer be \restrict or \unrestrict: psql must
            // never receive the rest of it.
            let soFar = lineBuffer
            let prefixOfRestrict = soFar.count <= Self.restrictPrefix.count ? Array(Self.restrictPrefix.prefix(soFar.count)) == soFar : soFar.starts(with: Self.restrictPrefix)
            let prefixOfUnrestrict = soFar.count <= Self.unrestrictPrefix.count ? Array(Self.unrestrictPrefix.prefix(soFar.count)) == soFar : soFar.starts(with: Self.unrestrictPrefix)
            if !prefixOfRestrict && !prefixOfUnrestrict {
                throw violation("psql meta-command outside COPY data")
            }
        case .copyData:
            break
        }
        beforePrevious = previous
        previous = byte
    }

    private var escapedNext = false

    private mutating func endOfLine() throws(Violation) {
        defer {
            line += 1
            atLineStart = true
            beforePrevious = previous
            previous = 0x0A
        }
        if case .lineComment = state { state = .normal }
        if case .metaLine = state {
            var text = lineBuffer
            if text.last == 0x0D { text.removeLast() }
            collecting = false
            lineBuffer.removeAll(keepingCapacity: true)
            state = .normal
            try checkMetaLine(text)
            return
        }
        if collecting {
            collecting = false
            var text = lineBuffer
            lineBuffer.removeAll(keepingCapacity: true)
            if text.last == 0x0D { text.removeLast() }
            if case .normal = state, statementStart, text.starts(with: Self.copyPrefix), text.count >= Self.copySuffix.count,
                Array(text.suffix(Self.copySuffix.count)) == Self.copySuffix
            {
                state = .copyData
                copyLineStart.removeAll(keepingCapacity: true)
            }
        }
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

    private func violation(_ message: String) -> Violation {
        Violation(line: line, message: "\(message): refusing to run it")
    }

    private static func isIdentifier(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x24 || byte >= 0x80
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
