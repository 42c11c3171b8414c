import Foundation
import PRACore

/// Deletes one archived WAL segment after the newest base backup: a gap recovery cannot pass.
struct MissingWALSegmentFault: FaultKind {
    static let name = "missing-wal-segment"
    static let summary = "Deletes one archived WAL segment after the newest base backup (archived first if it is not yet): verify and status must report the gap, and recovery past it must fail or stop there."
    static let parameters = [ArchivedSegmentPicker.parameter]
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let undo = FaultUndo.never
    static let needsArchiving = true

    let segment: ArchivedSegmentPicker

    init(_ parameters: FaultParameterReader) throws(ScenarioError) {
        segment = try ArchivedSegmentPicker(parameters)
    }

    var description: String { "missing-wal-segment (segment \(segment.position) after the base backup)" }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let file = try segment.pick(context)
        // A later segment archived too: what is missing is then a gap, not the archive's end.
        let later = try ArchivedSegmentPicker(position: segment.position + 1).pick(context)
        try FileManager.default.removeItem(atPath: file.path)
        return "deleted archived WAL segment \(file.name.text) (\(later.name.text) after it is archived)"
    }
}
