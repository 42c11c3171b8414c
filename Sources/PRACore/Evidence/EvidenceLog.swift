import Foundation

#if canImport(Glibc)
import Glibc
#endif

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

    /// The time of the first status sample in the file (the oldest not compacted yet: appends
    /// come in time order and compaction keeps it), reading only as far as that line.
    public func firstSampleAt() throws -> Date? {
        struct Found: Error { let at: Date }
        struct Probe: Decodable { let kind: String; let at: Date }
        let decoder = JSONCoding.decoder
        // Summaries and restores, which come first after a compaction, are passed over by their
        // bytes: decoding each would cost more than the whole rest of a status run.
        let passed = [EvidenceRecord.Kind.statusSummary, .restore].map { Data("\"kind\":\"\($0.rawValue)\"".utf8) }
        do {
            try file.forEachLine { _, line in
                if passed.contains(where: { line.range(of: $0) != nil }) { return }
                if let probe = try? decoder.decode(Probe.self, from: line), probe.kind == EvidenceRecord.Kind.status.rawValue {
                    throw Found(at: probe.at)
                }
            }
        } catch let found as Found {
            return found.at
        }
        return nil
    }

    /// What a compaction did.
    public struct CompactionOutcome: Sendable, Equatable {
        public var linesBefore: Int
        public var linesAfter: Int
    }

    /// Compacts the status samples of the hours before `now - retention` into hourly summaries
    /// (``EvidenceCompaction``), when the first sample is older than `now - retention - slack`
    /// (so the file is rewritten about once a `slack`, not at every run). `nil` when not due.
    ///
    /// Under the file's lock: appenders wait, and an append that took the lock before opens the
    /// file after the rename, so no line goes to the replaced file. The new content is written
    /// to `.evidence.jsonl.partial` (a name only the lock holder uses), fsynced and renamed over.
    public func compactIfDue(now: Date, retention: Double, slack: Double = 86400) throws -> CompactionOutcome? {
        guard let first = try firstSampleAt(), first < now.addingTimeInterval(-retention - slack) else { return nil }
        return try compact(before: now.addingTimeInterval(-retention))
    }

    /// Compacts the samples of the hours before `before` now, under the lock; `nil` when there
    /// were none.
    @discardableResult
    public func compact(before: Date) throws -> CompactionOutcome? {
        let path = self.path
        let file = self.file
        let decoder = JSONCoding.decoder
        let encoder = JSONCoding.compactEncoder
        return try file.withLock { () throws(FileError) -> CompactionOutcome? in
            var lines: [EvidenceCompaction.Line] = []
            do {
                try file.forEachLine { _, line in
                    if let record = try? decoder.decode(EvidenceRecord.self, from: line), record.implausibility == nil {
                        lines.append(.record(record))
                    } else {
                        // Damaged, or a newer pra's: kept byte for byte, never destroyed.
                        lines.append(.opaque(line))
                    }
                }
            } catch let error as FileError {
                throw error
            } catch {
                throw FileError(operation: .read, path: path, code: EIO)
            }
            let compaction = EvidenceCompaction(before: before)
            guard compaction.isDue(lines) else { return nil }
            let output = compaction.compact(lines)
            var info = stat()
            let mode = stat(path, &info) == 0 ? info.st_mode & 0o7777 : 0o640
            let rewritten = try DurableFile(finalPath: path, permissions: mode, replacing: true)
            var buffer = Data()
            for line in output {
                switch line {
                case .record(let record):
                    do {
                        buffer.append(try encoder.encode(record))
                    } catch {
                        rewritten.discard()
                        throw FileError(operation: .write, path: path, code: EINVAL)
                    }
                case .opaque(let data):
                    buffer.append(data)
                }
                buffer.append(UInt8(ascii: "\n"))
                if buffer.count >= 256 * 1024 {
                    try rewritten.write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            try rewritten.write(buffer)
            try rewritten.commit()
            return CompactionOutcome(linesBefore: lines.count, linesAfter: output.count)
        }
    }

    /// What the log holds, for `pra evidence show`.
    public struct Overview: Codable, Sendable {
        public var file: String
        public var restores = 0
        public var failedRestores = 0
        public var samples = 0
        public var unreachableSamples = 0
        public var summaries = 0
        public var first: Date?
        public var last: Date?
        /// The newest restore record.
        public var lastRestore: EvidenceRecord?
        /// The newest status sample.
        public var lastSample: EvidenceRecord?
        /// Lines a reader skips, with their numbers and reasons.
        public var skipped: [JSONLinesFile.SkippedLine] = []
    }

    /// Counts the log's records (reading it once, line by line).
    public func overview() throws -> Overview {
        var overview = Overview(file: path)
        let (records, skipped) = try read()
        overview.skipped = skipped
        for record in records {
            overview.first = min(overview.first ?? record.at, record.at)
            overview.last = max(overview.last ?? record.at, record.at)
            switch record.kind {
            case .restore:
                overview.restores += 1
                if record.restore?.succeeded == false { overview.failedRestores += 1 }
                if overview.lastRestore.map({ record.at >= $0.at }) ?? true { overview.lastRestore = record }
            case .status:
                overview.samples += 1
                if record.status?.reachable == false { overview.unreachableSamples += 1 }
                if overview.lastSample.map({ record.at >= $0.at }) ?? true { overview.lastSample = record }
            case .statusSummary:
                overview.summaries += 1
            }
        }
        return overview
    }

    /// Every usable record, oldest line first, and the lines skipped with their reasons.
    public func read() throws -> (records: [EvidenceRecord], skipped: [JSONLinesFile.SkippedLine]) {
        let (records, skipped) = try file.read(EvidenceRecord.self) { $0.implausibility }
        return (records, skipped)
    }
}
