import Foundation

/// A file that takes raw bytes; ``write(_:)-(Data)`` comes with it, once for every such file.
public protocol RawByteWriter {
    /// Appends all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws(FileError)
}

extension RawByteWriter {
    /// Appends all of `data`.
    public func write(_ data: Data) throws(FileError) {
        // A typed-throws closure here crashes the 6.3 compiler; carry the error out instead.
        var failure: FileError?
        data.withUnsafeBytes { buffer in
            do {
                try write(buffer)
            } catch {
                failure = error as? FileError
            }
        }
        if let failure { throw failure }
    }
}
