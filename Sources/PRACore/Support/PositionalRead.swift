import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `pread` until the buffer is full or the file ends: a read may return fewer bytes than asked
/// (or be interrupted by a signal) without the file having ended.
enum PositionalRead {
    /// Reads up to `buffer.count` bytes of `descriptor` from `offset`; returns how many, fewer
    /// only at the end of the file. A failure names `path` and the byte it stopped at.
    static func fill(_ descriptor: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, path: String) throws(FileError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = pread(descriptor, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset) + off_t(filled))
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw FileError(operation: .read, path: path, code: errno, bytes: offset + UInt64(filled)) }
            if count == 0 { break }
            filled += count
        }
        return filled
    }
}
