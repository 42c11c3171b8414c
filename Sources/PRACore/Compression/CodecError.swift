/// A failure of a zstd or lz4 stream (or of creating any codec), in the library's own words
/// and with where in the compressed stream it happened.
public struct CodecError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case initialisationFailed = "initialisation-failed"
        case corruptData = "corrupt-data"
        case truncated
        case trailingGarbage = "trailing-garbage"
        case internalError = "internal-error"
        /// The stream is not in the codec its name (or manifest) gives.
        case wrongFormat = "wrong-format"
    }

    public let codec: CompressionCodec
    public let kind: Kind
    /// The library's message (`ZSTD_getErrorName`, `LZ4F_getErrorName`) or pra's own finding.
    public let detail: String?
    /// Compressed bytes consumed before the failure was detected.
    public let compressedOffset: UInt64

    public init(codec: CompressionCodec, kind: Kind, detail: String?, compressedOffset: UInt64) {
        self.codec = codec
        self.kind = kind
        self.detail = detail
        self.compressedOffset = compressedOffset
    }

    public var description: String {
        let suffix = detail.map { " (\($0))" } ?? ""
        switch kind {
        case .initialisationFailed: return "could not initialise the \(codec.rawValue) codec\(suffix)"
        case .corruptData: return "corrupt \(codec.rawValue) data at compressed byte \(compressedOffset)\(suffix)"
        case .truncated: return "\(codec.rawValue) stream truncated after \(compressedOffset) compressed bytes"
        case .trailingGarbage: return "garbage after the end of the \(codec.rawValue) stream at compressed byte \(compressedOffset)"
        case .internalError: return "internal \(codec.rawValue) error at compressed byte \(compressedOffset)\(suffix)"
        case .wrongFormat: return detail ?? "not a \(codec.rawValue) stream"
        }
    }
}
