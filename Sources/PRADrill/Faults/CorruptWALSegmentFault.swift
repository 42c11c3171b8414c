import Foundation
import PRACore

/// Damages one archived WAL segment after the newest base backup in place.
struct CorruptWALSegmentFault: FaultKind {
    static let name = "corrupt-wal-segment"
    static let summary = "Flips bytes in the middle of one archived WAL segment after the newest base backup (archived first if it is not yet): `pra wal get` must refuse it naming it, verify must report it."
    static let parameters = [ArchivedSegmentPicker.parameter]
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let undo = FaultUndo.never
    static let needsArchiving = true

    let segment: ArchivedSegmentPicker

    init(_ parameters: FaultParameterReader) throws(ScenarioError) {
        segment = try ArchivedSegmentPicker(parameters)
    }

    var description: String { "corrupt-wal-segment (segment \(segment.position) after the base backup)" }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let file = try segment.pick(context)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file.path))
        let middle = bytes.count / 2
        for offset in 0..<min(16, bytes.count - middle) { bytes[middle + offset] ^= 0xA5 }
        try bytes.write(to: URL(fileURLWithPath: file.path))
        return "flipped 16 bytes at offset \(middle) of archived WAL segment \(file.name.text)"
    }
}
