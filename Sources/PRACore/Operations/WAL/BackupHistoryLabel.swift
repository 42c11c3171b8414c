import Foundation

/// A backup history file (`<segment>.<offset>.backup`), written by PostgreSQL when a base backup
/// ends: `START WAL LOCATION: X/X (file NAME)`, `STOP WAL LOCATION: X/X (file NAME)`,
/// `CHECKPOINT LOCATION: X/X`, then `KEY: value` lines (BACKUP METHOD, BACKUP FROM, START TIME,
/// LABEL, START TIMELINE, STOP TIME, STOP TIMELINE, and whatever later versions add).
public struct BackupHistoryLabel: Sendable, Equatable {
    /// START WAL LOCATION: where replay of the base backup begins (the checkpoint's redo point).
    public let start: LogSequenceNumber
    /// STOP WAL LOCATION: replay must reach it before the backup is consistent.
    public let stop: LogSequenceNumber
    /// CHECKPOINT LOCATION: the checkpoint record the backup started from.
    public let checkpoint: LogSequenceNumber
    /// START TIMELINE, when the file has it (PostgreSQL 11 on).
    public let startTimeline: UInt32?
    /// STOP TIMELINE, when the file has it (PostgreSQL 11 on); the timeline in the file's name.
    public let stopTimeline: UInt32?

    /// Larger than any label PostgreSQL writes (the LABEL line is at most 1 KiB).
    public static let maximumFileBytes = 64 << 10

    /// Parses the content of the backup history file `name`, checking it against the name:
    /// the start location lies in the segment the name gives, at the offset it gives; the
    /// `(file ...)` names match the locations; stop and checkpoint are not before start.
    /// - Parameter segmentSize: the archive's segment size (from `wal/archive.json`).
    public static func validated(name: WALFileName, content: Data, segmentSize: UInt64) throws(WALContentProblem) -> BackupHistoryLabel {
        guard content.count <= maximumFileBytes else {
            throw WALContentProblem(line: nil, reason: "\(content.count) bytes, more than the \(maximumFileBytes) a backup history file holds")
        }
        guard !content.contains(0) else { throw WALContentProblem(line: nil, reason: "it holds NUL bytes (not a text file)") }
        let text = String(decoding: content, as: UTF8.self)
        var values: [String: (line: Int, value: String)] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty { continue }
            guard let colon = line.range(of: ": "), line[..<colon.lowerBound].allSatisfy({ $0.isASCII && ($0.isUppercase || $0 == " ") }), !line[..<colon.lowerBound].isEmpty else {
                throw WALContentProblem(line: index + 1, reason: "expected \"KEY: value\", found \"\(TimelineHistory.excerpt(line))\"")
            }
            let key = String(line[..<colon.lowerBound])
            guard values[key] == nil else { throw WALContentProblem(line: index + 1, reason: "\(key) appears twice") }
            values[key] = (index + 1, String(line[colon.upperBound...]))
        }
        func required(_ key: String) throws(WALContentProblem) -> (line: Int, value: String) {
            guard let found = values[key] else { throw WALContentProblem(line: nil, reason: "no \(key) line") }
            return found
        }
        // "X/X (file NAME)": the location and the segment named beside it.
        func location(_ key: String) throws(WALContentProblem) -> (line: Int, lsn: LogSequenceNumber, file: WALFileName) {
            let (line, value) = try required(key)
            let parts = value.split(separator: " ")
            guard parts.count == 3, parts[1] == "(file", parts[2].hasSuffix(")"), let lsn = LogSequenceNumber(String(parts[0])),
                  let file = WALFileName(String(parts[2].dropLast())), file.kind == .segment else {
                throw WALContentProblem(line: line, reason: "\(key) is \"\(TimelineHistory.excerpt(value))\", not \"X/X (file <segment>)\"")
            }
            guard file.segmentNumber(segmentSize: segmentSize) == lsn.value / segmentSize else {
                throw WALContentProblem(line: line, reason: "\(key) \(lsn) is not in segment \(file.text) it names")
            }
            return (line, lsn, file)
        }
        func timeline(_ key: String) throws(WALContentProblem) -> UInt32? {
            guard let (line, value) = values[key] else { return nil }
            guard let number = UInt32(value.trimmingCharacters(in: .whitespaces)), number >= 1 else {
                throw WALContentProblem(line: line, reason: "\(key) is \"\(TimelineHistory.excerpt(value))\", not a timeline number")
            }
            return number
        }
        let start = try location("START WAL LOCATION")
        let stop = try location("STOP WAL LOCATION")
        let (checkpointLine, checkpointText) = try required("CHECKPOINT LOCATION")
        guard let checkpoint = LogSequenceNumber(checkpointText) else {
            throw WALContentProblem(line: checkpointLine, reason: "CHECKPOINT LOCATION is \"\(TimelineHistory.excerpt(checkpointText))\", not X/X")
        }
        let startTimeline = try timeline("START TIMELINE")
        let stopTimeline = try timeline("STOP TIMELINE")
        // PostgreSQL names the file after the stop timeline and the segment and offset of the start location.
        let expected = WALFileName(timeline: stopTimeline ?? name.timeline, segmentNumber: start.lsn.value / segmentSize, segmentSize: segmentSize).text + String(format: ".%08X.backup", UInt32(start.lsn.value % segmentSize))
        guard expected == name.text else {
            throw WALContentProblem(line: start.line, reason: "START WAL LOCATION \(start.lsn) belongs in a file named \(expected), not \(name.text)")
        }
        guard stop.lsn >= start.lsn else {
            throw WALContentProblem(line: stop.line, reason: "STOP WAL LOCATION \(stop.lsn) is before START WAL LOCATION \(start.lsn)")
        }
        guard checkpoint >= start.lsn, checkpoint <= stop.lsn else {
            throw WALContentProblem(line: checkpointLine, reason: "CHECKPOINT LOCATION \(checkpoint) is not between START \(start.lsn) and STOP \(stop.lsn)")
        }
        if let startTimeline, start.file.timeline != startTimeline {
            throw WALContentProblem(line: start.line, reason: "START WAL LOCATION names timeline \(start.file.timeline), START TIMELINE says \(startTimeline)")
        }
        if let stopTimeline, stop.file.timeline != stopTimeline {
            throw WALContentProblem(line: stop.line, reason: "STOP WAL LOCATION names timeline \(stop.file.timeline), STOP TIMELINE says \(stopTimeline)")
        }
        if let startTimeline, let stopTimeline, stopTimeline < startTimeline {
            throw WALContentProblem(line: values["STOP TIMELINE"]?.line, reason: "STOP TIMELINE \(stopTimeline) is before START TIMELINE \(startTimeline)")
        }
        return BackupHistoryLabel(start: start.lsn, stop: stop.lsn, checkpoint: checkpoint, startTimeline: startTimeline, stopTimeline: stopTimeline)
    }
}
