import Foundation
import PRACore

/// Pushes, with the `pra` under test, a changed copy of an archived WAL segment under the
/// segment's own name: what a second server with the same system identifier (a recovered copy
/// still archiving, a clone) or a segment changed after it was archived would send. PostgreSQL
/// deletes its segment once `archive_command` exits 0, so a push that calls other content
/// "already archived" silently leaves the archive with a segment the server never had. The
/// archive must refuse it and keep its copy; the fault fails when pra accepts it.
struct WALPushConflictFault: FaultKind {
    static let name = "wal-push-conflict"
    static let summary = "Runs `pra wal push` (the pra under test, as `archive_command` would) on a changed copy of an archived WAL segment under the same name, as a second server with the same system identifier would send it. The push must be refused and the archived copy stay as it was; this step fails (`applied`) when pra accepts it."
    static let parameters = [ArchivedSegmentPicker.parameter]
    static let allowedSteps: [StepKind] = [.fault]
    static let undo = FaultUndo.never
    static let needsArchiving = true

    let segment: ArchivedSegmentPicker

    init(_ parameters: FaultParameterReader) throws(ScenarioError) {
        segment = try ArchivedSegmentPicker(parameters)
    }

    var description: String { "wal-push-conflict (segment \(segment.position) after the base backup)" }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let file = try segment.pick(context)
        let before = try FileDigest(path: file.path)
        let directory = (context.workDirectory as NSString).appendingPathComponent("wal-push-conflict")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The segment as the server had it, then changed past its first page (header intact): the
        // same name, the same system, other content.
        // Read as pra reads it (gzip, zstd or lz4, checked against the SHA-256 in its name).
        var bytes = Data()
        do {
            _ = try WALArchive(backupDirectory: context.backupDirectory).read(file) { bytes.append(contentsOf: $0) }
        } catch {
            throw FaultError(description: "cannot decompress archived \(file.name.text): \(error)")
        }
        guard bytes.count > 16 << 10 else {
            throw FaultError(description: "archived \(file.name.text) holds only \(bytes.count) bytes")
        }
        let middle = bytes.count / 2
        for offset in middle..<(middle + 16) { bytes[offset] ^= 0xA5 }
        let changed = (directory as NSString).appendingPathComponent(file.name.text)
        try bytes.write(to: URL(fileURLWithPath: changed))
        let push = try ExternalProcess(executable: context.praExecutable, arguments: ["wal", "push", changed, "--backup-dir", context.backupDirectory, "--env-file", "/dev/null"],
                                       environment: context.environment, timeout: 120).run()
        let said = (push.standardError + push.stdoutText).split(separator: "\n").first.map(String.init) ?? ""
        guard push.exitCode != 0 else {
            throw FaultError(description: "pra wal push accepted a changed copy of archived \(file.name.text) (exit 0: \(said)): PostgreSQL would drop its segment and the archive keep other content")
        }
        guard let after = try? FileDigest(path: file.path), after == before else {
            throw FaultError(description: "pra wal push refused the changed copy of \(file.name.text) (exit \(push.exitCode ?? -1)) but the archived copy changed")
        }
        return "pra wal push refused a changed copy of archived \(file.name.text) (exit \(push.exitCode ?? -1): \(said)); the archived copy is unchanged"
    }
}
