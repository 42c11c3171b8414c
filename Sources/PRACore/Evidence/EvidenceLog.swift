import Foundation

/// The evidence log of one host: `EVIDENCE_FILE` (default `REPORT_DIR/evidence.jsonl`), JSON
/// lines of ``EvidenceRecord``, appended by every real `pra restore` and `pra status`.
public struct EvidenceLog: Sendable {
    public let file: JSONLinesFile

    public init(path: String) {
        file = JSONLinesFile(path: path)
    }

    public var path: String { file.path }

    /// How long one status sample stands for the database's state when the next one is late:
    /// beyond it, time is unknown rather than up or down (two 5-minute checks missed).
    public static let sampleValiditySeconds: Double = 15 * 60

    /// Appends one record as a line.
    public func append(_ record: EvidenceRecord) throws {
        try file.append(JSONCoding.compactEncoder.encode(record))
    }

    /// Every usable record, oldest line first, and the lines skipped with their reasons.
    public func read() throws -> (records: [EvidenceRecord], skipped: [JSONLinesFile.SkippedLine]) {
        let (records, skipped) = try file.read(EvidenceRecord.self) { $0.implausibility }
        return (records, skipped)
    }
}
