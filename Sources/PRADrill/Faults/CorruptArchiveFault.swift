import PRACore

/// Damages one complete archive (or its manifest) in place.
struct CorruptArchiveFault: FaultInjector {
    let corruption: ArchiveCorruption
    let archive: ArchiveSelector

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        guard let entry = archive.pick(context.completeBackups) else {
            throw FaultError(description: "no \(archive) complete backup to corrupt in \(context.backupDirectory)")
        }
        try corruption.apply(to: entry.archivePath)
        return "\(corruption) on \(entry.name.fileName)"
    }
}
