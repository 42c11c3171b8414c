import Foundation

/// A ustar header block written from scratch, as pg_basebackup writes them: name in the
/// 100-byte field (no prefix, no long-name extensions: ``TarStreamScanner`` refuses those),
/// octal numbers, GNU base-256 for sizes beyond 8 GiB.
enum TarHeader {
    enum Kind {
        case file(size: UInt64)
        case directory
    }

    /// Why `name` cannot be a ustar name, or `nil` when it can.
    static func nameProblem(_ name: String) -> String? {
        let bytes = name.utf8.count
        return bytes == 0 || bytes > 99 ? "a path of \(bytes) bytes (a ustar header holds 1 to 99)" : nil
    }

    /// The 512-byte header. `name` must pass ``nameProblem(_:)``; a directory's name gets its
    /// trailing slash here.
    static func make(name: String, kind: Kind, mode: UInt32, modified: Int) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        var nameBytes = Array(name.utf8)
        var size: UInt64 = 0
        switch kind {
        case .file(let fileSize):
            size = fileSize
            block[156] = UInt8(ascii: "0")
        case .directory:
            if nameBytes.last != UInt8(ascii: "/") { nameBytes.append(UInt8(ascii: "/")) }
            block[156] = UInt8(ascii: "5")
        }
        precondition(nameBytes.count < 100, "tar name checked by nameProblem")
        block.replaceSubrange(0..<nameBytes.count, with: nameBytes)
        put(octal: UInt64(mode & 0o7777), width: 8, at: 100, in: &block)
        put(octal: 0, width: 8, at: 108, in: &block)
        put(octal: 0, width: 8, at: 116, in: &block)
        if size < 0o77777777777 {
            put(octal: size, width: 12, at: 124, in: &block)
        } else {
            block[124] = 0x80
            for index in 0..<8 { block[135 - index] = UInt8(truncatingIfNeeded: size >> (8 * UInt64(index))) }
        }
        put(octal: UInt64(max(modified, 0)), width: 12, at: 136, in: &block)
        block.replaceSubrange(257..<265, with: Array("ustar\u{0}00".utf8))
        seal(&block)
        return block
    }

    /// Writes the header checksum: the byte sum with the checksum field taken as spaces.
    static func seal(_ block: inout [UInt8]) {
        for index in 148..<156 { block[index] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        put(octal: UInt64(sum), width: 7, at: 148, in: &block)
    }

    /// Zero bytes after `size` bytes of content, up to the next 512-byte block.
    static func padding(after size: UInt64) -> Int {
        Int((512 - size % 512) % 512)
    }

    /// `width - 1` octal digits, zero-padded, then a NUL.
    static func put(octal value: UInt64, width: Int, at offset: Int, in block: inout [UInt8]) {
        let digits = Array(String(value, radix: 8).utf8)
        let padded = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, width - 1 - digits.count)) + digits
        block.replaceSubrange(offset..<(offset + width - 1), with: padded.suffix(width - 1))
        block[offset + width - 1] = 0
    }
}
