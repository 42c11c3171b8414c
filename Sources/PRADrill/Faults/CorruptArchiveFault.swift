import PRACore
import PRAHarness

/// Damages one complete archive (or its manifest) in place.
struct CorruptArchiveFault: FaultKind {
    static let name = "corrupt-archive"
    static let summary = "Damages one complete backup in place, in one of seven modes; each mode takes only its own parameters."
    static let parameters = [
        FaultParameter("mode", .choice, default: nil, accepted: Mode.allCases.map(\.rawValue).joined(separator: ", "),
                       summary: "bit-flips: flip `count` bits at positions drawn from `seed`, past the gzip header; truncate: cut to `fraction` of the size; zero-block: `length` zero bytes at `fraction` of the size; append-garbage: `bytes` after the gzip stream; delete-manifest: the backup becomes incomplete; alter-manifest: its SHA-256 no longer matches; drop-rows: rewrite the archive without `count` rows of one table and record the new checksum in the manifest (it verifies; only the restore's row counts can tell)"),
        FaultParameter("archive", .archive, default: "newest", summary: "which complete backup to damage"),
        FaultParameter("count", .wholeNumber, default: "1", accepted: "1–1000000", summary: "bit-flips: bits to flip; drop-rows: rows to leave out"),
        FaultParameter("seed", .wholeNumber, default: "1", accepted: "0–2147483647", summary: "bit-flips: seed of the positions (deterministic); `pra drill run --seed N` replaces it"),
        FaultParameter("fraction", .fraction, default: "0.5", accepted: "[0, 1)", summary: "truncate, zero-block: where, as a fraction of the size"),
        FaultParameter("length", .wholeNumber, default: "4096", accepted: "1 B–1 GiB", summary: "zero-block: bytes zeroed (clamped to the end)"),
        FaultParameter("table", .table, default: "any", summary: "drop-rows: the table whose rows to leave out (`schema.name`, or a name in `public`); `any`: the first table in the dump with `count` rows"),
        FaultParameter("bytes", .wholeNumber, default: "64", accepted: "1 B–1 GiB", summary: "append-garbage: bytes appended"),
    ]
    static let allowedSteps: [StepKind] = [.fault] + StepKind.praSteps
    static let undo = FaultUndo.never

    /// The ways to damage a backup, as scenarios name them.
    enum Mode: String, CaseIterable {
        case bitFlips = "bit-flips"
        case truncate
        case zeroBlock = "zero-block"
        case appendGarbage = "append-garbage"
        case deleteManifest = "delete-manifest"
        case alterManifest = "alter-manifest"
        case dropRows = "drop-rows"

        /// The parameters this mode takes (besides `mode` and `archive`).
        var parameters: [String] {
            switch self {
            case .bitFlips: return ["count", "seed"]
            case .truncate: return ["fraction"]
            case .zeroBlock: return ["fraction", "length"]
            case .appendGarbage: return ["bytes"]
            case .deleteManifest, .alterManifest: return []
            case .dropRows: return ["count", "table"]
            }
        }
    }

    let corruption: ArchiveCorruption
    let archive: ArchiveSelector

    init(corruption: ArchiveCorruption, archive: ArchiveSelector) {
        self.corruption = corruption
        self.archive = archive
    }

    init(_ parameters: FaultParameterReader) throws(ScenarioError) {
        archive = try parameters.archive("archive")
        let mode: Mode = try parameters.choice("mode", what: "corruption mode")
        for parameter in ["count", "seed", "fraction", "length", "bytes", "table"] where !mode.parameters.contains(parameter) && parameters.node(parameter) != nil {
            throw parameters.error(parameter, "not a parameter of mode \(mode.rawValue)" + (mode.parameters.isEmpty ? " (it takes none)" : " (it takes: \(mode.parameters.joined(separator: ", ")))"))
        }
        switch mode {
        case .bitFlips: corruption = .bitFlips(count: try parameters.wholeNumber("count", in: 1...1_000_000), seed: UInt64(try parameters.wholeNumber("seed", in: 0...Int(Int32.max))))
        case .truncate: corruption = .truncate(fraction: try parameters.fraction("fraction"))
        case .zeroBlock: corruption = .zeroBlock(fraction: try parameters.fraction("fraction"), length: try parameters.wholeNumber("length", in: 1...(1 << 30)))
        case .appendGarbage: corruption = .appendGarbage(bytes: try parameters.wholeNumber("bytes", in: 1...(1 << 30)))
        case .deleteManifest: corruption = .deleteManifest
        case .alterManifest: corruption = .alterManifest
        case .dropRows: corruption = .dropRows(count: try parameters.wholeNumber("count", in: 1...1_000_000), table: try parameters.table("table"))
        }
    }

    var description: String { "corrupt-archive (\(corruption), \(archive) archive)" }

    var archives: [ArchiveSelector] { [archive] }

    func reseeded(_ seed: UInt64) -> CorruptArchiveFault {
        guard case .bitFlips(let count, _) = corruption else { return self }
        return CorruptArchiveFault(corruption: .bitFlips(count: count, seed: seed), archive: archive)
    }

    func apply(_ context: ScenarioContext, step: StepAction) throws -> String {
        guard let entry = archive.pick(context.completeBackups) else {
            throw FaultError(description: "no \(archive) complete backup to corrupt in \(context.backupDirectory)")
        }
        try corruption.apply(to: entry.archivePath)
        return "\(corruption) on \(entry.name.fileName)"
    }
}
