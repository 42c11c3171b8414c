import CZlib

/// A failure of a gzip stream (zlib or libdeflate), with zlib's own message when it gave one and
/// where in the stream it happened.
public struct GzipError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, in the words of the stream rather than of zlib's return codes.
    public enum Kind: String, Sendable, Codable {
        case initialisationFailed = "initialisation-failed"
        case corruptData = "corrupt-data"
        case truncated
        case trailingGarbage = "trailing-garbage"
        case notGzip = "not-gzip"
        case internalError = "internal-error"
    }

    public let kind: Kind
    /// zlib's message (`z_stream.msg`) when it gave one, or what pra's own check found.
    public let zlibMessage: String?
    /// Compressed bytes consumed before the failure was detected.
    public let compressedOffset: UInt64

    public init(kind: Kind, zlibMessage: String?, compressedOffset: UInt64) {
        self.kind = kind
        self.zlibMessage = zlibMessage
        self.compressedOffset = compressedOffset
    }

    public var description: String {
        let detail = zlibMessage.map { " (\($0))" } ?? ""
        switch kind {
        case .initialisationFailed: return "could not initialise the compressor\(detail)"
        case .corruptData: return "corrupt gzip data at compressed byte \(compressedOffset)\(detail)"
        case .truncated: return "gzip stream truncated after \(compressedOffset) compressed bytes"
        case .trailingGarbage: return "garbage after the end of the gzip stream at compressed byte \(compressedOffset)"
        case .notGzip: return "not a gzip file (bad magic at byte \(compressedOffset))"
        case .internalError: return "internal compression error" + (compressedOffset > 0 ? " at compressed byte \(compressedOffset)" : "") + detail
        }
    }
}
