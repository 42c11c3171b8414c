import Foundation
import PRACore

/// Damages one archived WAL segment after the newest base backup in place.
struct CorruptWALSegmentFault: FaultKind {
    static let name = "corrupt-wal-segment"
    static let summary = "Damages one archived WAL segment after the newest base backup (archived first if it is not yet): bit-flips flips bytes in its middle (the gzip stream breaks); swapped puts the previous segment's archived file in its place (a misfiled copy: valid gzip, wrong content, only the SHA-256 in its name tells); renamed does the same and renames it with that content's SHA-256 (a consistent rewrite: `pra wal get` serves it, PostgreSQL reads it as the end of the WAL). `pra wal get` must refuse the first two naming the segment; recovery must name the segment replay stopped at."
    static let parameters = [
        ArchivedSegmentPicker.parameter,
        FaultParameter("mode", .choice, default: Mode.bitFlips.rawValue, accepted: Mode.allCases.map(\.rawValue).joined(separator: ", "),
                       summary: "bit-flips: 16 bytes flipped in the middle of the compressed file; swapped: the previous archived segment's file copied over it; renamed: that copy under the segment's name with its own SHA-256"),
    ]

    /// The ways to damage the segment.
    enum Mode: String, CaseIterable {
        case bitFlips = "bit-flips"
        case swapped
        case renamed
    }
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let undo = FaultUndo.never
    static let needsArchiving = true

    let segment: ArchivedSegmentPicker
    let mode: Mode

    init(_ parameters: FaultParameterReader) throws(ScenarioError) {
        segment = try ArchivedSegmentPicker(parameters)
        mode = try parameters.choice("mode", what: "mode")
    }

    var description: String { "corrupt-wal-segment (\(mode.rawValue), segment \(segment.position) after the base backup)" }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let file = try segment.pick(context)
        if mode == .swapped || mode == .renamed {
            let archive = WALArchive(backupDirectory: context.backupDirectory)
            let segmentSize = try archive.identity()?.segmentSize ?? 16 << 20
            guard let number = file.name.segmentNumber(segmentSize: segmentSize), number > 0,
                  let other = try archive.find(WALFileName(timeline: file.name.timeline, segmentNumber: number - 1, segmentSize: segmentSize)) else {
                throw FaultError(description: "no archived segment before \(file.name.text) to put in its place")
            }
            let content = try Data(contentsOf: URL(fileURLWithPath: other.path))
            if mode == .renamed {
                // The name promises the content's SHA-256: wal get's check passes, PostgreSQL's fails.
                let renamed = ((file.path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("\(file.name.text)-\(other.sha256)\(other.codec.fileExtension)")
                try content.write(to: URL(fileURLWithPath: renamed), options: .atomic)
                try FileManager.default.removeItem(atPath: file.path)
                return "replaced archived WAL segment \(file.name.text) with a copy of \(other.name.text) renamed with its SHA-256 (wal get serves it; its pages belong elsewhere)"
            }
            try content.write(to: URL(fileURLWithPath: file.path))
            return "replaced archived WAL segment \(file.name.text) with a copy of \(other.name.text) (a valid stream, wrong content)"
        }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file.path))
        let middle = bytes.count / 2
        for offset in 0..<min(16, bytes.count - middle) { bytes[middle + offset] ^= 0xA5 }
        try bytes.write(to: URL(fileURLWithPath: file.path))
        return "flipped 16 bytes at offset \(middle) of archived WAL segment \(file.name.text)"
    }
}
