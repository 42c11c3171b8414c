import Foundation

extension S3RemoteStore {
    /// One range of the object as it arrives (S3's sink and restart run one after the other).
    private final class RangeBuffer: @unchecked Sendable {
        var data = Data()
    }

    /// Bytes fetched per S3 request (`Range`): what is held in memory at most, whatever the size.
    static let streamRangeSize: UInt64 = 4 << 20

    /// The object in ranges of ``streamRangeSize``, one after the other: each range is held
    /// whole before it is handed over, so memory stays bounded (URLSession does not wait for a
    /// slow reader: it would otherwise buffer the rest of the object) and a retry re-fetches
    /// only that range, never bytes already handed over. An object changed in between is caught
    /// by the reader's SHA-256.
    public func stream(_ name: String, to deliver: (UnsafeRawBufferPointer) throws -> Void) throws {
        let size: UInt64
        do {
            size = try head(name).size
        } catch {
            throw RemoteError(target: error.target, operation: "download", file: error.file, message: error.message, httpStatus: error.httpStatus, code: error.code)
        }
        let buffer = RangeBuffer()
        buffer.data.reserveCapacity(Int(min(Self.streamRangeSize, size)))
        var offset: UInt64 = 0
        while offset < size {
            let last = min(offset + Self.streamRangeSize, size) - 1
            buffer.data.removeAll(keepingCapacity: true)
            do {
                _ = try client.send("GET", key: key(name), headers: ["Range": "bytes=\(offset)-\(last)"],
                                    sink: { buffer.data.append($0) }, restart: { buffer.data.removeAll(keepingCapacity: true) })
            } catch {
                throw self.error("download", name, error)
            }
            guard UInt64(buffer.data.count) == last - offset + 1 else {
                throw RemoteError(target: description, operation: "download", file: key(name), message: "the store answered \(buffer.data.count) bytes for bytes \(offset)-\(last) of \(size)")
            }
            try buffer.data.withUnsafeBytes { try deliver($0) }
            offset = last + 1
        }
    }

    /// Read back through a GET: the ETag or checksum the store recorded proves nothing about
    /// the bytes it holds now.
    public func readThroughDigest(of name: String) throws(RemoteError) -> FileDigest {
        try digest(of: name, partial: false, readBack: true)
    }

    public func bounded(timeout: Double) -> any RemoteStore {
        var store = self
        store.client.maxRetries = min(store.client.maxRetries, 1)
        store.client.timeout = min(store.client.timeout, timeout)
        return store
    }

    public func scoped(toArchivePrefix prefix: String?) -> any RemoteStore {
        var store = self
        store.archivePrefix = prefix
        return store
    }
}
