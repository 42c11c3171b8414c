import Foundation
import PRACore

#if canImport(Glibc)
import Glibc
#endif

/// Makes the WAL archive unwritable for the server, then waits until the archiver has failed.
struct ArchiveFailingFault: FaultKind {
    static let name = "archive-failing"
    static let summary = "Makes the WAL archive (BACKUP_DIR/wal) unwritable for the server's `archive_command`, writes and switches WAL, and waits until `pg_stat_archiver` counts a failure. Undone: the archive writable again, and PostgreSQL archives what it kept."
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let undo = FaultUndo.afterStep
    static let needsArchiving = true

    init() {}

    init(_ parameters: FaultParameterReader) {}

    static func directories(_ context: ScenarioContext) -> [String] {
        let root = WALArchive(backupDirectory: context.backupDirectory).root
        let children = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).map { (root as NSString).appendingPathComponent($0) }
        return [root] + children.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
    }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        let root = WALArchive(backupDirectory: context.backupDirectory).root
        if !FileManager.default.fileExists(atPath: root) { try context.cluster.grantServerAccess(to: root) }
        for directory in Self.directories(context) { chmod(directory, 0o555) }
        let connection = try PostgresConnection(context.cluster.connectionSettings, applicationName: "pra-drill")
        let before = Int(try connection.scalar("SELECT failed_count FROM pg_stat_archiver") ?? "0") ?? 0
        let clock = MonotonicClock.now()
        while clock.elapsed() < 60 {
            try connection.execute("CREATE TABLE IF NOT EXISTS pra_drill_wal_probe (at timestamptz)")
            try connection.execute("INSERT INTO pra_drill_wal_probe VALUES (now())")
            try connection.execute("SELECT pg_switch_wal()")
            let failed = Int(try connection.scalar("SELECT failed_count FROM pg_stat_archiver") ?? "0") ?? 0
            if failed > before { return "made \(root) unwritable; the archiver failed \(failed - before) time(s)" }
            usleep(200_000)
        }
        revert(context)
        throw FaultError(description: "made \(root) unwritable, but the archiver did not fail within 60 s")
    }

    func revert(_ context: ScenarioContext) {
        for directory in Self.directories(context) { chmod(directory, 0o750) }
    }
}
