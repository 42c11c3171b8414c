import PRACore
import PRADrillResults

extension StepKind {
    /// `verify:` — `pra verify`.
    public static let verify = StepKind("verify")
}

/// `verify: {archive: SELECTOR | all}` (default `all`): runs `pra verify --all`, or
/// `pra verify <that archive>`.
struct VerifyStep: PraStep {
    static let kind = StepKind.verify
    /// The archive verified; `nil`: all of them (`--all`).
    var archive: ArchiveSelector?

    static func read(_ options: StepOptions) throws(ScenarioError) -> VerifyStep {
        let map = try options.mapping(allowed: ["archive"])
        guard let archive = map.node("archive"), archive.string != "all" else { return VerifyStep(archive: nil) }
        return VerifyStep(archive: try options.reader.archive(archive, key: options.path("archive")))
    }

    var description: String {
        archive.map { "verify the \($0) archive" } ?? "verify all archives"
    }

    var ownExpectations: [String] { ["earlier_backups"] }

    func validate(_ step: Step, order: inout StepOrder) throws(ScenarioError) {
        if let archive {
            try order.needBackups(archive, what: "verify")
        } else if order.backups + order.baseBackups == 0 {
            throw order.fail("verify refers to the archives, but no backup step comes before it")
        }
    }

    func arguments(_ run: StepRun, before: BackupSnapshot) throws(StepNotRun) -> [String] {
        guard let archive else { return ["verify", "--all"] }
        guard let entry = archive.pick(before.complete) else {
            throw StepNotRun(check: run.failure("archive exists", expected: "a \(archive) archive", actual: "none", message: "expected a \(archive) complete backup to verify, got none"))
        }
        return ["verify", entry.archivePath]
    }

    /// One summary per archive, then the WAL archive's.
    func messages(of child: PraChild.Result) -> [String] {
        guard let report = child.document(VerificationReport.self) else { return [] }
        return report.archives.map(\.summary) + (report.wal.map { [$0.summary] } ?? [])
    }
}

extension StepAction {
    /// `verify: {archive: ...}`; `nil`: `pra verify --all`.
    static func verify(archive: ArchiveSelector?) -> StepAction {
        StepAction(VerifyStep(archive: archive))
    }
}
